// Two real server processes on one PostgreSQL database: a token made through one replica
// works on the other at once, and revoking it through one is refused by both within 5 seconds;
// an expired token is refused by both as soon as it expires.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { get, postJson } from '../support/app-server.js';
import { suiteReplicas } from '../support/server-process.js';
import { bearer, makeToken, nsMetrics, revoke } from './helpers.js';

const REVOCATION_BOUND_MS = 5_000;

describe('tokens across two replicas on one PostgreSQL database', { timeout: 120_000 }, () => {
  const boot = `boot-${randomBytes(12).toString('hex')}`;
  const replicas = suiteReplicas({ LENS_API_TOKEN: boot });

  it('a revocation through one replica is refused by both within 5 s', async () => {
    const made = await makeToken(replicas.a.base, boot, { name: 'trainer-a', scope: 'ingest', namespaces: ['team-a'] });
    const write = (base: string) =>
      postJson(base, '/api/v1/wandb/metrics', nsMetrics('replica-job', 'team-a'), bearer(made.token));
    assert.equal((await write(replicas.b.base)).status, 200, 'made on A, works on B at once');
    assert.equal((await write(replicas.a.base)).status, 200);
    assert.equal((await revoke(replicas.a.base, boot, made.id)).status, 200);
    const revokedAt = Date.now();
    assert.equal((await write(replicas.a.base)).status, 401, 'the replica that revoked refuses at once');
    let refusedAfter = -1;
    while (Date.now() - revokedAt < REVOCATION_BOUND_MS + 2_000) {
      const r = await write(replicas.b.base);
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
    const made = await makeToken(replicas.b.base, boot, { name: 'brief', scope: 'read', expires_at: expiresAt });
    assert.equal((await get(replicas.a.base, '/api/v1/workloads', bearer(made.token))).status, 200);
    while (Date.now() / 1000 <= expiresAt) await new Promise((res) => setTimeout(res, 50));
    for (const server of [replicas.a, replicas.b])
      assert.equal((await get(server.base, '/api/v1/workloads', bearer(made.token))).status, 401);
  });

  it("both replicas agree on a workload's namespace when its first reports race", async () => {
    const ingestAll = await makeToken(replicas.a.base, boot, { name: 'trainer-all', scope: 'ingest' });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        postJson(
          i % 2 === 0 ? replicas.a.base : replicas.b.base,
          '/api/v1/wandb/metrics',
          nsMetrics('raced', i % 2 === 0 ? 'team-x' : 'team-y'),
          bearer(ingestAll.token),
        ),
      ),
    );
    assert.ok(answers.every((r) => r.status === 200));
    const [na, nb] = await Promise.all(
      [replicas.a, replicas.b].map(async (s) => (await get(s.base, '/api/v1/workloads/raced', bearer(boot))).json.namespace),
    );
    assert.ok(na === 'team-x' || na === 'team-y');
    assert.equal(nb, na);
  });
});
