// Open mode and the command line. With no LENS_API_TOKEN and no token the server answers
// everyone, as before tokens existed, and says so once; token management stays closed. The
// first token made with `npm run tokens -- create` (the real command, in its own process, on
// the database the server is using) closes it within seconds, said once; that token works,
// `list` shows its last use, and `revoke` stops it within seconds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { get, messages, postJson, suiteServer } from '../support/app-server.js';
import { recordSecret } from '../support/suite-logs.js';
import { bearer, nsMetrics } from './helpers.js';

const serverRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

function tokensCli(dbPath: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('src', 'tokens.ts'), ...args], {
    cwd: serverRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LENS_DATABASE_URL: dbPath, LENS_API_TOKEN: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function until(what: string, check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - start;
}

describe('open mode, closed by the first token from the command line', () => {
  const s = suiteServer({});

  it('answers everyone, says so once, and keeps token management closed', async () => {
    assert.equal(messages(s).filter((m) => m.includes('OPEN MODE')).length, 1);
    assert.equal((await postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('open-job', 'team-a'))).status, 200);
    assert.equal((await get(s.base, '/api/v1/workloads/open-job')).status, 200);
    assert.equal(
      (await postJson(s.base, '/api/v1/workloads/open-job/framework-detection', { framework: 'megatron' })).status,
      200,
    );
    assert.deepEqual((await get(s.base, '/api/v1/whoami')).json, {
      mode: 'open',
      name: 'anonymous (open mode)',
      id: null,
      scope: 'admin',
      namespaces: [],
      expires_at: null,
    });
    const tokens = await postJson(s.base, '/api/v1/tokens', { name: 'x', scope: 'admin' });
    assert.equal(tokens.status, 403);
    assert.match(tokens.json.error, /npm run tokens -- create --scope admin/);
    const override = s.logs.find((l) => l.audit === 'detection.override');
    assert.equal(override?.actor, 'anonymous (open mode)');
  });

  it('the command line refuses bad input with its usage', () => {
    const bad = tokensCli(s.dbPath, ['create', '--name', 'x', '--scope', 'root']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--scope must be one of ingest, read, admin/);
    assert.match(bad.stderr, /usage: npm run -s tokens/);
    assert.equal(tokensCli(s.dbPath, ['frobnicate']).status, 2);
    assert.equal(tokensCli(s.dbPath, ['revoke', 'no-such-id']).status, 1);
    assert.equal(tokensCli(s.dbPath, ['list']).stdout, 'no tokens\n');
  });

  it('a token made with the command line closes the server within seconds, and works', async () => {
    const made = tokensCli(s.dbPath, ['create', '--name', 'first-admin', '--scope', 'admin', '--expires', '30d']);
    assert.equal(made.status, 0, made.stderr);
    const token = made.stdout.trim();
    recordSecret(token);
    assert.match(token, /^plens_/);
    assert.match(made.stderr, /scope=admin {2}namespaces=\(all\) {2}active .* by cli:/);
    assert.ok(!made.stderr.includes(token), 'the token is printed on stdout only');

    const ms = await until(
      'the server requires a token',
      async () => (await get(s.base, '/api/v1/workloads')).status === 401,
      5_000,
    );
    assert.ok(ms < 5_000);
    assert.equal(messages(s).filter((m) => m.includes('a token exists now')).length, 1);
    assert.equal((await get(s.base, '/api/v1/workloads', bearer(token))).status, 200);

    const ingest = tokensCli(s.dbPath, [
      'create',
      '--json',
      '--name',
      'trainer',
      '--scope',
      'ingest',
      '--namespace',
      'team-a,team-b',
      '--namespace',
      'team-c',
    ]);
    assert.equal(ingest.status, 0, ingest.stderr);
    const created = JSON.parse(ingest.stdout) as { id: string; token: string; namespaces: string[] };
    recordSecret(created.token);
    assert.deepEqual(created.namespaces, ['team-a', 'team-b', 'team-c']);
    assert.equal(
      (await postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('cli-job', 'team-b'), bearer(created.token))).status,
      200,
    );

    const listed = JSON.parse(tokensCli(s.dbPath, ['list', '--json']).stdout) as {
      tokens: Array<{ id: string; last_used_at: number | null }>;
    };
    assert.ok(listed.tokens.find((t) => t.id === created.id)?.last_used_at !== null, 'list shows the last use');
    const revoked = tokensCli(s.dbPath, ['revoke', created.id]);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(revoked.stdout, /^revoked .* revoked=.* by cli:/);
    const gone = await until(
      'the revoked token is refused',
      async () =>
        (await postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('cli-job', 'team-b'), bearer(created.token))).status === 401,
      5_000,
    );
    assert.ok(gone < 5_000);
  });
});
