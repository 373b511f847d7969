// The optional webhook against a real HTTP receiver: one Slack-compatible message per workload
// for changes that arrive together, retried on 5xx (Retry-After honoured), given up on 4xx, and
// never in the way of ingest (a receiver that does not answer holds up nothing).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { messageFor, type WebhookBody, WebhookNotifier } from '../../src/health/notify.js';
import type { StatusChange } from '../../src/health/service.js';
import { openStore } from '../../src/store/index.js';
import { postJson } from '../support/app-server.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function receiver(handle: Handler): Promise<{ url: string; server: Server; bodies: WebhookBody[] }> {
  const bodies: WebhookBody[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as WebhookBody);
      handle(req, res, text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, server, bodies };
}

function change(rank: number, status: StatusChange['status'], previous: StatusChange['previous'] = 'healthy'): StatusChange {
  return {
    workload_uid: 'job-7',
    run_id: 'r',
    rank,
    namespace: 'team-a',
    status,
    previous,
    since: 1,
    event: {
      kind: 'stall',
      metric: null,
      step: 4_100 + rank,
      value: null,
      at: 1,
      detail: `no new step after step ${4_100 + rank}`,
    },
  };
}

test('changes of one workload go out as one message with a Slack text line per run', () => {
  const body = messageFor('job-7', [change(0, 'stalled'), change(1, 'stalled')]);
  assert.equal(
    body.text,
    'Primus Lens: workload job-7 (namespace team-a)\n' +
      '• run r rank 0: healthy → *stalled*: no new step after step 4100\n• run r rank 1: healthy → *stalled*: no new step after step 4101',
  );
  assert.equal(body.changes.length, 2);
  const nan = messageFor('job-7', [
    {
      ...change(0, 'diverged'),
      event: { kind: 'non_finite', metric: 'loss', step: 9, value: Number.NaN, at: 1, detail: 'loss is NaN' },
    },
  ]);
  assert.equal(JSON.parse(JSON.stringify(nan)).changes[0].event.value, 'NaN', 'NaN survives JSON, spelled as the API spells it');
  const many = messageFor(
    'job-7',
    Array.from({ length: 64 }, (_, i) => change(i, 'lost')),
  );
  assert.equal(many.text.split('\n').length, 12, 'ten runs listed, then how many more');
  assert.match(many.text, /… and 54 more$/);
});

test('delivery is retried with backoff on 5xx, honouring Retry-After, and not retried on 4xx', async () => {
  let calls = 0;
  const hook = await receiver((_req, res) => {
    calls += 1;
    if (calls === 1) res.writeHead(503, { 'retry-after': '0' }).end();
    else if (calls === 2) res.writeHead(500).end();
    else res.writeHead(calls === 3 ? 200 : 400).end();
  });
  const results: boolean[] = [];
  const notifier = new WebhookNotifier({
    url: hook.url,
    coalesceMs: 10_000,
    baseDelayMs: 5,
    onDelivered: (ok) => results.push(ok),
  });
  try {
    notifier.notify(change(0, 'stalled'));
    notifier.notify(change(1, 'stalled'));
    await notifier.flush();
    assert.equal(calls, 3);
    assert.deepEqual(results, [true]);
    assert.deepEqual(
      hook.bodies.map((b) => b.changes.length),
      [2, 2, 2],
      'the same message, both ranks, each time',
    );
    notifier.notify(change(2, 'failed'));
    await notifier.flush();
    assert.equal(calls, 4, 'a 400 is not retried');
    assert.deepEqual(results, [true, false]);
  } finally {
    hook.server.close();
  }
});

test('a receiver that never answers holds up neither ingest nor evaluation', async () => {
  const pending: ServerResponse[] = [];
  const hook = await receiver((_req, res) => pending.push(res));
  const dir = mkdtempSync(join(tmpdir(), 'lens-hook-'));
  const config = loadConfig({
    LENS_DATABASE_URL: join(dir, 'lens.db'),
    LENS_LOG_LEVEL: 'silent',
    LENS_HEALTH_WEBHOOK_URL: hook.url,
  });
  const store = await openStore(config.databaseUrl);
  const app = await buildApp(config, { store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    const metrics = (steps: number[], loss: number | string) => ({
      workload_uid: 'job-9',
      pod_name: 'p',
      run_id: 'r',
      rank: 0,
      metrics: steps.map((step) => ({ name: 'loss', value: loss, step, timestamp: Date.now() / 1000 })),
    });
    assert.equal((await postJson(base, '/api/v1/wandb/metrics', metrics([0, 1, 2], 1))).status, 200);
    await app.lensHealth?.flush();
    assert.equal((await postJson(base, '/api/v1/wandb/metrics', metrics([3], 'NaN'))).status, 200);
    await app.lensHealth?.flush();
    // The change was handed to the webhook; wait until its request reaches the receiver.
    for (let i = 0; i < 200 && hook.bodies.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(hook.bodies[0]?.changes[0]?.status, 'diverged');
    assert.equal(pending.length, 1, 'the receiver holds the request open');
    // While it does, ingest and evaluation go on.
    assert.equal((await postJson(base, '/api/v1/wandb/metrics', metrics([4, 5], 2))).status, 200);
    await app.lensHealth?.flush();
    const run = (await (await fetch(`${base}/api/v1/workloads/job-9/health`)).json()) as { runs: Array<{ status: string }> };
    assert.equal(run.runs[0]?.status, 'healthy');
  } finally {
    for (const res of pending) res.end();
    await app.close();
    await store.close();
    hook.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
