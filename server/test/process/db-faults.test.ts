// The database failing under a running server process (a private PostgreSQL cluster):
// restarted in the middle of ingest (pg_ctl restart -m fast), every point answered 200 is
// stored; while it is down, ingest answers 503 with Retry-After and /readyz fails; once it is
// back the same process serves again, without a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cluster, freePort } from '../../scripts/pg-cluster.mjs';
import { assertPgDerivedDataConsistent } from '../store/invariants-pg.js';
import { type Answer, get, metricsBody, postJson } from '../support/app-server.js';
import { createDatabase, privateCluster, type TestDatabase } from '../support/pg.js';
import { ensureBuilt, type ServerProcess, startServerProcess } from '../support/server-process.js';

const POINTS_PER_BATCH = 200;

function batchBody(workload: string, i: number): Record<string, unknown> {
  const metrics = Array.from({ length: POINTS_PER_BATCH }, (_, k) => ({
    name: 'loss',
    value: i * 1000 + k,
    step: i * POINTS_PER_BATCH + k,
  }));
  return metricsBody({ workload_uid: workload, run_id: 'r' }, metrics);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every step of every acknowledged batch is stored with its value. */
async function assertAcknowledgedStored(base: string, workload: string, acked: number[]): Promise<void> {
  const s = await get(base, `/api/v1/workloads/${workload}/metrics/series?name=loss&max_points=100000`);
  assert.equal(s.status, 200, s.text);
  const stored = new Map<number, number>((s.json.series[0]?.points ?? []).map((p: [number, number]) => [p[0], p[1]]));
  for (const i of acked) {
    for (let k = 0; k < POINTS_PER_BATCH; k++) {
      assert.equal(
        stored.get(i * POINTS_PER_BATCH + k),
        i * 1000 + k,
        `batch ${i} point ${k} was acknowledged but is not stored`,
      );
    }
  }
}

describe('PostgreSQL failing under a running server', { timeout: 180_000 }, () => {
  let cluster: Cluster;
  let db: TestDatabase;
  let server: ServerProcess;
  before(async () => {
    ensureBuilt();
    cluster = await privateCluster();
    db = await createDatabase(cluster);
    server = startServerProcess(await freePort(), { LENS_DATABASE_URL: db.url, LENS_PG_CONNECT_TIMEOUT_MS: '1000' });
    await server.listening();
  });
  after(async () => {
    const code = await server?.stop();
    cluster?.destroy();
    assert.equal(code, 0, server?.output());
  });

  it('restarted in the middle of ingest: every acknowledged point is stored, the server recovers by itself', async () => {
    const acked: number[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    let restart: Promise<string> | null = null;
    let sentBeforeRestartDone = -1;
    const sender = async (): Promise<void> => {
      while (next < 300) {
        const i = next++;
        const r: Answer = await postJson(server.base, '/api/v1/wandb/metrics', batchBody('restart', i));
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) acked.push(i);
        else assert.equal(r.status, 503, r.text);
        if (i === 60 && restart === null) {
          restart = cluster.restartAsync('fast').then((out) => {
            sentBeforeRestartDone = next;
            return out;
          });
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, sender));
    assert.ok(restart !== null);
    await restart;
    assert.ok(
      sentBeforeRestartDone > 60 && sentBeforeRestartDone < 300,
      `ingest went on after the restart (${sentBeforeRestartDone})`,
    );
    await until('/readyz after the restart', async () => (await get(server.base, '/readyz')).status === 200);
    assert.ok(acked.length > 60, `statuses: ${JSON.stringify([...statuses])}`);
    process.stdout.write(`# answers during the restart: ${JSON.stringify(Object.fromEntries(statuses))}\n`);
    await assertAcknowledgedStored(server.base, 'restart', acked);
    // Commits cut by the restart left no half-written chunk row or summary behind.
    await assertPgDerivedDataConsistent(db.url);
    assert.equal(server.proc.exitCode, null, 'the server process kept running');
  });

  it('while it is down: ingest answers 503 with Retry-After, /readyz fails; afterwards ingest works again', async () => {
    cluster.stopServer('fast');
    try {
      const r = await postJson(server.base, '/api/v1/wandb/metrics', batchBody('down', 0));
      assert.equal(r.status, 503, r.text);
      assert.ok(Number(r.headers['retry-after']) >= 1, `Retry-After: ${String(r.headers['retry-after'])}`);
      assert.equal(r.json.meta.code, 503);
      const ready = await get(server.base, '/readyz');
      assert.equal(ready.status, 503, ready.text);
      const d = await postJson(server.base, '/api/v1/wandb/detection', {
        workload_uid: 'down',
        pod_name: 'p',
        evidence: {},
        hints: {},
      });
      assert.equal(d.status, 503, d.text);
      assert.ok(Number(d.headers['retry-after']) >= 1);
    } finally {
      cluster.start();
    }
    await until('/readyz after the start', async () => (await get(server.base, '/readyz')).status === 200);
    const r = await postJson(server.base, '/api/v1/wandb/metrics', batchBody('down', 1));
    assert.equal(r.status, 200, r.text);
    await assertAcknowledgedStored(server.base, 'down', [1]);
  });
});
