// Browser test of the dashboard against the REAL server seeded through the REAL ingest
// API, in Debian's chromium. Screenshots go to server/test-artifacts/ (look at them).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { WorkloadRow } from '../../src/store/types.js';
import { type Browser, chartsDrawn, launchBrowser, until } from './helpers/browser.js';
import { PERF_METRICS, PERF_POINTS, seedPerfWorkload } from './helpers/perf-seed.js';
import { type RealServer, SERVER_ROOT, startRealServer } from './helpers/real-server.js';
import { getJson, type Identity, type PointRow, postDetection, postMetrics } from './helpers/seed.js';
import { ensureWebBuilt } from './helpers/web-build.js';

const ARTIFACTS = join(SERVER_ROOT, 'test-artifacts');
const STEPS = 50;
const NAN_STEP = 7;
const INF_STEP = 30;
const UI_TIMEOUT_MS = 10_000;

type Row = Pick<WorkloadRow, 'workload_uid' | 'framework' | 'wrapper_framework' | 'base_framework' | 'confidence' | 'status'>;

const primus = (runId: string, runName: string, rank: number): Identity => ({
  workload: 'wl-primus',
  pod: `trainer-${rank}`,
  runId,
  runName,
  project: 'llama',
  rank,
  worldSize: 2,
});
const deepspeed: Identity = {
  workload: 'wl-deepspeed',
  pod: 'ds-0',
  runId: 'ds-run',
  runName: 'bert-ds',
  project: 'bert',
  rank: 0,
  worldSize: 1,
};

function rows(seed: number): PointRow[] {
  return Array.from({ length: STEPS }, (_, step) => ({
    step,
    values: {
      loss: seed === 0 && step === NAN_STEP ? 'NaN' : 3 * Math.exp(-step / 15) + 0.1 * Math.sin(step * 1.7 + seed) + seed * 0.1,
      lr: 1e-4 * Math.min(1, (step + 1) / 10),
      grad_norm: seed === 3 && step === INF_STEP ? 'Infinity' : 1 + 0.5 * Math.cos(step + seed),
    },
  }));
}

/** What the badge must say, derived from the API row (the dashboard must not invent a framework). */
function expectedLabel(row: Row): string {
  if (row.wrapper_framework && row.base_framework && row.wrapper_framework !== row.base_framework) {
    return `${row.wrapper_framework} / ${row.base_framework}`;
  }
  return row.wrapper_framework || row.base_framework || row.framework || 'unknown';
}

async function canvasPixels(page: Page, metric: string): Promise<string> {
  return page.evaluate(`document.querySelector('[data-metric="${metric}"] canvas').toDataURL()`) as Promise<string>;
}

describe('dashboard in a real browser against the real server', () => {
  let server: RealServer;
  let browser: Browser;
  let page: Page;
  const seriesRequests: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startRealServer();
    await postDetection(
      server.baseUrl,
      primus('run-a', 'llama-a', 0),
      { PRIMUS_CONFIG: '/cfg/llama.yaml', PRIMUS_BACKEND: 'megatron' },
      ['torch', 'megatron', 'primus'],
    );
    await postDetection(server.baseUrl, deepspeed, { DEEPSPEED_CONFIG: '/cfg/ds.json' }, ['torch', 'deepspeed']);
    // run-a (ranks 0, 1) is still running; run-b (ranks 0, 1) finished.
    await Promise.all([
      postMetrics(server.baseUrl, primus('run-a', 'llama-a', 0), rows(0)),
      postMetrics(server.baseUrl, primus('run-a', 'llama-a', 1), rows(1)),
      postMetrics(server.baseUrl, primus('run-b', 'llama-b', 0), rows(2), true),
      postMetrics(server.baseUrl, primus('run-b', 'llama-b', 1), rows(3), true),
      postMetrics(server.baseUrl, deepspeed, rows(4).slice(0, 20), true),
    ]);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('request', (request) => {
      if (request.url().includes('/metrics/series')) seriesRequests.push(request.url());
    });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lists the seeded workloads with the framework badges the server computed', { timeout: 20_000 }, async () => {
    const api = await getJson<{ workloads: Row[] }>(server.baseUrl, '/api/v1/workloads');
    await page.goto(`${server.baseUrl}/`);
    await page.locator('.workload-row').first().waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.locator('.workload-row').count(), 2);
    for (const [uid, family] of [
      ['wl-primus', 'primus'],
      ['wl-deepspeed', 'deepspeed'],
    ] as const) {
      const row = api.workloads.find((w) => w.workload_uid === uid);
      assert.ok(row, `${uid} missing from the API`);
      const badge = page.locator(`.workload-row[data-uid="${uid}"] .fw-badge`);
      const label = await badge.getAttribute('data-framework');
      assert.equal(label, expectedLabel(row));
      assert.ok(label?.includes(family), `${uid}: badge "${label}" should name ${family}`);
      assert.equal(await badge.locator('.fw-conf').textContent(), (row.confidence ?? 0).toFixed(2));
      assert.equal(await badge.locator('.status-chip').textContent(), (row.status ?? 'unknown').toLowerCase());
    }
    assert.equal(await page.locator('.workload-row[data-uid="wl-primus"] .live-dot').getAttribute('data-state'), 'running');
    assert.equal(await page.locator('.workload-row[data-uid="wl-deepspeed"] .live-dot').getAttribute('data-state'), 'finished');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-list.png'), fullPage: true });

    await page.locator('#framework-filter').selectOption('deepspeed');
    await until(async () => (await page.locator('.workload-row').count()) === 1, UI_TIMEOUT_MS);
    assert.equal(await page.locator('.workload-row').getAttribute('data-uid'), 'wl-deepspeed');
    assert.match(page.url(), /framework=deepspeed/);

    await page.locator('#framework-filter').selectOption('');
    await page.locator('#workload-search').fill('wl-prim');
    await until(
      async () =>
        (await page.locator('.workload-row').count()) === 1 &&
        (await page.locator('.workload-row').getAttribute('data-uid')) === 'wl-primus',
      UI_TIMEOUT_MS,
    );
    assert.match(page.url(), /q=wl-prim/);
  });

  it('draws one chart per metric with one series per run × rank', { timeout: 20_000 }, async () => {
    await page.goto(`${server.baseUrl}/workloads/wl-primus?metric=loss`);
    await chartsDrawn(page, UI_TIMEOUT_MS);
    const cards = page.locator('.chart-card');
    assert.deepEqual(
      await cards.evaluateAll((els) => els.map((el) => (el as unknown as { dataset: Record<string, string> }).dataset.metric)),
      ['grad_norm', 'loss', 'lr'],
    );
    for (const metric of ['grad_norm', 'loss', 'lr']) {
      const card = page.locator(`.chart-card[data-metric="${metric}"]`);
      assert.equal(await card.getAttribute('data-state'), 'ready');
      assert.equal(await card.getAttribute('data-series-count'), '4');
      assert.equal(await card.locator('.legend-chip').count(), 4);
      assert.equal(await card.locator('canvas').count(), 1);
    }
    assert.equal(await page.locator('.chart-card[data-metric="loss"]').getAttribute('data-points'), String(4 * STEPS));
    assert.equal(await page.locator('.run-row').count(), 4);
    assert.ok(
      await page
        .locator('.chart-card[data-metric="loss"]')
        .evaluate((el) => (el as unknown as { className: string }).className.includes('focused')),
      'deep link ?metric=loss focuses the loss chart',
    );
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-workload.png'), fullPage: true });
  });

  it('redraws when the smoothing slider moves, and hides a series from its legend', { timeout: 20_000 }, async () => {
    const byDefault = await canvasPixels(page, 'loss');
    await page.locator('#smoothing-slider').fill('0.95');
    assert.equal(await page.locator('#smoothing-value').textContent(), '0.95');
    const at095 = await canvasPixels(page, 'loss');
    assert.notEqual(at095, byDefault, 'smoothing 0.95 must draw differently from the default for 50 points (0.3)');
    await page.locator('#smoothing-slider').fill('0');
    assert.notEqual(await canvasPixels(page, 'loss'), at095);
    assert.match(page.url(), /smoothing=0(&|$)/);

    const chip = page.locator('.chart-card[data-metric="lr"] .legend-chip').first();
    const lrBefore = await canvasPixels(page, 'lr');
    await chip.click();
    assert.equal(await chip.getAttribute('aria-pressed'), 'false');
    assert.notEqual(await canvasPixels(page, 'lr'), lrBefore, 'toggling a series changes the plot');
  });

  it('marks the NaN and +Inf points visibly on the plot', { timeout: 20_000 }, async () => {
    const loss = page.locator('.chart-card[data-metric="loss"]');
    assert.equal(await loss.getAttribute('data-nonfinite'), '1');
    const nan = loss.locator('.nf-marker[data-kind="nan"]');
    assert.equal(await nan.count(), 1);
    assert.equal(await nan.getAttribute('data-step'), String(NAN_STEP));
    assert.ok(await nan.isVisible());
    const plot = await loss.locator('.u-over').boundingBox();
    const mark = await nan.boundingBox();
    assert.ok(plot && mark, 'marker and plot have boxes');
    const expectedX = plot.x + plot.width * (NAN_STEP / (STEPS - 1));
    assert.ok(Math.abs(mark.x - expectedX) < 6, `NaN marker at x=${mark.x}, expected ≈${expectedX}`);
    assert.equal(await loss.locator('.nf-flag').textContent(), 'NaN');
    const inf = page.locator('.chart-card[data-metric="grad_norm"] .nf-marker[data-kind="+inf"]');
    assert.equal(await inf.getAttribute('data-step'), String(INF_STEP));
  });

  it('shows a newly ingested point without a reload, fetching only the tail', { timeout: 20_000 }, async () => {
    const loss = page.locator('.chart-card[data-metric="loss"]');
    assert.equal(await loss.getAttribute('data-last-step'), String(STEPS - 1));
    await page.evaluate('window.__sameDocument = true');
    const requestsBefore = seriesRequests.length;
    await postMetrics(server.baseUrl, primus('run-a', 'llama-a', 0), [{ step: STEPS, values: { loss: 0.05 } }]);
    await page.locator(`.chart-card[data-metric="loss"][data-last-step="${STEPS}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.evaluate('window.__sameDocument'), true, 'the page was not reloaded');
    // The runs table is re-rendered by the poll and still shows each run's last loss.
    const lastLoss = page.locator('.run-row[data-run-id="run-a"][data-rank="0"] td[data-metric="loss"]');
    await page
      .locator('.run-row[data-run-id="run-a"][data-rank="0"] td[data-metric="loss"]', { hasText: /^0\.05$/ })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await lastLoss.textContent(), '0.05');
    // A metric without new points keeps its value across that re-render too.
    const gradNorm = Number(
      await page.locator('.run-row[data-run-id="run-b"][data-rank="1"] td[data-metric="grad_norm"]').textContent(),
    );
    assert.ok(Math.abs(gradNorm - (1 + 0.5 * Math.cos(STEPS - 1 + 3))) < 1e-3, `run-b r1 last grad_norm shown as ${gradNorm}`);
    assert.equal(await loss.getAttribute('data-points'), String(4 * STEPS + 1));
    const live = seriesRequests.slice(requestsBefore);
    assert.ok(
      live.length > 0 && live.every((url) => url.includes(`from_step=${STEPS}`)),
      `live requests must ask only for the tail: ${live.join(', ')}`,
    );
  });

  it('adds a run that starts while the page is open, early steps included', { timeout: 20_000 }, async () => {
    await postMetrics(server.baseUrl, primus('run-c', 'llama-c', 0), rows(5).slice(0, 10));
    await page.locator('.chart-card[data-metric="loss"][data-series-count="5"]').waitFor({ timeout: UI_TIMEOUT_MS });
    const loss = page.locator('.chart-card[data-metric="loss"]');
    assert.equal(await loss.getAttribute('data-points'), String(4 * STEPS + 1 + 10), "run-c's steps 0–9 are all there");
    assert.equal(await loss.locator('.legend-chip').count(), 5);
    assert.equal(await page.evaluate('window.__sameDocument'), true, 'the page was not reloaded');
  });

  it('zooms by dragging, re-querying the server for that step range', { timeout: 20_000 }, async () => {
    const loss = page.locator('.chart-card[data-metric="loss"]');
    const box = await loss.locator('.u-over').boundingBox();
    assert.ok(box);
    const requestsBefore = seriesRequests.length;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.locator('.chart-card[data-metric="loss"][data-zoom="zoomed"]').waitFor({ timeout: UI_TIMEOUT_MS });
    const zoomRequest = seriesRequests.slice(requestsBefore).find((url) => url.includes('to_step='));
    assert.ok(zoomRequest, 'a ranged series request was sent');
    const points = Number(await loss.getAttribute('data-points'));
    assert.ok(points > 0 && points < 4 * STEPS, `zoomed view holds only the range's points (${points})`);
    await loss.locator('.u-over').dblclick();
    await page.locator('.chart-card[data-metric="loss"]:not([data-zoom])').waitFor({ timeout: UI_TIMEOUT_MS });
  });

  it('shows a hover tooltip, and redraws on a wall-time x axis', { timeout: 20_000 }, async () => {
    const loss = page.locator('.chart-card[data-metric="loss"]');
    const box = await loss.locator('.u-over').boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    const tip = loss.locator('.tooltip');
    await tip.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    assert.match((await tip.locator('.tt-head').textContent()) ?? '', /^step \d+/);
    // run-c stopped at step 9, so at 60% of the x range it has no row: 4 rows, not 5.
    assert.equal(await tip.locator('.tt-row').count(), 4);

    const byStep = await canvasPixels(page, 'loss');
    await page.locator('#x-axis').selectOption('time');
    assert.match(page.url(), /x=time/);
    assert.equal(await loss.getAttribute('data-state'), 'ready');
    assert.notEqual(await canvasPixels(page, 'loss'), byStep, 'wall-time axis draws differently');
    await page.locator('#x-axis').selectOption('step');
  });

  it('says so explicitly when a workload does not exist', { timeout: 20_000 }, async () => {
    const other = await browser.context.newPage();
    await other.goto(`${server.baseUrl}/workloads/no-such-workload`);
    const state = other.locator('.state[data-state="empty"]');
    await state.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match((await state.textContent()) ?? '', /no-such-workload not found/);
    await other.close();
  });

  it('shows a framework read from the metric names alone, and the names it was read from', { timeout: 20_000 }, async () => {
    // No detection report for this workload: only Megatron's own metric names, as its training_log writes them.
    const names: Identity = {
      workload: 'wl-names',
      pod: 'mg-0',
      runId: 'mg-run',
      runName: 'gpt',
      project: 'gpt',
      rank: 0,
      worldSize: 1,
    };
    await postMetrics(
      server.baseUrl,
      names,
      Array.from({ length: 5 }, (_, i) => ({
        step: i + 1,
        values: {
          'samples vs steps': (i + 1) * 8,
          'learning-rate': 3e-4,
          'batch-size': 8,
          'lm loss': 9 / (i + 1),
          'grad-norm': 1.5,
        },
      })),
      true,
    );
    const api = await getJson<Row>(server.baseUrl, '/api/v1/workloads/wl-names/framework-detection');
    assert.deepEqual([api.framework, api.status], ['megatron', 'suspected']);
    const fresh = await browser.context.newPage();
    await fresh.goto(`${server.baseUrl}/workloads/wl-names`);
    const panel = fresh.locator('#detection-panel');
    await panel.locator('.source[data-source="metrics"]').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match((await panel.locator('#detection-names-only').textContent()) ?? '', /metric names only/);
    const row = panel.locator('.metric-name-row[data-framework="megatron"]');
    assert.deepEqual(await row.locator('.metric-name').allTextContents(), [
      'batch-size',
      'grad-norm',
      'learning-rate',
      'lm loss',
      'samples vs steps',
    ]);
    assert.ok((await fresh.locator('.workload-head .fw-badge').getAttribute('data-framework'))?.includes('megatron'));
    await panel.screenshot({ path: join(ARTIFACTS, 'dashboard-detection-metric-names.png') });

    // A report for the same run arrives: both sources are listed, the report's answer leads.
    await postDetection(server.baseUrl, names, { MEGATRON_CONFIG: '/cfg/gpt.yaml' }, ['torch', 'megatron', 'megatron.core']);
    await fresh.reload();
    await panel.locator('.source[data-source="wandb"]').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await panel.locator('.source[data-source="metrics"]').count(), 1);
    assert.equal(await panel.locator('#detection-names-only').count(), 0);
    await fresh.close();
  });

  it('sets the framework manually through the override endpoint', { timeout: 20_000 }, async () => {
    await page.locator('.override summary').click();
    await page.locator('#override-form input[name="framework"]').fill('torchtitan');
    await page.locator('#override-form button[type="submit"]').click();
    await page.locator('.form-message', { hasText: 'Saved' }).waitFor({ timeout: UI_TIMEOUT_MS });
    const api = await getJson<Row>(server.baseUrl, '/api/v1/workloads/wl-primus/framework-detection');
    assert.equal(api.framework, 'torchtitan');
    const headerBadge = page.locator('.workload-head .fw-badge');
    assert.ok((await headerBadge.getAttribute('data-framework'))?.includes('torchtitan'));
  });

  it(`draws ${PERF_METRICS} metrics × ${PERF_POINTS} points (measured, not a timed assertion)`, {
    timeout: 180_000,
  }, async (t) => {
    const seededPoints = await seedPerfWorkload(server.baseUrl, 'wl-perf');
    assert.equal(seededPoints, PERF_METRICS * PERF_POINTS);
    const fresh = await browser.context.newPage();
    const started = Date.now();
    await fresh.goto(`${server.baseUrl}/workloads/wl-perf`);
    await chartsDrawn(fresh, 30_000);
    const wallMs = Date.now() - started;
    const inPageMs = Number(await fresh.evaluate('document.body.dataset.chartsDrawnMs'));
    const firstChartMs = Number(await fresh.evaluate('document.body.dataset.firstChartDrawnMs'));
    assert.equal(await fresh.locator('.chart-card[data-state="ready"]').count(), PERF_METRICS);
    const drawn = Number(await fresh.locator('.chart-card').first().getAttribute('data-points'));
    assert.ok(drawn > 0 && drawn <= 1_000, `server-side downsampling keeps ≤ 1000 points per series (got ${drawn})`);
    const result = {
      metrics: PERF_METRICS,
      points_per_metric: PERF_POINTS,
      navigation_to_charts_drawn_ms: inPageMs,
      navigation_to_first_chart_ms: firstChartMs,
      test_side_wall_ms: wallMs,
      drawn_points_per_chart: drawn,
    };
    writeFileSync(join(ARTIFACTS, 'dashboard-perf.json'), `${JSON.stringify(result, null, 2)}\n`);
    t.diagnostic(`dashboard perf: ${JSON.stringify(result)}`);
    await fresh.screenshot({ path: join(ARTIFACTS, 'dashboard-perf.png') });
    await fresh.close();
  });
});
