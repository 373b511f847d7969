// Every number health evaluation uses, in one table, each with its default, its bounds, the
// environment variable that changes it, and the reason for the default. The defaults start
// from what peers ship (W&B's crash sweep, NVIDIA NVRx's learned timeouts, Megatron's and
// LLM Foundry's spike rules) and were then tuned on the seeded healthy-run generator in
// test/health/generator.ts until it raised no alarm, never on the fault cases alone.

export interface ThresholdRow {
  readonly value: number;
  readonly unit: 's' | 'ms' | '×' | 'points' | 'samples' | 'σ' | 'runs' | 'events' | 'metrics';
  readonly min: number;
  readonly max: number;
  readonly reason: string;
}

export const THRESHOLDS = {
  // ---- stalled / lost -------------------------------------------------------------------
  stallFloorSeconds: {
    value: 900,
    unit: 's',
    min: 1,
    max: 86_400,
    reason:
      "Never call a run stalled sooner than this. A first checkpoint of several minutes often falls on an evaluation step, before the run has shown its own pauses (NVRx's example checkpointing timeout alone is 600 s; W&B's crash sweep is 5 minutes but counts heartbeats, which go on during a checkpoint, not steps).",
  },
  stallFactor: {
    value: 5,
    unit: '×',
    min: 1,
    max: 100,
    reason:
      "Stalled after this many times the run's own p95 interval between logged steps (NVRx's safety factor of 5), for runs that log rarely.",
  },
  stallPauseFactor: {
    value: 2,
    unit: '×',
    min: 1,
    max: 100,
    reason:
      "A run's own long pauses (checkpoints, evaluation) are typical for it: stalled only after this many times the longest of its last pauses. 2 covers the generator's pause jitter with margin.",
  },
  stallLearnIntervals: {
    value: 8,
    unit: 'samples',
    min: 1,
    max: 10_000,
    reason: "Intervals seen before the run's own interval is trusted; until then the start-up window applies.",
  },
  stallStartupSeconds: {
    value: 1_800,
    unit: 's',
    min: 1,
    max: 604_800,
    reason:
      "Before the run's interval is learned (the first steps: compilation, data loading, slow loggers) a gap this long is still not a stall.",
  },
  lostSeconds: {
    value: 1_800,
    unit: 's',
    min: 1,
    max: 604_800,
    reason:
      "Nothing at all from the run for this long (and at least lostFactor × its stall threshold) and no finish: lost. Between W&B's 5 minutes (too eager for checkpoint-heavy jobs) and ClearML's 2 hours.",
  },
  lostFactor: {
    value: 2,
    unit: '×',
    min: 1,
    max: 100,
    reason: 'Lost never comes before this many stall thresholds, so a slow-logging run is stalled first.',
  },
  // ---- diverged -------------------------------------------------------------------------
  spikeWindowPoints: {
    value: 100,
    unit: 'points',
    min: 10,
    max: 1_000,
    reason: "Recent robust level of a loss: median and MAD over this many points (LLM Foundry's 100-step window).",
  },
  spikeMinPoints: {
    value: 20,
    unit: 'points',
    min: 5,
    max: 1_000,
    reason: 'Points a loss needs before spikes are judged; the first points of training move too fast to have a level.',
  },
  spikeZ: {
    value: 9,
    unit: 'σ',
    min: 2,
    max: 100,
    reason:
      'Robust z-score of log(loss) against the window (MAD × 1.4826 as σ). Peers use 3 on raw values (W&B automations) to 6-8 on logs. Over 1,000 healthy generated runs the worst point that was also 1.5× its level lay between z 7 and 8; 9 leaves a margin and still catches a 4× jump at 15% noise.',
  },
  spikeMinRatio: {
    value: 1.5,
    unit: '×',
    min: 1,
    max: 100,
    reason:
      'A spike must also be this many times the level, so a near-flat plateau (tiny MAD) does not turn a 5% wobble into a spike. Lightning and LLM Foundry use 2.',
  },
  spikeSigmaFloor: {
    value: 0.01,
    unit: 'σ',
    min: 0,
    max: 1,
    reason: 'Smallest σ used, in log units (about 1%), so a constant loss does not make every change infinite in z.',
  },
  spikeExplosionFactor: {
    value: 10,
    unit: '×',
    min: 2,
    max: 1_000,
    reason:
      "Megatron's rule: a loss this many times the largest value of its first window is a spike whatever its recent level, which catches a slow climb the z-score follows.",
  },
  spikeRecoverPoints: {
    value: 10,
    unit: 'points',
    min: 1,
    max: 10_000,
    reason: 'Consecutive points back at the level before a spike counts as recovered and the run is no longer diverged.',
  },
  // ---- slow -----------------------------------------------------------------------------
  slowFactor: {
    value: 1.43,
    unit: '×',
    min: 1.01,
    max: 100,
    reason:
      "Slow when the recent median step time is this many times the run's own baseline: throughput below 0.7 of its own median, NVRx's straggler threshold.",
  },
  slowRecoverFactor: {
    value: 1.2,
    unit: '×',
    min: 1,
    max: 100,
    reason:
      'Back to normal speed once the recent median is within this factor of the baseline (hysteresis, so a run near the line does not flap).',
  },
  slowSampleSeconds: {
    value: 10,
    unit: 's',
    min: 0,
    max: 3_600,
    reason:
      "One step-time sample is the mean over at least this much of the run's own time (or one logged step, if longer): ten samples a second say no more about speed than one, and the window then spans minutes for every run.",
  },
  slowWindowSamples: {
    value: 32,
    unit: 'samples',
    min: 4,
    max: 1_000,
    reason:
      'Step-time samples in the rolling median (at least 5 minutes of the run); a median of 32 ignores evaluation and checkpoint pauses, and its noise is far below 43%.',
  },
  slowWarmupSamples: {
    value: 32,
    unit: 'samples',
    min: 0,
    max: 100_000,
    reason: 'First samples left out of the baseline: compilation and warm-up make the first steps slow.',
  },
  slowBaselineBlocks: {
    value: 32,
    unit: 'points',
    min: 2,
    max: 1_000,
    reason:
      'Baseline = median of the medians of the last normal-speed blocks (one block = one window; judging starts at three), so it follows a slow drift but not a sudden drop: a block that is itself slow is never added.',
  },
  slowSustainSamples: {
    value: 16,
    unit: 'samples',
    min: 1,
    max: 10_000,
    reason: 'The slow condition must hold for this many consecutive samples…',
  },
  slowSustainSeconds: {
    value: 300,
    unit: 's',
    min: 0,
    max: 86_400,
    reason:
      "…and for this long in the run's own time, so a few slow minutes after a restart or a noisy neighbour are not reported.",
  },
  // ---- exposure and machinery -----------------------------------------------------------
  exportGraceSeconds: {
    value: 900,
    unit: 's',
    min: 0,
    max: 604_800,
    reason:
      'A finished or failed run stays on /metrics/training this long, so alerts resolve and dashboards see the end; then it is dropped and cardinality follows the live runs.',
  },
  lostExportSeconds: {
    value: 21_600,
    unit: 's',
    min: 0,
    max: 2_592_000,
    reason:
      'A lost run stays on /metrics/training this long after it was declared lost (6 hours: long enough for the LensTrainingRunLost alert and a shift change).',
  },
  maxExportedRuns: {
    value: 20_000,
    unit: 'runs',
    min: 1,
    max: 1_000_000,
    reason: 'Hard cap on runs on /metrics/training (worst status first), so one scrape stays bounded whatever happens.',
  },
  maxEventsPerRun: {
    value: 200,
    unit: 'events',
    min: 1,
    max: 100_000,
    reason: 'Events kept per run; past it the status still changes but no new events are stored.',
  },
  maxTrackedLosses: {
    value: 4,
    unit: 'metrics',
    min: 1,
    max: 64,
    reason:
      'Loss-like metrics per run that keep a spike window (the main training losses first); NaN and ±Inf are checked on every loss-like metric.',
  },
  flushIntervalMs: {
    value: 5_000,
    unit: 'ms',
    min: 1,
    max: 60_000,
    reason:
      "Observations from ingest are evaluated, and each run's state saved, at most this often per replica: a NaN is reported at most this long after it arrived. The exporter sends every 2 s, so this saves a run's state once per two or three of its bodies, not once per body.",
  },
  sweepIntervalSeconds: {
    value: 15,
    unit: 's',
    min: 1,
    max: 3_600,
    reason:
      'How often a replica checks for runs whose stall or lost deadline passed (to record the event and send the webhook); the API and /metrics/training compute those statuses at read time anyway.',
  },
} as const satisfies Record<string, ThresholdRow>;

export type ThresholdKey = keyof typeof THRESHOLDS;
export type Thresholds = { readonly [K in ThresholdKey]: number };

export const THRESHOLD_KEYS = Object.keys(THRESHOLDS) as ThresholdKey[];

/** stallFloorSeconds → LENS_HEALTH_STALL_FLOOR_SECONDS */
export function envName(key: ThresholdKey): string {
  return `LENS_HEALTH_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

export function defaultThresholds(): Thresholds {
  return Object.fromEntries(THRESHOLD_KEYS.map((k) => [k, THRESHOLDS[k].value])) as Thresholds;
}

/** Defaults overridden by LENS_HEALTH_* variables; every bad value is reported in `problems`. */
export function thresholdsFromEnv(env: NodeJS.ProcessEnv, problems: string[]): Thresholds {
  const out: Record<string, number> = {};
  for (const key of THRESHOLD_KEYS) {
    const row: ThresholdRow = THRESHOLDS[key];
    const name = envName(key);
    const raw = env[name];
    out[key] = row.value;
    if (raw === undefined || raw.trim() === '') continue;
    const value = Number(raw.trim());
    if (!Number.isFinite(value) || value < row.min || value > row.max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be a number from ${row.min} to ${row.max} (${row.unit})`);
      continue;
    }
    out[key] = value;
  }
  const t = out as Thresholds;
  if (t.slowRecoverFactor >= t.slowFactor)
    problems.push(`${envName('slowRecoverFactor')} must be below ${envName('slowFactor')}`);
  if (t.spikeMinPoints > t.spikeWindowPoints)
    problems.push(`${envName('spikeMinPoints')} must not exceed ${envName('spikeWindowPoints')}`);
  return t;
}
