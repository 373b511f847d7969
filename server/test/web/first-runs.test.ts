// What a new user sees first, in chromium against the real server: a quickstart-sized run (five
// steps, one rank, no RANK set), a job re-run under the same wandb name on two hosts, and one
// long run. Screenshots go to server/test-artifacts/first-runs-*.png (look at them).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type Browser, chartsDrawn, launchBrowser } from './helpers/browser.js';
import { type RealServer, SERVER_ROOT, startRealServer } from './helpers/real-server.js';
import { type Identity, postDetection, postMetrics } from './helpers/seed.js';
import { ensureWebBuilt } from './helpers/web-build.js';

const ARTIFACTS = join(SERVER_ROOT, 'test-artifacts');
const UI_TIMEOUT_MS = 10_000;
/** The width a laptop browser gives the page; the runs table must fit it. */
const VIEWPORT = { width: 1400, height: 1000 };
const FIVE_LOSS = [1.0, 0.8, 0.5, 0.3, 0.2];

const quickstart: Identity = {
  workload: 'wl-quickstart',
  pod: 'vm',
  runId: '1df54ebl',
  runName: 'quickstart',
  project: 'my-project',
  rank: -1,
  worldSize: 1,
};
const twin = (pod: string, runId: string): Identity => ({
  workload: 'wl-rerun',
  pod,
  runId,
  runName: 'llama',
  project: 'llama',
  rank: 0,
  worldSize: 1,
});
const long: Identity = {
  workload: 'wl-long',
  pod: 'long-0',
  runId: 'long-run',
  runName: 'long',
  project: 'p',
  rank: 0,
  worldSize: 1,
};

async function drawn(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await chartsDrawn(page, UI_TIMEOUT_MS);
}

describe('first runs of a new user, in a real browser', () => {
  let server: RealServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    await ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startRealServer();
    await postDetection(server.baseUrl, quickstart, { PRIMUS_CONFIG: '/config/primus.yaml' }, ['torch']);
    await postMetrics(
      server.baseUrl,
      quickstart,
      FIVE_LOSS.map((loss, step) => ({ step, values: { loss, accuracy: 0.5 + 0.1 * step } })),
      true,
    );
    for (const [pod, runId, offset] of [
      ['node-a', 'run-aaa', 0],
      ['node-b', 'run-bbb', 0.2],
    ] as const) {
      await postMetrics(
        server.baseUrl,
        twin(pod, runId),
        Array.from({ length: 10 }, (_, step) => ({ step, values: { loss: 2 + offset - 0.1 * step } })),
      );
    }
    await postMetrics(
      server.baseUrl,
      long,
      Array.from({ length: 400 }, (_, step) => ({ step, values: { loss: 3 * Math.exp(-step / 100) + 0.2 * Math.sin(step) } })),
      true,
    );
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.setViewportSize(VIEWPORT);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('aligns numeric headers with their numbers and names workload states as runs do', { timeout: 30_000 }, async () => {
    await page.goto(`${server.baseUrl}/`);
    await page.locator('.workload-row').first().waitFor({ timeout: UI_TIMEOUT_MS });
    const align = (await page.evaluate(`[...document.querySelectorAll("#workloads-table th")].map((th, i) => [th.textContent,
      getComputedStyle(th).textAlign, getComputedStyle(document.querySelector("#workloads-table tbody tr").children[i]).textAlign])`)) as Array<
      [string, string, string]
    >;
    const side = (a: string): string => (a === 'start' ? 'left' : a);
    for (const [title, head, cell] of align)
      assert.equal(side(head), side(cell), `header "${title}" is ${head}, its cells ${cell}`);
    assert.deepEqual(
      align.filter(([, , cell]) => cell === 'right').map(([t]) => t),
      ['Runs', 'Pods', 'Last step', 'Last loss'],
    );
    const state = (uid: string) => page.locator(`.workload-row[data-uid="${uid}"] .live-dot`);
    assert.equal(await state('wl-quickstart').getAttribute('data-state'), 'finished');
    assert.equal(await state('wl-quickstart').textContent(), 'finished');
    assert.equal(await state('wl-rerun').getAttribute('data-state'), 'running');
    await page.screenshot({ path: join(ARTIFACTS, 'first-runs-list.png'), fullPage: true });
  });

  it("fits a single run's table at 1,400 px without scrolling sideways", { timeout: 30_000 }, async () => {
    await drawn(page, `${server.baseUrl}/workloads/wl-quickstart`);
    const fit = (await page.evaluate(`(() => { const box = document.querySelector("#runs-panel .table-scroll");
      return { scroll: box.scrollWidth, client: box.clientWidth,
        cut: [...document.querySelectorAll("#runs-table th")].filter((th) => th.scrollWidth > th.clientWidth).map((th) => th.textContent) }; })()`)) as {
      scroll: number;
      client: number;
      cut: string[];
    };
    assert.ok(fit.scroll <= fit.client, `runs table scrolls sideways: ${fit.scroll} px in ${fit.client} px`);
    assert.deepEqual(fit.cut, []);
    assert.equal(await page.locator('.run-row .status-chip').textContent(), 'finished');
    assert.equal(await page.locator('.workload-head .live-dot').getAttribute('data-state'), 'finished');
  });

  it('draws five steps on whole-step ticks', { timeout: 30_000 }, async () => {
    await drawn(page, `${server.baseUrl}/workloads/wl-quickstart`);
    const loss = page.locator('.chart-card[data-metric="loss"]');
    const ticks = (await loss.getAttribute('data-x-ticks'))?.split(',').map(Number) ?? [];
    assert.ok(ticks.length >= 2 && ticks.every(Number.isInteger), `x ticks must be whole steps: ${ticks.join(', ')}`);
  });

  it("ends a five-step curve at the run's last value, and keeps the raw value beside a smoothed one", {
    timeout: 30_000,
  }, async () => {
    await drawn(page, `${server.baseUrl}/workloads/wl-quickstart`);
    const loss = page.locator('.chart-card[data-metric="loss"]');
    // The curve must end where the runs table says the run ended.
    const box = await loss.locator('.u-over').boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    const tip = loss.locator('.tooltip');
    await tip.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    assert.match((await tip.locator('.tt-head').textContent()) ?? '', /^step 4/);
    assert.equal(await tip.locator('.tt-val').textContent(), '0.2');
    assert.equal(await tip.locator('.tt-raw').textContent(), '0.2');
    assert.equal(await page.locator('.run-row td[data-metric="loss"]').textContent(), '0.2');
    await page.mouse.move(0, 0);
    assert.equal(await loss.getAttribute('data-smoothing'), '0', 'five points are drawn as they are by default');
    assert.equal(await page.locator('#smoothing-value').textContent(), 'auto');
    await page.screenshot({ path: join(ARTIFACTS, 'first-runs-five-steps.png'), fullPage: true });

    // Smoothing chosen by hand applies, and the raw value stays beside the smoothed one.
    await page.locator('#smoothing-slider').fill('0.6');
    assert.equal(await loss.getAttribute('data-smoothing'), '0.6');
    assert.equal(await loss.locator('.chart-smoothing').textContent(), 'smoothed 0.60');
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    await tip.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    assert.equal(await tip.locator('.tt-raw').textContent(), '0.2');
    assert.notEqual(await tip.locator('.tt-val').textContent(), '0.2');
    await page.locator('#smoothing-auto').click();
    assert.equal(await loss.getAttribute('data-smoothing'), '0');
    assert.doesNotMatch(page.url(), /smoothing=/);
  });

  it('says in words who reported the detection, POD_UID included', { timeout: 30_000 }, async () => {
    await drawn(page, `${server.baseUrl}/workloads/wl-quickstart`);
    const source = page.locator('#detection-sources .source').first();
    await source.locator('.source-ids').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await source.locator('.source-where').textContent(), 'pod vm · no rank · run 1df54ebl');
    assert.match((await source.locator('.source-ids').textContent()) ?? '', /POD_UID uid-vm/);
    assert.doesNotMatch((await source.textContent()) ?? '', /vm\/-1\//, 'the bare source key is not the label');
    await page.screenshot({ path: join(ARTIFACTS, 'first-runs-detection.png'), clip: { x: 0, y: 100, width: 700, height: 300 } });
  });

  it('smooths a long run by default', { timeout: 30_000 }, async () => {
    await drawn(page, `${server.baseUrl}/workloads/wl-long`);
    assert.equal(await page.locator('.chart-card[data-metric="loss"]').getAttribute('data-smoothing'), '0.6');
  });

  it('tells two runs with the same wandb name apart in the legend', { timeout: 30_000 }, async () => {
    await drawn(page, `${server.baseUrl}/workloads/wl-rerun`);
    const labels = await page.locator('.chart-card[data-metric="loss"] .legend-chip').allTextContents();
    assert.equal(labels.length, 2);
    assert.notEqual(labels[0], labels[1], `legend: ${labels.join(' | ')}`);
    assert.ok(labels.some((l) => l.includes('run-aaa')) && labels.some((l) => l.includes('run-bbb')), labels.join(' | '));
    assert.ok(
      labels.every((l) => l.startsWith('llama')),
      'the wandb name still comes first',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'first-runs-same-name.png'), fullPage: true });
  });
});
