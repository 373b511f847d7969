// Run health rows and events, on both backends: compare-and-set saves, events once per
// (run, kind, metric, step) with their non-finite values, the reads the API, the sweep and
// /metrics/training use, the workload list's health filter, and removal with the run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HealthEventRecord, RunHealthRecord, RunHealthWrite } from '../../src/store/types.js';
import { BACKENDS, batch, pts, withStore } from './helpers.js';

const NOW = 1_700_000_100;

function record(over: Partial<RunHealthRecord> = {}): RunHealthRecord {
  return {
    workload_uid: 'w1',
    run_id: 'run-a',
    rank: 0,
    namespace: 'ml',
    version: 0,
    status: 'healthy',
    since: NOW - 50,
    stall_at: NOW + 900,
    lost_at: NOW + 1_800,
    export_until: null,
    progress: { last_step: 9 },
    state: { v: 1, windows: [1, 2, 3] },
    updated_at: NOW,
    ...over,
  };
}

function event(over: Partial<HealthEventRecord> = {}): HealthEventRecord {
  return {
    workload_uid: 'w1',
    run_id: 'run-a',
    rank: 0,
    kind: 'non_finite',
    metric: 'loss',
    step: 7,
    value: Number.NaN,
    at: NOW,
    detail: 'loss is NaN',
    ...over,
  };
}

const write = (rec: RunHealthRecord, expected: number, events: HealthEventRecord[] = []): RunHealthWrite => ({
  record: rec,
  expected_version: expected,
  events,
});

for (const backend of BACKENDS)
  describe(backend, () => {
    test('saveRunHealth is compare-and-set on the version; getRunHealth returns state and progress as saved', () =>
      withStore(backend, async ({ store: s }) => {
        await s.writeMetrics(batch({ points: pts('loss', 0, 10, (x) => x) }));
        assert.deepEqual(await s.getRunHealth([{ workload_uid: 'w1', run_id: 'run-a', rank: 0 }]), []);
        assert.deepEqual(await s.saveRunHealth([write(record(), 0)]), [true]);
        assert.deepEqual(await s.saveRunHealth([write(record({ status: 'slow' }), 0)]), [false], 'a second first save loses');
        const [got] = await s.getRunHealth([{ workload_uid: 'w1', run_id: 'run-a', rank: 0 }]);
        assert.deepEqual(got, { ...record(), version: 1 });
        // Two writers read version 1; the first save wins, the second must reload.
        assert.deepEqual(
          await s.saveRunHealth([write(record({ status: 'diverged' }), 1), write(record({ status: 'slow' }), 1)]),
          [true, false],
        );
        const [after] = await s.getRunHealth([{ workload_uid: 'w1', run_id: 'run-a', rank: 0 }]);
        assert.deepEqual([after?.status, after?.version], ['diverged', 2]);
        // No run row (a typo'd key, or a run removed by retention): nothing is saved.
        assert.deepEqual(await s.saveRunHealth([write(record({ run_id: 'nope' }), 0)]), [false]);
      }));

    test('events are stored once per (run, kind, metric, step) with their NaN/±Inf values, newest kept under the limit', () =>
      withStore(backend, async ({ store: s }) => {
        await s.writeMetrics(batch({ points: pts('loss', 0, 10, (x) => x) }));
        await s.writeMetrics(batch({ rank: 1, points: pts('loss', 0, 10, (x) => x) }));
        const events = [
          event(),
          event({ kind: 'spike', value: Number.POSITIVE_INFINITY, at: NOW + 1 }),
          event({ kind: 'stall', metric: null, step: null, value: null, at: NOW + 2, detail: 'no new step' }),
        ];
        assert.deepEqual(await s.saveRunHealth([write(record(), 0, events)]), [true]);
        assert.deepEqual(
          await s.saveRunHealth([
            write(record(), 1, [event(), event({ kind: 'spike', value: -Infinity, step: 8, at: NOW + 3 })]),
          ]),
          [true],
        );
        assert.deepEqual(await s.saveRunHealth([write(record({ rank: 1 }), 0, [event({ rank: 1, value: -1.5, at: NOW + 4 })])]), [
          true,
        ]);
        const all = await s.listHealthEvents('w1', 100);
        assert.equal(all.length, 5, 'the repeated NaN event at step 7 is stored once');
        assert.ok(Number.isNaN(all[0]?.value));
        assert.deepEqual(
          all.slice(1).map((e) => [e.kind, e.metric, e.step, e.value, e.rank]),
          [
            ['spike', 'loss', 7, Infinity, 0],
            ['stall', null, null, null, 0],
            ['spike', 'loss', 8, -Infinity, 0],
            ['non_finite', 'loss', 7, -1.5, 1],
          ],
        );
        assert.deepEqual(
          (await s.listHealthEvents('w1', 2)).map((e) => e.at),
          [NOW + 3, NOW + 4],
          'the newest, oldest first',
        );
        assert.deepEqual(await s.listHealthEvents('nope', 10), []);
      }));

    test("due runs (a deadline passed), exported runs (worst first, bounded) and each workload's worst status at a time", () =>
      withStore(backend, async ({ store: s }) => {
        for (const [uid, run] of [
          ['job-a', 'r1'],
          ['job-a', 'r2'],
          ['job-b', 'r1'],
          ['job-c', 'r1'],
          ['job-d', 'r1'],
        ] as const) {
          await s.writeMetrics(batch({ workload_uid: uid, run_id: run, points: pts('loss', 0, 3, (x) => x) }));
        }
        const key = (workload_uid: string, run_id: string) => ({ workload_uid, run_id, rank: 0 });
        await s.saveRunHealth([
          write(record({ ...key('job-a', 'r1'), stall_at: NOW + 10, lost_at: NOW + 100 }), 0),
          write(record({ ...key('job-a', 'r2'), status: 'slow', stall_at: NOW + 1_000, lost_at: NOW + 2_000 }), 0),
          write(record({ ...key('job-b', 'r1'), status: 'finished', stall_at: null, lost_at: null, export_until: NOW + 50 }), 0),
          write(record({ ...key('job-c', 'r1'), status: 'failed', stall_at: null, lost_at: null, export_until: NOW - 1 }), 0),
          write(record({ ...key('job-d', 'r1'), status: 'stalled', stall_at: null, lost_at: NOW + 500 }), 0),
        ]);
        assert.deepEqual(
          (await s.listDueRunHealth(NOW, 10)).map((r) => r.workload_uid),
          [],
        );
        const due = await s.listDueRunHealth(NOW + 10, 10);
        assert.deepEqual(
          due.map((r) => [r.workload_uid, r.run_id]),
          [['job-a', 'r1']],
        );
        assert.deepEqual(due[0]?.state, { v: 1, windows: [1, 2, 3] }, 'the sweep gets the state');
        assert.deepEqual((await s.listDueRunHealth(NOW + 600, 10)).map((r) => r.workload_uid).sort(), ['job-a', 'job-d']);

        const exported = await s.listExportedRunHealth(NOW, 10);
        assert.deepEqual(
          exported.map((r) => `${r.workload_uid}/${r.run_id}`),
          ['job-d/r1', 'job-a/r2', 'job-a/r1', 'job-b/r1'],
          'failed job-c has left; worst first: stalled, slow, healthy, finished',
        );
        assert.equal(exported[0]?.state, null, 'lists carry no state');
        assert.deepEqual(
          (await s.listExportedRunHealth(NOW + 20, 10)).slice(0, 2).map((r) => `${r.workload_uid}/${r.run_id}`),
          ['job-a/r1', 'job-d/r1'],
          'job-a/r1 is stalled at NOW + 20 (judged at the given time), level with job-d, so by name',
        );
        assert.equal((await s.listExportedRunHealth(NOW + 60, 2)).length, 2);

        assert.deepEqual(await s.workloadHealth(['job-a', 'job-b', 'job-c', 'job-d', 'job-x'], NOW), {
          'job-a': 'slow',
          'job-b': 'finished',
          'job-c': 'failed',
          'job-d': 'stalled',
        });
        assert.deepEqual(await s.workloadHealth(['job-a'], NOW + 100), { 'job-a': 'lost' }, 'lost is worse than slow');
        assert.deepEqual(
          (await s.listRunHealth('job-a')).map((r) => [r.run_id, r.status, r.version]),
          [
            ['r1', 'healthy', 1],
            ['r2', 'slow', 1],
          ],
        );

        const names = async (health: string, now = NOW) =>
          (await s.listWorkloads({ health, now, limit: 10, offset: 0 })).workloads.map((w) => w.workload_uid).sort();
        assert.deepEqual(await names('slow'), ['job-a']);
        assert.deepEqual(await names('stalled'), ['job-d']);
        assert.deepEqual(await names('lost', NOW + 100), ['job-a']);
        assert.deepEqual(await names('unknown'), [], 'every workload here has evaluated runs');
        assert.deepEqual(await names('bogus'), []);
        assert.equal((await s.listWorkloads({ health: 'failed', now: NOW, limit: 10, offset: 0 })).total, 1);
      }));

    test('health rows and events leave with their workload when retention removes it', () =>
      withStore(backend, async ({ store: s }) => {
        await s.writeMetrics(batch({ workload_uid: 'old', received_at: 100, points: pts('loss', 0, 3, (x) => x, 100) }));
        await s.writeMetrics(batch({ workload_uid: 'new', received_at: NOW, points: pts('loss', 0, 3, (x) => x, NOW) }));
        await s.saveRunHealth([
          write(record({ workload_uid: 'old' }), 0, [event({ workload_uid: 'old' })]),
          write(record({ workload_uid: 'new' }), 0, [event({ workload_uid: 'new' })]),
        ]);
        await s.deleteOlderThan(1_000);
        assert.deepEqual(await s.listRunHealth('old'), []);
        assert.deepEqual(await s.listHealthEvents('old', 10), []);
        assert.equal((await s.listExportedRunHealth(NOW, 10)).length, 1);
        // The run comes back under a new row: its health starts afresh, it is never mistaken for the old one.
        await s.writeMetrics(batch({ workload_uid: 'old', received_at: NOW, points: pts('loss', 0, 3, (x) => x, NOW) }));
        assert.deepEqual(await s.saveRunHealth([write(record({ workload_uid: 'old' }), 1)]), [false]);
        assert.deepEqual(await s.saveRunHealth([write(record({ workload_uid: 'old' }), 0)]), [true]);
        assert.equal((await s.listRunHealth('new')).length, 1);
      }));
  });
