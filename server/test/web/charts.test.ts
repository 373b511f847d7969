// The dashboard's pure chart maths: debiased EMA and its default, the uPlot column layout, step
// ticks, and the legend labels of same-named runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SMOOTHING, debiasedEma, defaultSmoothing, SMOOTHING_BY_POINTS } from '../../web/src/charts/ema.js';
import { STEP_INCREMENTS } from '../../web/src/charts/plot-options.js';
import { alignSeries, appendNewer, drawable } from '../../web/src/charts/series-data.js';
import { seriesLabeler } from '../../web/src/pages/series-labels.js';
import type { RunRow } from '../../web/src/types.js';

describe('debiasedEma', () => {
  it("defaults to TensorBoard's 0.6", () => {
    assert.equal(DEFAULT_SMOOTHING, 0.6);
  });

  it('starts at the first value instead of being dragged towards zero (debiasing)', () => {
    const out = debiasedEma([10, 10, 10], 0.6);
    for (const v of out) assert.ok(Math.abs((v as number) - 10) < 1e-9, `expected 10, got ${v}`);
  });

  it('matches the textbook formula on a step input', () => {
    const w = 0.6;
    const out = debiasedEma([0, 1, 1], w);
    // acc1 = 0; acc2 = 0.4; acc3 = 0.6*0.4 + 0.4 = 0.64; debias by 1 - w^n
    assert.ok(Math.abs((out[1] as number) - 0.4 / (1 - w ** 2)) < 1e-12);
    assert.ok(Math.abs((out[2] as number) - 0.64 / (1 - w ** 3)) < 1e-12);
  });

  it('is the identity at smoothing 0 and smooths harder as the weight grows', () => {
    const noisy = [0, 1, 0, 1, 0, 1, 0, 1];
    assert.deepEqual(debiasedEma(noisy, 0), noisy);
    const spread = (xs: Array<number | null>) => Math.max(...(xs as number[]).slice(4)) - Math.min(...(xs as number[]).slice(4));
    assert.ok(spread(debiasedEma(noisy, 0.9)) < spread(debiasedEma(noisy, 0.5)));
  });

  it('passes NaN, ±Inf and gaps through without poisoning later values', () => {
    const out = debiasedEma([1, NaN, null, Infinity, 1], 0.6);
    assert.ok(Number.isNaN(out[1]));
    assert.equal(out[2], null);
    assert.equal(out[3], Infinity);
    assert.ok(Math.abs((out[4] as number) - 1) < 1e-12);
  });
});

describe('alignSeries', () => {
  const a = { key: 'a#0', steps: [0, 2, 4], values: [1, NaN, 3], times: [100, 102, 104] };
  const b = { key: 'b#0', steps: [1, 2], values: [5, -Infinity], times: [101.5, 103] };

  it('builds one shared sorted x column with nulls where a series has no point', () => {
    const cols = alignSeries([a, b], 'step');
    assert.deepEqual(cols.x, [0, 1, 2, 4]);
    assert.deepEqual(cols.raw[1], [null, 5, -Infinity, null]);
  });

  it('reports every non-finite value as a marker with its step', () => {
    const cols = alignSeries([a, b], 'step');
    assert.deepEqual(
      cols.markers.map((m) => [m.seriesIndex, m.step, m.kind]),
      [
        [0, 2, 'nan'],
        [1, 2, '-inf'],
      ],
    );
  });

  it('uses wall time as x when asked', () => {
    const cols = alignSeries([a, b], 'time');
    assert.deepEqual(cols.x, [100, 101.5, 102, 103, 104]);
    assert.equal(cols.markers[1]?.x, 103);
  });

  it('drawable() turns non-finite values into gaps, and non-positive ones too on a log axis', () => {
    assert.deepEqual(drawable([1, NaN, Infinity, 0, -2, null], false), [1, null, null, 0, -2, null]);
    assert.deepEqual(drawable([1, NaN, Infinity, 0, -2, null], true), [1, null, null, null, null, null]);
  });
});

describe('appendNewer', () => {
  it('appends only steps after the last one it holds (live tail re-delivery is harmless)', () => {
    const target = { key: 'a#0', steps: [0, 1], values: [1, 2], times: [10, 11] };
    const added = appendNewer(target, [1, 2, 3], [9, 3, 4], [11, 12, 13]);
    assert.equal(added, 2);
    assert.deepEqual(target.steps, [0, 1, 2, 3]);
    assert.deepEqual(target.values, [1, 2, 3, 4]);
  });
});

describe('defaultSmoothing', () => {
  it('draws short series as they are and smooths long ones like TensorBoard', () => {
    assert.equal(defaultSmoothing(5), 0);
    assert.equal(defaultSmoothing(29), 0);
    assert.equal(defaultSmoothing(100), 0.3);
    assert.equal(defaultSmoothing(100_000), DEFAULT_SMOOTHING);
    for (const row of SMOOTHING_BY_POINTS) assert.ok(row.reason.length > 0, 'every row says why');
  });

  it('keeps the last smoothed value of a five-point series at the last value', () => {
    const loss = [1.0, 0.8, 0.5, 0.3, 0.2];
    assert.equal(debiasedEma(loss, defaultSmoothing(loss.length)).at(-1), 0.2);
  });
});

describe('step axis', () => {
  it('only ever spaces ticks by whole steps', () => {
    assert.ok(STEP_INCREMENTS.every(Number.isInteger));
    assert.equal(STEP_INCREMENTS[0], 1);
  });
});

describe('seriesLabeler', () => {
  const run = (run_id: string, name: string, rank: number, host: string): RunRow => ({
    run_id,
    name,
    rank,
    host,
    project: 'p',
    local_rank: null,
    node_rank: null,
    world_size: null,
    pod_name: host,
    pid: null,
    state: 'running',
    exit_code: null,
    started_at: null,
    finished_at: null,
    last_seen: 0,
    last_step: null,
    points: 0,
    config: null,
  });

  it('labels a run by its wandb name alone while that is unique', () => {
    const label = seriesLabeler([run('r1', 'llama', 0, 'a'), run('r2', 'gpt', 0, 'b')]);
    assert.equal(label('r1', 0), 'llama');
  });

  it('adds run id and host to runs that share a name', () => {
    const label = seriesLabeler([run('r1', 'llama', 0, 'node-a'), run('r2', 'llama', 0, 'node-b')]);
    assert.equal(label('r1', 0), 'llama · r1 · node-a');
    assert.equal(label('r2', 0), 'llama · r2 · node-b');
  });

  it('adds the rank to every series of a multi-rank workload, but not the host of each rank', () => {
    const label = seriesLabeler([run('r1', 'llama', 0, 'node-a'), run('r1', 'llama', 1, 'node-b')]);
    assert.equal(label('r1', 0), 'llama · r0');
    assert.equal(label('r1', 1), 'llama · r1');
  });

  it('re-runs on one host are told apart by run id', () => {
    const label = seriesLabeler([run('r1', 'llama', 0, 'vm'), run('r2', 'llama', 0, 'vm')]);
    assert.notEqual(label('r1', 0), label('r2', 0));
    assert.equal(label('r2', 0), 'llama · r2');
  });
});
