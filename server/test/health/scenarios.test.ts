// The seeded scenario generator through the evaluator, on a virtual clock: at least 200 healthy
// runs without a single alarm, and every injected fault found at the step it was injected, within
// the delay the README documents for it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { effectiveStatus } from '../../src/health/evaluate.js';
import { defaultThresholds } from '../../src/health/thresholds.js';
import { type Fault, generateRun } from './generator.js';
import { simulate } from './simulate.js';

const t = defaultThresholds();
const HEALTHY_RUNS = 240;
const SEEDS_PER_FAULT = 12;

describe(`${HEALTHY_RUNS} healthy runs`, () => {
  test('raise no alarm: no event but "finished", never stalled, lost, diverged, slow or failed', () => {
    const alarms: string[] = [];
    const flavors = new Set<string>();
    let points = 0;
    for (let seed = 1; seed <= HEALTHY_RUNS; seed++) {
      const run = generateRun(seed);
      flavors.add(run.flavor);
      points += run.batches.reduce((n, b) => n + b.batch.points.length, 0);
      const tl = simulate(run, t);
      const bad = tl.events.filter((e) => e.kind !== 'finished').map((e) => `${e.kind}@${e.step}: ${e.detail}`);
      const badStatus = tl.changes.filter((c) => !['healthy', 'unknown', 'finished'].includes(c.status)).map((c) => c.status);
      if (bad.length > 0 || badStatus.length > 0)
        alarms.push(`seed ${seed} (${run.flavor}): ${[...bad, ...badStatus].join('; ')}`);
      assert.equal(tl.last?.status, 'finished', `seed ${seed} ends finished`);
    }
    assert.deepEqual(alarms, []);
    assert.equal(flavors.size, 5, 'every framework flavor is in the sample');
    assert.ok(points > 1_000_000, `${points} points judged`);
  });
});

const FAULTS: Fault[] = ['nan', 'inf', 'spike', 'stall', 'slow', 'failed'];

describe('faults', () => {
  for (const fault of FAULTS) {
    test(`${fault}: found at the injected step within its documented delay (${SEEDS_PER_FAULT} seeds)`, () => {
      for (let i = 0; i < SEEDS_PER_FAULT; i++) {
        const seed = 10_000 + i * 7 + FAULTS.indexOf(fault);
        const run = generateRun(seed, fault);
        const tl = simulate(run, t);
        const where = `seed ${seed} (${run.flavor}, log every ${run.facts.logEvery})`;
        const faultStep = run.faultStep as number;
        const arrival = run.batches.find((b) => b.batch.points.some((p) => p.step >= faultStep))?.at as number;
        const firstChange = (status: string) => tl.changes.find((c) => c.status === status);
        switch (fault) {
          case 'nan':
          case 'inf': {
            const e = tl.events.find((x) => x.kind === 'non_finite');
            assert.equal(e?.step, faultStep, where);
            assert.equal(e?.metric, run.facts.mainLoss, where);
            assert.equal(e?.at, arrival, `${where}: at the arrival of the step`);
            if (fault === 'nan') assert.equal(tl.last?.status, 'finished');
            break;
          }
          case 'spike': {
            const e = tl.events.find((x) => x.kind === 'spike');
            assert.equal(e?.step, faultStep, where);
            assert.equal(e?.at, arrival, where);
            assert.equal(firstChange('diverged')?.at, arrival, where);
            break;
          }
          case 'stall': {
            const last = tl.last!;
            const hangArrival = tl.lastAt;
            const bound = Math.max(
              t.stallFloorSeconds,
              t.stallFactor * run.facts.maxGap,
              t.stallPauseFactor * run.facts.maxPause,
            );
            assert.equal(last.progress.last_step, faultStep, where);
            const stallAt = last.stall_at as number;
            assert.ok(
              stallAt - hangArrival >= t.stallFloorSeconds && stallAt - hangArrival <= bound,
              `${where}: stalled ${stallAt - hangArrival} s after the last step arrived (bound ${bound})`,
            );
            assert.equal(effectiveStatus(last, stallAt - 1).status, 'healthy', where);
            assert.equal(effectiveStatus(last, stallAt).status, 'stalled', where);
            const lostAt = last.lost_at as number;
            assert.ok(lostAt - hangArrival <= Math.max(t.lostSeconds, t.lostFactor * bound), where);
            assert.equal(effectiveStatus(last, lostAt).status, 'lost', where);
            break;
          }
          case 'slow': {
            const e = tl.events.find((x) => x.kind === 'slowdown');
            assert.ok(e !== undefined, `${where}: slowdown found`);
            // The first slow step is the next logged one; a sample covers slowSampleSeconds of the run's time.
            const firstSlow = faultStep + run.facts.logEvery;
            const stepsPerSample =
              Math.max(1, Math.ceil(t.slowSampleSeconds / (run.facts.logEvery * run.facts.stepSeconds))) * run.facts.logEvery;
            assert.ok(
              Math.abs((e.step as number) - firstSlow) <= stepsPerSample + 2 * run.facts.logEvery,
              `${where}: onset ${e.step}, first slow step ${firstSlow} (a sample is ${stepsPerSample} steps)`,
            );
            const delay = (firstChange('slow')?.at as number) - (run.faultWall as number) - run.facts.skew;
            const sample = t.slowSampleSeconds + run.facts.logEvery * run.facts.stepSeconds * run.facts.slowFactor;
            const bound = t.slowSustainSeconds + (t.slowWindowSamples / 2 + t.slowSustainSamples + 4) * sample * 1.6;
            assert.ok(
              delay >= t.slowSustainSeconds - 5 && delay <= bound,
              `${where}: slow ${delay} s after the slowdown (bound ${bound})`,
            );
            break;
          }
          case 'failed': {
            assert.equal(tl.last?.status, 'failed', where);
            assert.deepEqual(
              tl.events.map((e) => [e.kind, e.step]),
              [['failed', faultStep]],
              where,
            );
            break;
          }
        }
        if (fault !== 'slow') assert.ok(!tl.events.some((e) => e.kind === 'slowdown'), `${where}: no slowdown`);
      }
    });
  }
});
