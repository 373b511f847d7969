// The evaluator on hand-built observations: each rule at the step and time it must fire, and
// not a point earlier. The virtual clock is the observations' arrival times.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Evaluated, effectiveStatus, evaluate } from '../../src/health/evaluate.js';
import { type Observation, observeBatch } from '../../src/health/observe.js';
import { compactState, type RunHealthState } from '../../src/health/state.js';
import { defaultThresholds, type Thresholds } from '../../src/health/thresholds.js';
import type { PointInput } from '../../src/store/types.js';

const T0 = 1_800_000_000;

function batchObs(at: number, points: PointInput[], end?: number | null): Observation {
  const obs = observeBatch({
    workload_uid: 'w',
    run_id: 'r',
    rank: 0,
    identity: { namespace: 'ml' },
    points,
    received_at: at,
    ...(end !== undefined ? { run_state: { state: 'finished', exit_code: end, finished_at: at } } : {}),
  });
  obs.received_at = at;
  return obs;
}

/** Feeds one observation per step: step s logged at wall T0 + s·dt, arriving `lag` later. */
class Run {
  ev: Evaluated | null = null;
  events: Evaluated['events'] = [];
  constructor(readonly t: Thresholds = defaultThresholds()) {}
  feed(obs: Observation): Evaluated {
    this.ev = evaluate(this.ev, this.ev?.state ?? null, [obs], this.t);
    this.events.push(...this.ev.events);
    return this.ev;
  }
  step(step: number, wall: number, values: Record<string, number>, lag = 0.5): Evaluated {
    return this.feed(
      batchObs(
        wall + lag,
        Object.entries(values).map(([name, value]) => ({ name, step, value, wall_time: wall })),
      ),
    );
  }
}

describe('diverged: non-finite losses', () => {
  test('NaN in a loss-like metric: diverged at that step, once per episode, recovered when finite again', () => {
    const run = new Run();
    for (let s = 0; s < 50; s++) run.step(s, T0 + s, { 'lm loss': 3 - s * 0.01, 'loss-scale': s === 20 ? Number.NaN : 65_536 });
    assert.equal(run.ev?.status, 'healthy', 'a NaN loss scale is not a diverged loss');
    run.step(50, T0 + 50, { 'lm loss': Number.NaN });
    assert.equal(run.ev?.status, 'diverged');
    run.step(51, T0 + 51, { 'lm loss': Number.NaN });
    run.step(52, T0 + 52, { 'lm loss': Number.POSITIVE_INFINITY });
    const nf = run.events.filter((e) => e.kind === 'non_finite');
    assert.equal(nf.length, 1);
    assert.deepEqual([nf[0]?.metric, nf[0]?.step, Number.isNaN(nf[0]?.value)], ['lm loss', 50, true]);
    assert.equal(run.ev?.status, 'diverged');
    run.step(53, T0 + 53, { 'lm loss': 2.5 });
    assert.equal(run.ev?.status, 'healthy');
    assert.deepEqual(
      run.events.filter((e) => e.kind === 'recovered').map((e) => e.step),
      [53],
    );
  });

  test('-Inf in an evaluation loss counts; a re-delivered or older NaN is reported at its own step', () => {
    const run = new Run();
    for (let s = 0; s < 10; s++) run.step(s * 10, T0 + s, { 'train/loss': 1, 'eval/loss': 1 });
    run.step(100, T0 + 10, { 'eval/loss': Number.NEGATIVE_INFINITY });
    assert.deepEqual(
      run.events.map((e) => [e.kind, e.metric, e.step]),
      [['non_finite', 'eval/loss', 100]],
    );
  });
});

describe('diverged: spikes', () => {
  test('a jump far above the robust level is a spike at its step; the run recovers after calm points', () => {
    const run = new Run();
    const noise = (s: number): number => 1 + 0.02 * Math.sin(s * 1.7);
    for (let s = 0; s < 60; s++) run.step(s, T0 + s, { loss: 2.0 * noise(s) });
    assert.equal(run.events.length, 0);
    run.step(60, T0 + 60, { loss: 9.0 });
    assert.equal(run.ev?.status, 'diverged');
    const spike = run.events.find((e) => e.kind === 'spike');
    assert.deepEqual([spike?.metric, spike?.step, spike?.value], ['loss', 60, 9]);
    assert.match(spike?.detail ?? '', /4\.5× its recent median/);
    run.step(61, T0 + 61, { loss: 8.5 }); // still high: same episode, no second event
    for (let s = 62; s < 62 + run.t.spikeRecoverPoints; s++) {
      assert.equal(run.ev?.status, 'diverged');
      run.step(s, T0 + s, { loss: 2.0 * noise(s) });
    }
    assert.equal(run.ev?.status, 'healthy');
    assert.deepEqual(
      run.events.map((e) => e.kind),
      ['spike', 'recovered'],
    );
  });

  test('a near-flat plateau does not turn a small wobble into a spike (minimum ratio)', () => {
    const run = new Run();
    for (let s = 0; s < 100; s++) run.step(s, T0 + s, { loss: 1.0 + (s % 2) * 1e-6 });
    run.step(100, T0 + 100, { loss: 1.3 });
    assert.equal(run.events.length, 0);
    run.step(101, T0 + 101, { loss: 1.6 });
    assert.deepEqual(
      run.events.map((e) => [e.kind, e.step]),
      [['spike', 101]],
    );
  });

  test('the first points have no level: a fall from the start value is never a spike', () => {
    const run = new Run();
    for (let s = 0; s < run.t.spikeMinPoints; s++) run.step(s, T0 + s, { loss: s === 3 ? 50 : 10 / (s + 1) });
    assert.equal(run.events.length, 0);
  });

  test('negative losses are judged on their values, not their logs', () => {
    const run = new Run();
    for (let s = 0; s < 50; s++) run.step(s, T0 + s, { elbo_loss: -100 + Math.sin(s) });
    run.step(50, T0 + 50, { elbo_loss: 200 });
    assert.deepEqual(
      run.events.map((e) => [e.kind, e.step]),
      [['spike', 50]],
    );
  });
});

describe('stalled and lost', () => {
  test('stalled after max(floor, k × p95 gap), lost after the lost window; both at read time', () => {
    const run = new Run({ ...defaultThresholds(), stallFloorSeconds: 60, lostSeconds: 600 });
    for (let s = 0; s < 30; s++) run.step(s, T0 + 2 * s, { loss: 1 }, 0.5);
    const ev = run.ev as Evaluated;
    const last = T0 + 2 * 29 + 0.5;
    assert.equal(ev.stall_at, last + 60, 'k × p95 (5 × 2 s) is below the 60 s floor');
    assert.equal(ev.lost_at, last + 600);
    assert.equal(effectiveStatus(ev, last + 59.9).status, 'healthy');
    assert.deepEqual(effectiveStatus(ev, last + 60), { status: 'stalled', since: last + 60 });
    assert.deepEqual(effectiveStatus(ev, last + 600), { status: 'lost', since: last + 600 });
    // A slow logger: every 100 s → 5 × 100 s = 500 s.
    const slow = new Run({ ...defaultThresholds(), stallFloorSeconds: 60 });
    for (let s = 0; s < 30; s++) slow.step(s, T0 + 100 * s, { loss: 1 }, 0);
    assert.equal(slow.ev?.stall_at, T0 + 100 * 29 + 500);
  });

  test("a run's own checkpoint pauses raise its threshold; before it has shown its rhythm the start-up window applies", () => {
    const t = { ...defaultThresholds(), stallFloorSeconds: 60 };
    const run = new Run(t);
    run.step(0, T0, { loss: 1 });
    assert.equal(run.ev?.stall_at, T0 + 0.5 + t.stallStartupSeconds);
    let wall = T0;
    for (let s = 1; s < 200; s++) {
      wall += s % 50 === 0 ? 400 : 1; // a 400 s checkpoint every 50 steps
      run.step(s, wall, { loss: 1 });
      if (s > 60) assert.equal(run.ev?.status, 'healthy');
    }
    assert.equal((run.ev?.stall_at ?? 0) - (wall + 0.5), 2 * 400, 'stallPauseFactor × the longest recent pause');
  });

  test('data that arrives after the deadline records the stall, then the recovery; a finished run never stalls', () => {
    const t = { ...defaultThresholds(), stallFloorSeconds: 60 };
    const run = new Run(t);
    for (let s = 0; s < 20; s++) run.step(s, T0 + s, { loss: 1 });
    run.step(20, T0 + 500, { loss: 1 });
    assert.deepEqual(
      run.events.map((e) => [e.kind, e.step]),
      [
        ['stall', 19],
        ['recovered', 20],
      ],
    );
    assert.equal(run.events[0]?.at, T0 + 19.5 + 60);
    assert.equal(run.ev?.status, 'healthy');
    run.feed(batchObs(T0 + 600, [], 0));
    assert.equal(run.ev?.status, 'finished');
    assert.deepEqual([run.ev?.stall_at, run.ev?.lost_at], [null, null]);
    assert.equal(effectiveStatus(run.ev as Evaluated, T0 + 1e9).status, 'finished');
  });
});

describe('slow', () => {
  test('a lasting slowdown is reported at its onset step once it held for the sustain samples and seconds', () => {
    const t = { ...defaultThresholds(), slowSampleSeconds: 0 }; // one sample per logged step
    const run = new Run(t);
    let wall = T0;
    let reportedAt = 0;
    for (let s = 1; s <= 400; s++) {
      const dt = (s > 200 ? 2.2 : 1.0) * (1 + 0.05 * Math.sin(s * 2.3));
      wall += dt;
      run.step(s, wall, { loss: 1 });
      if (reportedAt === 0 && run.ev?.status === 'slow') reportedAt = wall;
    }
    const slow = run.events.find((e) => e.kind === 'slowdown');
    assert.equal(slow?.step, 201);
    assert.ok(reportedAt > 0);
    const onsetWall = T0 + 200 + 0.5;
    assert.ok(reportedAt - onsetWall >= t.slowSustainSeconds, 'not before the sustain time');
    assert.ok(
      reportedAt - onsetWall <= t.slowSustainSeconds + (t.slowWindowSamples / 2 + 2) * 2.4,
      `reported ${reportedAt - onsetWall} s after the onset`,
    );
    assert.match(slow?.detail ?? '', /from step timestamps/);
  });

  test('a fast logger is judged on samples of slowSampleSeconds of its own time; the onset to within one sample', () => {
    const t = defaultThresholds();
    const run = new Run(t);
    let wall = T0;
    for (let s = 1; s <= 30_000; s++) {
      wall += (s > 16_000 ? 0.25 : 0.1) * (1 + 0.1 * Math.sin(s * 2.3)); // 10 steps a second, then 4
      run.step(s, wall, { loss: 1 });
    }
    const slow = run.events.filter((e) => e.kind === 'slowdown');
    assert.equal(slow.length, 1);
    const stepsPerSample = t.slowSampleSeconds / 0.1;
    assert.ok(Math.abs((slow[0]?.step as number) - 16_001) <= stepsPerSample, `onset ${slow[0]?.step}`);
    assert.ok((run.ev?.state.slow?.window.length ?? 0) <= t.slowWindowSamples);
  });

  test("the framework's own iteration time is preferred to timestamps, and named as the source", () => {
    const run = new Run({ ...defaultThresholds(), slowSustainSeconds: 0, slowSampleSeconds: 0 });
    let wall = T0;
    for (let s = 1; s <= 300; s++) {
      wall += s % 20 === 0 ? 60 : 1; // evaluation pauses make timestamps noisy; the timer is not
      run.step(s, wall, { 'lm loss': 2, 'iteration-time': s > 150 ? 1.9 : 1.0 });
    }
    const slow = run.events.find((e) => e.kind === 'slowdown');
    assert.deepEqual([slow?.metric, slow?.step], ['iteration-time', 151]);
    assert.equal(run.ev?.progress.step_time_source, 'iteration-time');
    assert.deepEqual(run.ev?.progress.performance.iteration_time_s, { value: 1.9, source: 'iteration-time', step: 300 });
  });

  test('throughput is a rate: a drop in tokens per second is a slowdown; mfu(%) is kept as a ratio', () => {
    const run = new Run({ ...defaultThresholds(), slowSustainSeconds: 0, slowSampleSeconds: 0 });
    for (let s = 1; s <= 300; s++) run.step(s, T0 + s, { 'throughput(tps)': s > 150 ? 4_000 : 10_000, 'mfu(%)': 42 });
    assert.deepEqual(
      run.events.filter((e) => e.kind === 'slowdown').map((e) => [e.metric, e.step]),
      [['throughput(tps)', 151]],
    );
    assert.equal(run.ev?.progress.performance.mfu?.value, 0.42);
    assert.equal(run.ev?.progress.performance.mfu?.source, 'mfu(%)');
  });
});

describe('finished, failed, progress, bounds', () => {
  test('exit codes: 0 or none → finished, other → failed; the run leaves /metrics/training after the grace', () => {
    for (const [code, status] of [
      [0, 'finished'],
      [null, 'finished'],
      [137, 'failed'],
    ] as const) {
      const run = new Run();
      run.step(1, T0, { loss: 1 });
      run.feed(batchObs(T0 + 5, [], code));
      assert.equal(run.ev?.status, status);
      assert.equal(run.ev?.export_until, T0 + 5 + run.t.exportGraceSeconds);
      assert.deepEqual(
        run.events.map((e) => e.kind),
        [status],
      );
    }
  });

  test('progress: steps per second, total steps from the config, ETA', () => {
    const run = new Run();
    const obs = observeBatch({
      workload_uid: 'w',
      run_id: 'r',
      rank: 0,
      identity: {},
      points: [],
      received_at: T0,
      run: { config: { train_iters: 1_000 } },
    });
    run.feed(obs);
    for (let s = 0; s <= 100; s++) run.step(s * 10, T0 + s * 5, { loss: 1 });
    const p = run.ev?.progress;
    assert.equal(p?.steps_per_second, 2);
    assert.deepEqual([p?.total_steps, p?.total_steps_source], [1_000, 'config.train_iters']);
    assert.equal(p?.eta_seconds, 0 + (1_000 - 1_000) / 2);
    assert.equal(p?.last_step, 1_000);
  });

  test('memory per run is bounded: the state after 200,000 steps is no larger than after 20,000', () => {
    const run = new Run();
    const size: number[] = [];
    let wall = T0;
    for (let s = 1; s <= 200_000; s++) {
      wall += 0.5;
      if (s % 50 !== 0) continue;
      run.step(s, wall, {
        'loss_metrics/global_avg_loss': 2 + Math.sin(s),
        'loss_metrics/global_max_loss': 3,
        aux_loss: 0.1,
        z_loss: 0.01,
        'moe/balance_loss': 0.2,
        'eval/loss': 2,
        'throughput(tps)': 1e5 + (s % 7),
        'mfu(%)': 40,
      });
      if (s === 20_000 || s === 200_000) {
        compactState(run.ev?.state as RunHealthState);
        size.push(JSON.stringify(run.ev?.state).length);
      }
    }
    assert.equal(Object.keys(run.ev?.state.losses ?? {}).length, run.t.maxTrackedLosses);
    assert.ok(
      (size[1] as number) <= (size[0] as number) * 1.15,
      `state grew from ${size[0]} to ${size[1]} bytes (longer step numbers only)`,
    );
    assert.ok((size[1] as number) < 20_000, `state is ${size[1]} bytes`);
  });

  test('at most maxEventsPerRun events are kept over a run', () => {
    const run = new Run({ ...defaultThresholds(), maxEventsPerRun: 5 });
    for (let s = 0; s < 40; s++) run.step(s, T0 + s, { loss: s % 2 === 0 ? Number.NaN : 1 });
    assert.equal(run.events.length, 5);
    assert.equal(run.ev?.state.events_recorded, 5);
  });
});
