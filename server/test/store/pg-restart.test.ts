// PostgreSQL going away under a running store, on a private cluster: while it is down calls
// fail with StoreUnavailableError (HTTP: 503 + Retry-After) and ping() is false; after it is
// back, the same store works again without being reopened, and everything that was
// acknowledged before a crash (pg_ctl stop -m immediate) is still there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../scripts/pg-cluster.mjs';
import { openStore, type Store, StoreUnavailableError } from '../../src/store/index.js';
import { createDatabase, privateCluster } from '../support/pg.js';
import { batch, pts } from './helpers.js';
import { assertPgDerivedDataConsistent } from './invariants-pg.js';

let cluster: Cluster;
before(async () => {
  cluster = await privateCluster();
});
after(() => cluster.destroy());

test('acknowledged writes survive a crash of PostgreSQL; the store reconnects by itself', async () => {
  const db = await createDatabase(cluster);
  const store: Store = await openStore(db.url, { pgConnectTimeoutMs: 1_000 });
  try {
    const acks = [];
    for (let i = 0; i < 40; i++) {
      acks.push(store.writeMetrics(batch({ points: pts('loss', i * 50, i * 50 + 50, (s) => (s === 777 ? NaN : s)) })));
    }
    await Promise.all(acks);

    cluster.stopServer('immediate');
    assert.equal(await store.ping(), false);
    await assert.rejects(
      store.writeMetrics(batch({ points: pts('loss', 5000, 5010, (s) => s) })),
      (e: unknown) => e instanceof StoreUnavailableError && e.retryAfterSeconds > 0,
    );
    await assert.rejects(store.getWorkload('w1'), StoreUnavailableError);
    cluster.start();

    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      ready = await store.ping();
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(ready, true, 'the pool reconnected');
    const [s] = await store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 100_000 });
    assert.equal(s?.points.length, 2000);
    assert.ok(Number.isNaN(s?.points[777]?.[1]));
    assert.equal((await store.getWorkload('w1'))?.points, 2000);
    await store.writeMetrics(batch({ points: pts('loss', 2000, 2100, (x) => x) }));
    assert.equal((await store.getWorkload('w1'))?.points, 2100);
    await assertPgDerivedDataConsistent(db.url);
  } finally {
    await store.close();
  }
});
