// Two real server processes on one PostgreSQL database: a token made through one replica
// works on the other at once, and revoking it through one is refused by both within 5 seconds;
// an expired token is refused by both as soon as it expires.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../scripts/pg-cluster.mjs';
import { get, postJson } from '../http/helper.js';
import { createDatabase, type TestDatabase } from '../support/pg.js';
import { ensureBuilt, type ServerProcess, startServerProcess } from '../support/server-process.js';
import { bearer, makeToken, nsMetrics, revoke } from './helpers.js';

const REVOCATION_BOUND_MS = 5_000;

describe('tokens across two replicas on one PostgreSQL database', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  const boot = `boot-${randomBytes(12).toString('hex')}`;
  before(async () => {
    ensureBuilt();
    db = await createDatabase();
    const [pa, pb] = [await freePort(), await freePort()];
    a = startServerProcess(pa, { LENS_DATABASE_URL: db.url, LENS_API_TOKEN: boot });
    b = startServerProcess(pb, { LENS_DATABASE_URL: db.url, LENS_API_TOKEN: boot });
    await Promise.all([a.listening(), b.listening()]);
  });
  after(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    assert.deepEqual(codes, [0, 0], `${a?.output()}\n${b?.output()}`);
  });

  it('a revocation through one replica is refused by both within 5 s', async () => {
    const made = await makeToken(a.base, boot, { name: 'trainer-a', scope: 'ingest', namespaces: ['team-a'] });
    const write = (base: string) =>
      postJson(base, '/api/v1/wandb/metrics', nsMetrics('replica-job', 'team-a'), bearer(made.token));
    assert.equal((await write(b.base)).status, 200, 'made on A, works on B at once');
    assert.equal((await write(a.base)).status, 200);
    assert.equal((await revoke(a.base, boot, made.id)).status, 200);
    const revokedAt = Date.now();
    assert.equal((await write(a.base)).status, 401, 'the replica that revoked refuses at once');
    let refusedAfter = -1;
    while (Date.now() - revokedAt < REVOCATION_BOUND_MS + 2_000) {
      const r = await write(b.base);
      if (r.status === 401) {
        refusedAfter = Date.now() - revokedAt;
        assert.equal(r.json.meta.message, 'token rejected: it was revoked');
        break;
      }
      assert.equal(r.status, 200);
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(refusedAfter >= 0 && refusedAfter < REVOCATION_BOUND_MS, `B refused the revoked token after ${refusedAfter} ms`);
  });

  it('an expired token is refused by both replicas once it expires', async () => {
    const expiresAt = Date.now() / 1000 + 1;
    const made = await makeToken(b.base, boot, { name: 'brief', scope: 'read', expires_at: expiresAt });
    assert.equal((await get(a.base, '/api/v1/workloads', bearer(made.token))).status, 200);
    while (Date.now() / 1000 <= expiresAt) await new Promise((res) => setTimeout(res, 50));
    for (const server of [a, b]) assert.equal((await get(server.base, '/api/v1/workloads', bearer(made.token))).status, 401);
  });

  it("both replicas agree on a workload's namespace when its first reports race", async () => {
    const ingestAll = await makeToken(a.base, boot, { name: 'trainer-all', scope: 'ingest' });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        postJson(
          i % 2 === 0 ? a.base : b.base,
          '/api/v1/wandb/metrics',
          nsMetrics('raced', i % 2 === 0 ? 'team-x' : 'team-y'),
          bearer(ingestAll.token),
        ),
      ),
    );
    assert.ok(answers.every((r) => r.status === 200));
    const [na, nb] = await Promise.all(
      [a, b].map(async (s) => (await get(s.base, '/api/v1/workloads/raced', bearer(boot))).json.namespace),
    );
    assert.ok(na === 'team-x' || na === 'team-y');
    assert.equal(nb, na);
  });
});
