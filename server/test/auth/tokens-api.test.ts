// The admin API under /api/v1/tokens: a token is shown once at creation and never again,
// stored only as a hash, listed with its state and last use, revoked at once on this replica;
// bad requests name their field; every creation, revocation and override is audited with the
// acting token's name and without any secret; 401 and 403 say what is wrong and what would do.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { get, postJson, suiteServer } from '../support/app-server.js';
import { bearer, makeToken, nsMetrics, revoke } from './helpers.js';

describe('token admin API', () => {
  const boot = `boot-${randomBytes(12).toString('hex')}`;
  const s = suiteServer({ LENS_API_TOKEN: boot });

  it('creates a token, shows its secret once, stores only its hash, and lists it without secrets', async () => {
    const made = await makeToken(s.base, boot, {
      name: 'trainer-a',
      scope: 'ingest',
      namespaces: ['team-b', 'team-a', 'team-a'],
      expires_at: '2099-01-31T00:00:00Z',
    });
    assert.match(made.token, /^plens_[A-Za-z0-9_-]{43}$/);
    const list = await get(s.base, '/api/v1/tokens', bearer(boot));
    assert.equal(list.status, 200);
    const row = list.json.tokens.find((t: { id: string }) => t.id === made.id);
    assert.deepEqual(
      { ...row, created_at: 0 },
      {
        id: made.id,
        name: 'trainer-a',
        scope: 'ingest',
        namespaces: ['team-a', 'team-b'],
        state: 'active',
        created_at: 0,
        created_by: 'LENS_API_TOKEN',
        expires_at: Date.parse('2099-01-31T00:00:00Z') / 1000,
        last_used_at: null,
        revoked_at: null,
        revoked_by: null,
      },
    );
    assert.ok(!list.text.includes(made.token) && !list.text.includes('hash'), list.text);

    const db = new Database(s.dbPath, { readonly: true });
    try {
      const stored = db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(made.id) as Record<string, unknown>;
      assert.equal(stored.hash, createHash('sha256').update(made.token).digest('hex'));
      assert.ok(
        !JSON.stringify(db.prepare('SELECT * FROM api_tokens').all()).includes(made.token),
        'the secret is in the database',
      );
    } finally {
      db.close();
    }
  });

  it('records when a token was last used', async () => {
    const made = await makeToken(s.base, boot, { name: 'reader', scope: 'read' });
    const before = Date.now() / 1000;
    assert.equal((await get(s.base, '/api/v1/workloads', bearer(made.token))).status, 200);
    let used: number | null = null;
    for (let i = 0; i < 50 && used === null; i++) {
      const list = await get(s.base, '/api/v1/tokens', bearer(boot));
      used = list.json.tokens.find((t: { id: string }) => t.id === made.id).last_used_at;
      if (used === null) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(used !== null && used >= before - 1, `last_used_at ${used}`);
  });

  it('refuses bad requests, naming each field', async () => {
    const r = await postJson(
      s.base,
      '/api/v1/tokens',
      { name: ' ', scope: 'admin', namespaces: ['Team_A'], expires_at: 'tomorrow' },
      bearer(boot),
    );
    assert.equal(r.status, 400, r.text);
    assert.deepEqual(r.json.errors.map((e: { path: string }) => e.path).sort(), ['/expires_at', '/name', '/namespaces/0']);
    const admin = await postJson(s.base, '/api/v1/tokens', { name: 'x', scope: 'admin', namespaces: ['team-a'] }, bearer(boot));
    assert.equal(admin.status, 400);
    assert.match(admin.json.errors[0].message, /admin tokens cover every namespace/);
    const past = await postJson(s.base, '/api/v1/tokens', { name: 'x', scope: 'read', expires_at: 1_000 }, bearer(boot));
    assert.deepEqual([past.status, past.json.errors[0].message], [400, 'is in the past']);
    const extra = await postJson(s.base, '/api/v1/tokens', { name: 'x', scope: 'read', token: 'my-own-secret' }, bearer(boot));
    assert.equal(extra.status, 400, 'a client cannot choose the secret');
    const scope = await postJson(s.base, '/api/v1/tokens', { name: 'x', scope: 'write' }, bearer(boot));
    assert.equal(scope.status, 400);
  });

  it('revokes: 401 at once on this replica, a second revocation changes nothing, an unknown id is 404', async () => {
    const made = await makeToken(s.base, boot, { name: 'short-lived', scope: 'read' });
    assert.equal((await get(s.base, '/api/v1/workloads', bearer(made.token))).status, 200);
    const r = await revoke(s.base, boot, made.id);
    assert.equal(r.status, 200);
    assert.deepEqual([r.json.state, r.json.revoked_by], ['revoked', 'LENS_API_TOKEN']);
    const after = await get(s.base, '/api/v1/workloads', bearer(made.token));
    assert.deepEqual([after.status, after.json.error], [401, 'token rejected: it was revoked']);
    assert.equal(after.headers['www-authenticate'], 'Bearer error="invalid_token"');
    const again = await revoke(s.base, boot, made.id);
    assert.deepEqual([again.status, again.json.revoked_at], [200, r.json.revoked_at]);
    assert.equal((await revoke(s.base, boot, 'nope')).status, 404);
  });

  it('an expired token is refused with the time it expired', async () => {
    const at = Date.now() / 1000 + 0.5;
    const made = await makeToken(s.base, boot, { name: 'brief', scope: 'read', expires_at: at });
    await new Promise((r) => setTimeout(r, 700));
    const r = await get(s.base, '/api/v1/workloads', bearer(made.token));
    assert.equal(r.status, 401);
    assert.equal(r.json.error, `token rejected: it expired at ${new Date(at * 1000).toISOString()}`);
    const list = await get(s.base, '/api/v1/tokens', bearer(boot));
    assert.equal(list.json.tokens.find((t: { id: string }) => t.id === made.id).state, 'expired');
  });

  it('401 tells a missing token from an unknown one; 403 names the scope that would do', async () => {
    const none = await get(s.base, '/api/v1/workloads');
    assert.deepEqual(
      [none.status, none.json.error, none.headers['www-authenticate']],
      [401, 'this server requires an API token (Authorization: Bearer <token>)', 'Bearer'],
    );
    const unknown = await get(s.base, '/api/v1/workloads', bearer('plens_unknown-token-value'));
    assert.deepEqual([unknown.status, unknown.json.error], [401, 'token rejected: it is not a token this server knows']);

    const ingest = await makeToken(s.base, boot, { name: 'trainer-x', scope: 'ingest', namespaces: ['team-x'] });
    const read = await makeToken(s.base, boot, { name: 'grafana-x', scope: 'read', namespaces: ['team-x'] });
    const r1 = await get(s.base, '/api/v1/workloads', bearer(ingest.token));
    assert.deepEqual(
      [r1.status, r1.json.code, r1.json.error],
      [403, 'FORBIDDEN', 'token "trainer-x" has the ingest scope; GET /workloads needs a read token'],
    );
    const r2 = await postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('w', 'team-x'), bearer(read.token));
    assert.deepEqual(
      [r2.status, r2.json.meta.message],
      [403, 'token "grafana-x" has the read scope; POST /wandb/metrics needs an ingest token'],
      'ingest routes answer in their envelope',
    );
    const r3 = await get(s.base, '/api/v1/tokens', bearer(read.token));
    assert.match(r3.json.error, /needs an admin token/);
    const r4 = await postJson(s.base, '/api/v1/workloads/w/framework-detection', { framework: 'megatron' }, bearer(read.token));
    assert.deepEqual(
      [r4.status, r4.json.error],
      [403, 'token "grafana-x" has the read scope; POST /workloads/:uid/framework-detection needs an admin token'],
    );
  });

  it('whoami says which token the request carries', async () => {
    const read = await makeToken(s.base, boot, { name: 'dash', scope: 'read', namespaces: ['team-q'] });
    const r = await get(s.base, '/api/v1/whoami', bearer(read.token));
    assert.deepEqual(r.json, {
      mode: 'token',
      name: 'dash',
      id: read.id,
      scope: 'read',
      namespaces: ['team-q'],
      expires_at: null,
    });
    const b = await get(s.base, '/api/v1/whoami', bearer(boot));
    assert.deepEqual(b.json, {
      mode: 'token',
      name: 'LENS_API_TOKEN',
      id: null,
      scope: 'admin',
      namespaces: [],
      expires_at: null,
    });
  });

  it("audits creation, revocation and detection overrides with the actor's name and no secret", async () => {
    const admin = await makeToken(s.base, boot, { name: 'alice-admin', scope: 'admin' });
    const made = await makeToken(s.base, admin.token, { name: 'audited', scope: 'ingest', namespaces: ['team-a'] });
    assert.equal((await revoke(s.base, admin.token, made.id)).status, 200);
    assert.equal(
      (await postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('w-audit', 'team-a'), bearer(admin.token))).status,
      200,
    );
    const o = await postJson(
      s.base,
      '/api/v1/workloads/w-audit/framework-detection',
      { framework: 'megatron' },
      bearer(admin.token),
    );
    assert.equal(o.status, 200, o.text);
    await new Promise((r) => setTimeout(r, 50));
    const lines = s.logs.filter((l) => typeof l.audit === 'string');
    const of = (event: string) => lines.filter((l) => l.audit === event && l.actor === 'alice-admin');
    assert.deepEqual(
      of('token.created').map((l) => [l.token_id, l.token_name, l.scope, l.namespaces, l.actor_token_id]),
      [[made.id, 'audited', 'ingest', ['team-a'], admin.id]],
    );
    assert.deepEqual(
      of('token.revoked').map((l) => [l.token_id, l.token_name]),
      [[made.id, 'audited']],
    );
    assert.deepEqual(
      of('detection.override').map((l) => [l.workload_uid, l.framework]),
      [['w-audit', 'megatron']],
    );
    assert.equal(lines.find((l) => l.audit === 'token.created' && l.token_id === admin.id)?.actor, 'LENS_API_TOKEN');
    const text = JSON.stringify(s.logs);
    for (const secret of [boot, admin.token, made.token]) assert.ok(!text.includes(secret), 'a secret reached the log');
  });
});
