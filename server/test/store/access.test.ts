// The access part of the Store contract, on both backends: tokens are stored as hashes with
// scope, namespaces, expiry, last use and revocation; a workload's namespace is claimed once
// (the first claim wins, also under concurrent claims); the workload list filters and counts
// by namespace; retention forgets the claims of workloads it deleted; upgrading a database
// files existing workloads under their first pod's namespace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type NewToken, openStore } from '../../src/store/index.js';
import { MIGRATIONS as PG_MIGRATIONS } from '../../src/store/pg/migrations.js';
import { applyMigrations as applySqlite } from '../../src/store/sqlite/migrate.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { createDatabase } from '../support/pg.js';
import { BACKENDS, batch, pts, withStore } from './helpers.js';

function token(over: Partial<NewToken> = {}): NewToken {
  return {
    id: 'a1b2c3d4e5f6',
    hash: 'f'.repeat(64),
    name: 'trainer',
    scope: 'ingest',
    namespaces: ['team-a'],
    created_at: 1_700_000_000,
    created_by: 'LENS_API_TOKEN',
    expires_at: null,
    ...over,
  };
}

for (const backend of BACKENDS)
  describe(backend, () => {
    test('tokens: created, found by hash and id, listed newest first, revoked once, touched forward only', () =>
      withStore(backend, async ({ store: s }) => {
        assert.equal(await s.hasTokens(), false);
        const created = await s.createToken(token({ expires_at: 1_800_000_000.5 }));
        assert.deepEqual(created, {
          ...token({ expires_at: 1_800_000_000.5 }),
          last_used_at: null,
          revoked_at: null,
          revoked_by: null,
        });
        await s.createToken(
          token({
            id: 'bbbbbbbbbbbb',
            hash: 'e'.repeat(64),
            name: 'grafana',
            scope: 'read',
            namespaces: [],
            created_at: 1_700_000_100,
            created_by: null,
          }),
        );
        assert.equal(await s.hasTokens(), true);
        assert.deepEqual(await s.findTokenByHash('f'.repeat(64)), created);
        assert.equal((await s.findTokenById('bbbbbbbbbbbb'))?.name, 'grafana');
        assert.deepEqual((await s.findTokenById('bbbbbbbbbbbb'))?.namespaces, []);
        assert.equal(await s.findTokenByHash('0'.repeat(64)), null);
        assert.equal(await s.findTokenById('nope'), null);
        assert.deepEqual(
          (await s.listTokens()).map((x) => x.name),
          ['grafana', 'trainer'],
        );
        await assert.rejects(s.createToken(token({ id: 'cccccccccccc' })), 'a second token with the same hash is refused');

        await s.touchToken(created.id, 1_700_000_500);
        await s.touchToken(created.id, 1_700_000_400); // an older use (another replica, late) never moves it back
        assert.equal((await s.findTokenById(created.id))?.last_used_at, 1_700_000_500);

        const revoked = await s.revokeToken(created.id, 1_700_001_000, 'admin-1');
        assert.equal(revoked?.revoked_at, 1_700_001_000);
        assert.equal(revoked?.revoked_by, 'admin-1');
        const again = await s.revokeToken(created.id, 1_700_002_000, 'admin-2');
        assert.deepEqual([again?.revoked_at, again?.revoked_by], [1_700_001_000, 'admin-1'], 'the first revocation stands');
        assert.equal(await s.revokeToken('nope', 1, null), null);
        assert.equal(await s.hasTokens(), true, 'revoked tokens still count: revoking the last one must not open the server');
      }));

    test('a workload is claimed by the first namespace, also when claims race', () =>
      withStore(backend, async ({ store: s }) => {
        assert.equal(await s.workloadNamespace('w1'), null);
        const claims = await Promise.all(
          Array.from({ length: 12 }, (_, i) => s.claimWorkloadNamespace('w1', `ns-${i}`, 100 + i)),
        );
        const winner = claims[0];
        assert.ok(winner?.startsWith('ns-'));
        assert.deepEqual(
          claims,
          claims.map(() => winner),
          'every claimant is told the same owner',
        );
        assert.equal(await s.workloadNamespace('w1'), winner);
        assert.equal(await s.claimWorkloadNamespace('w1', 'late', 999), winner);
      }));

    test("listWorkloads filters and counts by namespace and shows each row's namespace", () =>
      withStore(backend, async ({ store: s }) => {
        for (const [uid, ns, at] of [
          ['a1', 'team-a', 10],
          ['a2', 'team-a', 20],
          ['b1', 'team-b', 30],
          ['none', null, 40],
        ] as const) {
          if (ns !== null) await s.claimWorkloadNamespace(uid, ns, at);
          await s.writeMetrics(
            batch({
              workload_uid: uid,
              received_at: at,
              identity: { pod_name: `${uid}-0`, ...(ns ? { namespace: ns } : {}) },
              points: pts('loss', 0, 3, (x) => x),
            }),
          );
        }
        const all = await s.listWorkloads({ limit: 10, offset: 0 });
        assert.deepEqual(
          all.workloads.map((w) => [w.workload_uid, w.namespace]),
          [
            ['none', null],
            ['b1', 'team-b'],
            ['a2', 'team-a'],
            ['a1', 'team-a'],
          ],
        );
        const a = await s.listWorkloads({ namespaces: ['team-a'], limit: 1, offset: 0 });
        assert.deepEqual([a.total, a.workloads.map((w) => w.workload_uid)], [2, ['a2']], 'the total counts only the namespace');
        const ab = await s.listWorkloads({ namespaces: ['team-a', 'team-b'], q: '1', limit: 10, offset: 0 });
        assert.deepEqual([ab.total, ab.workloads.map((w) => w.workload_uid)], [2, ['b1', 'a1']]);
        const none = await s.listWorkloads({ namespaces: ['team-c'], limit: 10, offset: 0 });
        assert.deepEqual([none.total, none.workloads], [0, []]);
        assert.equal((await s.getWorkload('b1'))?.namespace, 'team-b');
        assert.equal((await s.getWorkload('none'))?.namespace, null);
      }));

    test('retention forgets the namespace claims of the workloads it deleted, and only those', () =>
      withStore(backend, async ({ store: s }) => {
        await s.claimWorkloadNamespace('old', 'team-a', 1_000);
        await s.writeMetrics(batch({ workload_uid: 'old', received_at: 1_000, points: pts('loss', 0, 3, (x) => x, 1_000) }));
        await s.claimWorkloadNamespace('live', 'team-a', 1_000);
        await s.writeMetrics(batch({ workload_uid: 'live', received_at: 20_000, points: pts('loss', 0, 3, (x) => x, 20_000) }));
        await s.claimWorkloadNamespace('fresh-claim', 'team-b', 19_999); // claimed, no row yet: an ingest in flight
        assert.deepEqual(await s.deleteOlderThan(10_000), { points: 3, workloads: 1 });
        assert.equal(await s.workloadNamespace('old'), null);
        assert.equal(await s.workloadNamespace('live'), 'team-a');
        assert.equal(await s.workloadNamespace('fresh-claim'), 'team-b');
      }));
  });

/** Opens the version-1 database at `url`, whose workload w-ns has three pods and w-none one without a namespace. */
async function assertFiledUnderFirstPod(url: string): Promise<void> {
  const store = await openStore(url);
  try {
    assert.equal(await store.workloadNamespace('w-ns'), 'team-first');
    assert.equal(await store.workloadNamespace('w-none'), null);
  } finally {
    await store.close();
  }
}

describe("upgrading a database files existing workloads under their first pod's namespace", () => {
  test('sqlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lens-access-'));
    const path = join(dir, 'lens.db');
    try {
      const db = new Database(path);
      applySqlite(
        db,
        SQLITE_MIGRATIONS.filter((m) => m.version === 1),
      );
      db.exec(`INSERT INTO workloads (id, uid, first_seen, last_seen) VALUES (1, 'w-ns', 1, 5), (2, 'w-none', 1, 5);
        INSERT INTO pods (workload_id, pod_key, pod_name, namespace, first_seen, last_seen) VALUES
          (1, 'p-late', 'p-late', 'team-late', 3, 5), (1, 'p-first', 'p-first', 'team-first', 2, 5), (1, 'p-nons', 'p-nons', NULL, 1, 5),
          (2, 'q', 'q', NULL, 1, 5);`);
      db.close();
      await assertFiledUnderFirstPod(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('postgres', async () => {
    const db = await createDatabase();
    try {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await c.query(
          'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at float8 NOT NULL)',
        );
        const v1 = PG_MIGRATIONS.find((m) => m.version === 1)!;
        await c.query(v1.sql);
        await c.query("INSERT INTO schema_migrations VALUES (1, 'initial schema', 0)");
        await c.query(`INSERT INTO workloads (uid, first_seen, last_seen) VALUES ('w-ns', 1, 5), ('w-none', 1, 5)`);
        await c.query(`INSERT INTO pods (workload_id, pod_key, pod_name, namespace, first_seen, last_seen)
          SELECT w.id, p.key, p.key, p.ns, p.fs, 5 FROM workloads w,
            (VALUES ('w-ns', 'p-late', 'team-late', 3), ('w-ns', 'p-first', 'team-first', 2), ('w-ns', 'p-nons', NULL, 1),
                    ('w-none', 'q', NULL, 1)) AS p(uid, key, ns, fs)
          WHERE w.uid = p.uid`);
      } finally {
        await c.end();
      }
      await assertFiledUnderFirstPod(db.url);
    } finally {
      await db.drop();
    }
  });
});
