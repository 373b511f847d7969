// Seeded scenario generator: training runs as the server would receive them, batch by batch,
// with realistic noise, and runs with one fault injected at a known step and time.
//
// Healthy runs: loss curves with warm-up, plateaus and step-decay drops, multiplicative jitter
// with a heavy tail (hard batches), uneven step times (gradient accumulation, data-loader
// hiccups), evaluation pauses and checkpoint pauses of several minutes at the run's own
// rhythm, logging every 1-100 steps, exporter batching, network latency and client clock skew,
// and the metric names of Megatron-LM, TorchTitan, HF Trainer, Lightning and plain scripts.
import type { MetricBatch, PointInput } from '../../src/store/types.js';
import { prng } from '../support/prng.js';

export type Fault = 'none' | 'nan' | 'inf' | 'spike' | 'stall' | 'slow' | 'failed';

export interface GeneratedRun {
  id: string;
  fault: Fault;
  flavor: Flavor;
  /** Fault injected at this step (the first step that shows it). */
  faultStep: number | null;
  /** Client wall time at which the fault began (the hang, the slowdown). */
  faultWall: number | null;
  batches: Array<{ at: number; batch: MetricBatch }>;
  /** Generator facts the tests bound detection delays with. */
  facts: {
    logEvery: number;
    stepSeconds: number;
    maxGap: number;
    maxPause: number;
    skew: number;
    mainLoss: string;
    slowFactor: number;
  };
}

type Flavor = 'megatron' | 'torchtitan' | 'hf' | 'lightning' | 'plain';
const FLAVORS: readonly Flavor[] = ['megatron', 'torchtitan', 'hf', 'lightning', 'plain'];

class Rand {
  constructor(private readonly next: () => number) {}
  u(a = 0, b = 1): number {
    return a + (b - a) * this.next();
  }
  int(a: number, b: number): number {
    return Math.floor(this.u(a, b + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** Log-uniform between a and b. */
  logU(a: number, b: number): number {
    return Math.exp(this.u(Math.log(a), Math.log(b)));
  }
}

const LOSS_NAME: Record<Flavor, string> = {
  megatron: 'lm loss',
  torchtitan: 'loss_metrics/global_avg_loss',
  hf: 'train/loss',
  lightning: 'train_loss',
  plain: 'loss',
};

export function generateRun(seed: number, fault: Fault = 'none'): GeneratedRun {
  const r = new Rand(prng(seed));
  const flavor = r.pick(FLAVORS);
  const stepSeconds = r.logU(0.2, 20);
  const jitter = r.u(0.02, 0.15);
  const accumulation = r.chance(0.2); // alternating long and short steps
  // Log every n steps, so that a log comes at least every ~3 minutes.
  const logEvery = r.pick([1, 1, 2, 5, 10, 10, 20, 50, 100].filter((n) => n * stepSeconds <= 180).concat([1]));
  let rows = r.int(400, 1_800);
  const slowFactor = r.u(1.7, 3);
  const spikeFactor = r.u(4, 20);
  // The fault comes after the run has shown its rhythm, and a slow run lasts long enough after it
  // for a slowdown to be judged (the window, then the sustain time).
  let faultRow = fault === 'none' ? null : Math.floor(rows * r.u(0.35, 0.8));
  if (fault === 'slow') {
    // The evaluator averages step times over 10 s of the run's own time: the baseline needs about
    // 130 such samples before the fault (warm-up and three blocks), the verdict about fifty after it.
    const rowsPerSample = Math.max(1, Math.ceil(10 / (logEvery * stepSeconds)));
    faultRow = r.int(150, 200) * rowsPerSample;
    rows = faultRow + Math.max(60 * rowsPerSample, Math.ceil(900 / (logEvery * stepSeconds * slowFactor)));
  }
  const steps = rows * logEvery;
  const evalEvery = r.chance(0.6) ? r.int(20, 200) * logEvery : 0;
  const evalSeconds = r.u(10, 180);
  const ckptEvery = Math.max(logEvery, Math.round(r.u(1_800, 7_200) / stepSeconds / logEvery) * logEvery);
  const ckptSeconds = r.u(60, 360);
  const flushSeconds = r.u(0.5, 2);
  const latency = r.u(0.01, 0.5);
  const skew = r.u(-30, 30);
  const smallLoss = r.chance(0.2);
  const l0 = smallLoss ? r.logU(0.05, 2) : r.u(2, 11);
  const lInf = smallLoss ? l0 * r.u(0.01, 0.3) : r.u(0.5, Math.min(3, l0 * 0.6));
  const tau = steps * r.u(0.02, 0.3);
  const alpha = r.u(0.3, 1.2);
  const noise = smallLoss ? r.u(0.03, 0.12) : r.u(0.01, 0.08);
  const warmup = Math.floor(steps * r.u(0, 0.05));
  const plateaus = Array.from({ length: r.int(0, 3) }, () => [r.int(0, steps), r.int(steps / 50, steps / 10)] as const);
  const drops = Array.from({ length: r.int(0, 2) }, () => [r.int(steps / 3, steps), r.u(0.8, 0.95)] as const);
  const tokensPerStep = r.pick([4_096 * 256, 2_048 * 512, 8_192 * 128]);
  const wantsIterationTime = flavor === 'megatron' && r.chance(0.4);
  const mainLoss = LOSS_NAME[flavor];

  const faultStep = faultRow === null ? null : faultRow * logEvery;

  let wall = 1_760_000_000 + r.u(0, 1e6);
  const start = wall + r.u(20, 600); // model load and compilation before the first step
  wall = start;
  const lossAt = (step: number): number => {
    let s = Math.max(0, step - warmup);
    for (const [at, len] of plateaus) if (step > at) s -= Math.min(len, step - at) * 0.9;
    let v = lInf + (l0 - lInf) * (1 + Math.max(0, s) / tau) ** -alpha;
    for (const [at, f] of drops) if (step >= at) v *= f;
    return v;
  };
  const out: GeneratedRun = {
    id: `run-${seed}-${fault}`,
    fault,
    flavor,
    faultStep,
    faultWall: null,
    batches: [],
    facts: { logEvery, stepSeconds, maxGap: 0, maxPause: 0, skew, mainLoss, slowFactor },
  };
  let pending: PointInput[] = [];
  let nextFlush = start + flushSeconds;
  let lastLogWall = start;
  const send = (at: number, end?: { exit_code: number }): void => {
    out.batches.push({
      at: at + skew + latency * r.u(0.5, 1.5),
      batch: {
        workload_uid: `w-${seed}`,
        run_id: out.id,
        rank: 0,
        identity: { pod_name: `pod-${seed}`, namespace: 'ml' },
        points: pending,
        received_at: 0,
        ...(end ? { run_state: { state: 'finished', exit_code: end.exit_code, finished_at: at } } : {}),
      },
    });
    pending = [];
  };
  let stepTimeSum = 0;
  for (let step = 1; step <= steps; step++) {
    let dt = stepSeconds * Math.exp(jitter * r.normal());
    if (accumulation) dt *= step % 2 === 0 ? 1.4 : 0.6;
    if (r.chance(0.01)) dt *= r.u(1.5, 3); // data-loader hiccup
    if (fault === 'slow' && faultStep !== null && step > faultStep) dt *= slowFactor;
    let pause = 0;
    if (evalEvery > 0 && step % evalEvery === 0) pause += evalSeconds * r.u(0.8, 1.2);
    if (step % ckptEvery === 0) pause += ckptSeconds * r.u(0.75, 1.25);
    wall += dt + pause;
    stepTimeSum += dt;
    if (pause > 0) out.facts.maxPause = Math.max(out.facts.maxPause, pause);
    if (fault === 'slow' && step === (faultStep ?? 0) + 1) out.faultWall = wall - dt;
    if (step % logEvery !== 0) continue;
    const gap = wall - lastLogWall;
    lastLogWall = wall;
    out.facts.maxGap = Math.max(out.facts.maxGap, gap);
    if (fault === 'stall' && step === faultStep) {
      out.faultWall = wall; // hangs right after logging this step: nothing more ever arrives
      pending.push(...rowPoints(step, wall));
      send(Math.max(wall, nextFlush));
      return out;
    }
    pending.push(...rowPoints(step, wall));
    if (fault === 'failed' && step === faultStep) {
      send(wall + flushSeconds, { exit_code: 1 });
      return out;
    }
    if (wall >= nextFlush) {
      send(wall);
      nextFlush = wall + flushSeconds;
    }
    stepTimeSum = 0;
  }
  send(wall + flushSeconds, { exit_code: 0 });
  return out;

  function rowPoints(step: number, at: number): PointInput[] {
    let loss = lossAt(step) * Math.exp(noise * r.normal());
    if (r.chance(0.005)) loss *= Math.exp(noise * r.u(0, 3)); // a hard batch: up to 3 σ more
    if (step < warmup) loss = l0 * Math.exp(noise * r.normal());
    if (faultStep !== null && step >= faultStep) {
      if (fault === 'nan') loss = Number.NaN;
      if (fault === 'inf' && step === faultStep) loss = Number.POSITIVE_INFINITY;
      if (fault === 'spike' && step < faultStep + 5 * logEvery) loss *= spikeFactor;
    }
    const p = (name: string, value: number): PointInput => ({ name, step, value, wall_time: at });
    const lr = 3e-4 * Math.min(1, step / Math.max(1, warmup));
    const grad = Math.abs(1 + 0.3 * r.normal());
    const perStep = stepTimeSum / logEvery;
    switch (flavor) {
      case 'megatron':
        return [
          p('lm loss', loss),
          p('learning-rate', lr),
          p('grad-norm', grad),
          p('loss-scale', r.chance(0.01) ? 65_536 : 131_072),
          ...(wantsIterationTime ? [p('iteration-time', perStep)] : []),
        ];
      case 'torchtitan':
        return [
          p('loss_metrics/global_avg_loss', loss),
          p('loss_metrics/global_max_loss', loss * r.u(1.05, 1.3)),
          p('grad_norm', grad),
          p('throughput(tps)', tokensPerStep / perStep),
          p('mfu(%)', (40 * stepSeconds) / perStep),
          p('memory/max_reserved(GiB)', 61.5),
        ];
      case 'hf':
        return [
          p('train/loss', loss),
          p('train/learning_rate', lr),
          p('train/grad_norm', grad),
          p('train/global_step', step),
          ...(evalEvery > 0 && step % evalEvery === 0 ? [p('eval/loss', lossAt(step) * 1.1 * Math.exp(0.01 * r.normal()))] : []),
        ];
      case 'lightning':
        return [p('train_loss', loss), p('trainer/global_step', step), p('lr-AdamW', lr), p('epoch', Math.floor(step / 1000))];
      default:
        return [p('loss', loss), p('accuracy', Math.min(1, 1 - loss / (l0 + 1)))];
    }
  }
}
