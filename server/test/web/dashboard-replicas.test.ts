// The dashboard's live updates when the browser talks to one replica and the training job's
// exporter to another (two real server processes on one PostgreSQL database, Debian's
// chromium): every change the page polls for is read from the shared database, none from the
// memory of the replica that ingested it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { suiteReplicas } from '../support/server-process.js';
import { type Browser, chartsDrawn, launchBrowser } from './helpers/browser.js';
import { type Identity, type PointRow, postDetection, postMetrics } from './helpers/seed.js';
import { ensureWebBuilt } from './helpers/web-build.js';

const UI_TIMEOUT_MS = 15_000;
const STEPS = 20;

const rank = (runId: string, r: number): Identity => ({
  workload: 'wl-ha',
  pod: `trainer-${r}`,
  runId,
  runName: runId,
  project: 'llama',
  rank: r,
  worldSize: 2,
});

function rows(from: number, to: number, seed: number): PointRow[] {
  return Array.from({ length: to - from }, (_, i) => ({ step: from + i, values: { loss: 2 / (from + i + 1) + seed * 0.1 } }));
}

describe('the dashboard on one replica while the job reports to another', { timeout: 180_000 }, () => {
  const replicas = suiteReplicas();
  let browser: Browser;
  let page: Page;

  before(async () => {
    await ensureWebBuilt();
    await postDetection(replicas.a.base, rank('run-a', 0), { PRIMUS_CONFIG: '/cfg/llama.yaml' }, ['torch', 'primus']);
    await postMetrics(replicas.a.base, rank('run-a', 0), rows(0, STEPS, 0));
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
  });

  it('shows what replica A stored, drawn by replica B', async () => {
    await page.goto(`${replicas.b.base}/workloads/wl-ha?metric=loss`);
    await chartsDrawn(page, UI_TIMEOUT_MS);
    const loss = page.locator('.chart-card[data-metric="loss"]');
    assert.equal(await loss.getAttribute('data-last-step'), String(STEPS - 1));
    assert.equal(await loss.getAttribute('data-points'), String(STEPS));
    await page.evaluate('window.__sameDocument = true');
  });

  it('a point ingested through A appears on the page served by B without a reload', async () => {
    await postMetrics(replicas.a.base, rank('run-a', 0), rows(STEPS, STEPS + 1, 0));
    await page.locator(`.chart-card[data-metric="loss"][data-last-step="${STEPS}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.locator('.chart-card[data-metric="loss"]').getAttribute('data-points'), String(STEPS + 1));
    assert.equal(await page.evaluate('window.__sameDocument'), true, 'the page was not reloaded');
  });

  it('a rank that starts reporting through A joins the charts on B', async () => {
    await postMetrics(replicas.a.base, rank('run-a', 1), rows(0, 5, 1));
    await page.locator('.chart-card[data-metric="loss"][data-series-count="2"]').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.locator('.chart-card[data-metric="loss"]').getAttribute('data-points'), String(STEPS + 1 + 5));
    assert.equal(await page.evaluate('window.__sameDocument'), true, 'the page was not reloaded');
  });

  it('the list served by A shows a run finished through B', async () => {
    await page.goto(`${replicas.a.base}/`);
    const dot = page.locator('.workload-row[data-uid="wl-ha"] .live-dot');
    await dot.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await dot.getAttribute('data-state'), 'running');
    await postMetrics(replicas.b.base, rank('run-a', 0), rows(STEPS + 1, STEPS + 2, 0), true);
    await postMetrics(replicas.b.base, rank('run-a', 1), rows(5, 6, 1), true);
    await page.locator('.workload-row[data-uid="wl-ha"] .live-dot[data-state="finished"]').waitFor({ timeout: UI_TIMEOUT_MS });
  });
});
