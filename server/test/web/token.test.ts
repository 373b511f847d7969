// The dashboard on a server that requires tokens, in chromium: it asks for a token (telling a
// missing one from a rejected one and from one without the read scope), shows a read token's
// namespace only, says whose token it holds, logs out; the token never appears in a URL; the
// page is served with its Content-Security-Policy and causes no violation and no script error,
// also while drawing charts and their tooltip.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/suite-logs.js';
import { type Browser, chartsDrawn, launchBrowser, reportCspViolations } from './helpers/browser.js';
import { type RealServer, SERVER_ROOT, startRealServer } from './helpers/real-server.js';
import { type Identity, postDetection, postMetrics } from './helpers/seed.js';
import { ensureWebBuilt } from './helpers/web-build.js';

const BOOT = `boot-${randomBytes(12).toString('hex')}`;
const UI_TIMEOUT_MS = 10_000;

async function createToken(base: string, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${base}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOT}` },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { token: string };
  assert.equal(response.status, 201, JSON.stringify(json));
  recordSecret(json.token);
  return json.token;
}

const job = (workload: string, namespace: string): Identity => ({
  workload,
  pod: `${workload}-0`,
  runId: `${workload}-run`,
  runName: workload,
  project: 'p',
  rank: 0,
  worldSize: 1,
  namespace,
  token: BOOT,
});

describe('dashboard on a server that requires tokens', () => {
  let server: RealServer;
  let browser: Browser;
  let readA: string;
  let ingestA: string;

  before(async () => {
    await ensureWebBuilt();
    server = await startRealServer({ LENS_API_TOKEN: BOOT });
    readA = await createToken(server.baseUrl, { name: 'grafana-team-a', scope: 'read', namespaces: ['team-a'] });
    ingestA = await createToken(server.baseUrl, { name: 'trainer-team-a', scope: 'ingest', namespaces: ['team-a'] });
    for (const [workload, namespace] of [
      ['wl-team-a', 'team-a'],
      ['wl-team-b', 'team-b'],
    ] as const) {
      await postDetection(server.baseUrl, job(workload, namespace), { PRIMUS_CONFIG: '/c.yaml' }, ['torch']);
      await postMetrics(
        server.baseUrl,
        job(workload, namespace),
        Array.from({ length: 50 }, (_, step) => ({ step, values: { loss: 2 - step / 50, accuracy: step / 50 } })),
      );
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("prompts, refuses wrong and ingest tokens, shows only the read token's namespace, logs out", {
    timeout: 60_000,
  }, async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    const urls: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // Refused API calls (401/403/404) are logged by chromium as failed loads: expected here.
      if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 40[134]/.test(msg.text())) {
        problems.push(`console: ${msg.text()}`);
      }
    });
    page.on('request', (request) => urls.push(request.url()));
    await reportCspViolations(page);

    const shell = await page.goto(`${server.baseUrl}/`);
    assert.match(shell?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    const error = page.locator('.state[data-state="error"]');
    await error.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match((await error.textContent()) ?? '', /requires an API token/);
    assert.equal(await page.locator('#session-who').count(), 0);

    const useToken = async (token: string): Promise<void> => {
      await page.locator('.token-form input[type="password"]').fill(token);
      await page.locator('.token-form button').click();
    };
    await useToken('plens_not-a-real-token');
    await page
      .locator('.state[data-state="error"]', { hasText: 'Token rejected: it is not a token this server knows' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    mkdirSync(join(SERVER_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(SERVER_ROOT, 'test-artifacts', 'dashboard-token-rejected.png') });

    await useToken(ingestA);
    await page.locator('.state[data-state="error"]', { hasText: 'needs a read token' }).waitFor({ timeout: UI_TIMEOUT_MS });

    await useToken(readA);
    await page.locator('#workloads-table').waitFor({ timeout: UI_TIMEOUT_MS });
    const uids = await page
      .locator('.workload-row')
      .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: Record<string, string> }).dataset.uid));
    assert.deepEqual(uids, ['wl-team-a']);
    assert.equal(await page.locator('.workload-row .ns').textContent(), 'team-a');
    assert.match((await page.locator('#list-summary').textContent()) ?? '', /of 1$/);
    await page.locator('#session-who').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.locator('#session-who .session-name').textContent(), 'grafana-team-a');
    assert.equal(await page.locator('#session-scope').textContent(), 'read');
    assert.equal(await page.locator('#session-namespaces').textContent(), 'team-a');
    await page.screenshot({ path: join(SERVER_ROOT, 'test-artifacts', 'dashboard-token-namespaced.png') });

    // Its own workload draws, tooltip included (the tooltip was the page's one inline style).
    await page.locator('a.uid[href="/workloads/wl-team-a"]').click();
    await chartsDrawn(page, UI_TIMEOUT_MS);
    const box = await page.locator('.chart-card[data-metric="loss"] .u-over').boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.locator('.chart-card[data-metric="loss"] .tooltip').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    // Another namespace's workload is "not found", exactly like one that does not exist.
    await page.goto(`${server.baseUrl}/workloads/wl-team-b`);
    await page
      .locator('.state[data-state="empty"]', { hasText: 'Workload wl-team-b not found.' })
      .waitFor({ timeout: UI_TIMEOUT_MS });

    await page.locator('#logout').click();
    await page.locator('.state[data-state="error"]', { hasText: 'requires an API token' }).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.evaluate('localStorage.length'), 0, 'logging out forgets the token');
    assert.equal(await page.locator('#session-who').count(), 0);
    assert.equal(new URL(page.url()).pathname, '/');

    for (const secret of [readA, ingestA, BOOT]) {
      assert.ok(!urls.some((u) => u.includes(secret) || u.includes(encodeURIComponent(secret))), 'a token appeared in a URL');
    }
    assert.ok(urls.some((u) => u.includes('/api/v1/whoami')));
    assert.deepEqual(problems, []);
    await page.close();
  });
});
