// Training health in a real browser (Debian's chromium) against a real app on a real socket,
// whose clock the test moves: the list's health column and filter, the health panel with the
// NaN step, and the event markers on the charts (spike, stall, slowdown). Screenshots land in
// server/test-artifacts/health-*.png (look at them).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { type Browser, launchBrowser, until } from './helpers/browser.js';
import { SERVER_ROOT } from './helpers/real-server.js';
import { ensureWebBuilt } from './helpers/web-build.js';

const ARTIFACTS = join(SERVER_ROOT, 'test-artifacts');
const UI_TIMEOUT_MS = 15_000;
// The app's clock ends at the browser's now, so "last seen" reads the same on both sides.
const T0 = Math.floor(Date.now() / 1000) - 2_000;

interface Row {
  step: number;
  wall: number;
  values: Record<string, number | string>;
}

describe('training health in the dashboard', () => {
  let app: FastifyInstance;
  let store: Store;
  let dir: string;
  let base: string;
  let browser: Browser;
  let page: Page;
  const clock = { now: T0 };

  async function post(workload: string, rank: number, rows: Row[], extra: Record<string, unknown> = {}): Promise<void> {
    const body = {
      workload_uid: workload,
      pod_name: `${workload}-${rank}`,
      namespace: 'ml-team',
      run_id: `${workload}-run`,
      rank,
      world_size: 4,
      run: { id: `${workload}-run`, project: 'health', name: workload },
      metrics: rows.flatMap((r) =>
        Object.entries(r.values).map(([name, value]) => ({ name, value, step: r.step, timestamp: r.wall })),
      ),
      ...extra,
    };
    const res = await fetch(`${base}/api/v1/wandb/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.text());
  }

  /** A detection report at the current clock (it also marks the workload as seen then). */
  async function detect(workload: string, environment: Record<string, string>): Promise<void> {
    const res = await fetch(`${base}/api/v1/wandb/detection`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workload_uid: workload, pod_name: `${workload}-0`, evidence: { environment } }),
    });
    assert.equal(res.status, 200);
  }

  /** Steps [from, to) every `dt` seconds of the run's own time, starting at wall `w0`. */
  function rows(
    from: number,
    to: number,
    w0: number,
    dt: (s: number) => number,
    values: (s: number) => Record<string, number | string>,
  ): Row[] {
    const out: Row[] = [];
    let wall = w0;
    for (let s = from; s < to; s++) {
      wall += dt(s);
      out.push({ step: s, wall, values: values(s) });
    }
    return out;
  }

  const loss = (s: number): number => 2 + 6 * Math.exp(-s / 60) + 0.03 * Math.sin(s * 1.3);

  before(async () => {
    await ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'lens-web-health-'));
    const config = loadConfig({
      LENS_DATABASE_URL: join(dir, 'lens.db'),
      LENS_LOG_LEVEL: 'warn',
      LENS_HEALTH_SWEEP_INTERVAL_SECONDS: '3600',
    });
    store = await openStore(config.databaseUrl);
    app = await buildApp(config, { store, clock: () => clock.now });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

    // Long ago: a run that went quiet without finishing (lost), one that finished, one that failed.
    clock.now = T0;
    await detect('lost-job', { FRAMEWORK: 'megatron' });
    await detect('resnet-done', { FRAMEWORK: 'pytorch' });
    await detect('crashed-job', { FRAMEWORK: 'torchtitan' });
    for (const [workload, steps, extra] of [
      ['lost-job', 300, {}],
      ['resnet-done', 300, { run_state: { state: 'finished', exit_code: 0 } }],
      ['crashed-job', 120, { run_state: { state: 'finished', exit_code: 1 } }],
    ] as const) {
      await post(
        workload,
        0,
        rows(
          0,
          steps,
          T0 - steps,
          () => 1,
          (s) => ({ loss: loss(s) }),
        ),
        extra,
      );
    }
    // A run that hung 1,000 s before "now": past its 900 s stall threshold, not yet lost.
    clock.now = T0 + 1_000;
    await detect('vit-stalled', { FRAMEWORK: 'lightning' });
    await post(
      'vit-stalled',
      0,
      rows(
        0,
        400,
        T0 + 600,
        () => 1,
        (s) => ({ 'train/loss': loss(s) }),
      ),
    );
    // Live runs, all arriving now.
    clock.now = T0 + 2_000;
    await detect('llama-pretrain', { PRIMUS_CONFIG: '/cfg/llama.yaml' });
    await detect('gpt-nan', { MEGATRON_PATH: '/opt/megatron' });
    await detect('bert-spike', { FRAMEWORK: 'deepspeed' });
    await detect('t5-slow', { FRAMEWORK: 'transformers' });
    for (const rank of [0, 1, 2, 3]) {
      await post(
        'llama-pretrain',
        rank,
        rows(
          0,
          400,
          T0 + 1_600,
          () => 1,
          (s) => ({ 'lm loss': loss(s) + 0.01 * rank, 'iteration-time': 0.98 + 0.01 * rank }),
        ),
      );
    }
    await post(
      'gpt-nan',
      0,
      rows(
        41_000,
        41_300,
        T0 + 1_700,
        () => 1,
        (s) => ({ 'lm loss': s >= 41_200 ? 'NaN' : loss(s - 40_900) }),
      ),
    );
    await post(
      'bert-spike',
      0,
      rows(
        0,
        300,
        T0 + 1_700,
        () => 1,
        (s) => ({ loss: s >= 280 ? 40 : loss(s) }),
      ),
    );
    // 1,600 steps at 1 s (160 step-time samples: warm-up and a baseline), then 2.5 s a step.
    await post(
      't5-slow',
      0,
      rows(
        0,
        1_900,
        T0 - 500,
        (s) => (s >= 1_600 ? 2.5 : 1) * (1 + 0.05 * Math.sin(s)),
        (s) => ({ loss: loss(s) }),
      ),
    );
    await app.lensHealth?.flush();

    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1400, height: 760 });
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows each workload's health in the list, and filters by it", { timeout: 60_000 }, async () => {
    await page.goto(`${base}/`);
    await page.locator('.workload-row').nth(7).waitFor({ timeout: UI_TIMEOUT_MS });
    const health = await page.evaluate(`Object.fromEntries([...document.querySelectorAll(".workload-row")].map((r) =>
      [r.dataset.uid, r.querySelector(".health-badge").dataset.health]))`);
    assert.deepEqual(health, {
      'llama-pretrain': 'healthy',
      'gpt-nan': 'diverged',
      'bert-spike': 'diverged',
      't5-slow': 'slow',
      'vit-stalled': 'stalled',
      'lost-job': 'lost',
      'resnet-done': 'finished',
      'crashed-job': 'failed',
    });
    await page.screenshot({ path: join(ARTIFACTS, 'health-list.png') });
    await page.selectOption('#health-filter', 'diverged');
    await until(async () => (await page.locator('.workload-row').count()) === 2, UI_TIMEOUT_MS);
    assert.match(page.url(), /health=diverged/);
    const uids = await page.evaluate(`[...document.querySelectorAll(".workload-row")].map((r) => r.dataset.uid).sort()`);
    assert.deepEqual(uids, ['bert-spike', 'gpt-nan']);
  });

  it('lists the NaN step on the workload page and marks spikes, stalls and slowdowns on the charts', {
    timeout: 60_000,
  }, async () => {
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(`${base}/workloads/gpt-nan`);
    await page.locator('#health-events .health-event').first().waitFor({ timeout: UI_TIMEOUT_MS });
    const first = page.locator('#health-events .health-event').first();
    assert.equal(await first.getAttribute('data-kind'), 'non_finite');
    assert.equal(await first.getAttribute('data-step'), '41200');
    assert.match((await first.textContent()) ?? '', /lm loss is NaN at step 41200/);
    assert.equal(await page.locator('#health-panel .health-head .health-badge').getAttribute('data-health'), 'diverged');
    await page.screenshot({ path: join(ARTIFACTS, 'health-workload.png') });

    const marker = async (uid: string, kind: string): Promise<string | null> => {
      await page.goto(`${base}/workloads/${uid}`);
      const el = page.locator(`.ev-marker[data-kind="${kind}"]`).first();
      await el.waitFor({ timeout: UI_TIMEOUT_MS });
      return el.getAttribute('data-step');
    };
    assert.equal(await marker('bert-spike', 'spike'), '280');
    assert.equal(await marker('vit-stalled', 'stall'), '399');
    const slowStep = Number(await marker('t5-slow', 'slowdown'));
    assert.ok(Math.abs(slowStep - 1_600) <= 10, `slowdown marked at ${slowStep} (a step-time sample is 10 s, 4 to 10 steps)`);
    assert.match((await page.locator('#health-runs .chip, #health-runs td').allTextContents()).join(' '), /steps\/s/);
    await page.screenshot({ path: join(ARTIFACTS, 'health-slow-chart.png') });
  });
});
