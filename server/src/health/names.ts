// Which metric names mean what, as rule tables with their reasons. Names are matched on
// their last path segment (after the last "/" or "."), lowercased, because frameworks put a
// tag or a section in front (TorchTitan's "<tag>/", HF's "train/", Lightning's "train/device/").

/** A loss-like name: its last segment contains "loss" and is none of these. */
const NOT_A_LOSS: ReadonlyArray<[RegExp, string]> = [
  [/loss[ _-]?scal/, "the AMP loss scale (Megatron's loss-scale) is a multiplier, not a loss; it legitimately jumps"],
  [/loss[ _-]?(weight|coef|coeff|coefficient|factor)s?\b/, 'a constant weight of a loss term, not a loss'],
  [/lossless/, 'a compression setting'],
];

/** The run's main training losses: tracked for spikes first, in this order. */
const MAIN_LOSSES: ReadonlyArray<[RegExp, string]> = [
  [/^(lm[ _-]?)?loss$/, 'generic and Megatron ("lm loss"), HF ("train/loss"), Accelerate and Lightning'],
  [/^global_avg_loss$/, 'TorchTitan (loss_metrics/global_avg_loss)'],
  [/^reduced_train_loss$/, 'NeMo'],
  [/^train[ _-]?loss$/, 'plain scripts'],
];

export function lastSegment(name: string): string {
  const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf('.'));
  return name
    .slice(cut + 1)
    .trim()
    .toLowerCase();
}

export function isLossLike(name: string): boolean {
  const last = lastSegment(name);
  if (!last.includes('loss')) return false;
  return !NOT_A_LOSS.some(([re]) => re.test(last));
}

/** Rank of a loss for spike tracking: 0 for the main training losses (by table order), higher otherwise. */
export function lossPriority(name: string): number {
  const last = lastSegment(name);
  const lower = name.toLowerCase();
  const main = MAIN_LOSSES.findIndex(([re]) => re.test(last));
  // evaluation losses are logged rarely and judged last
  const evaluation = /(^|[/._ -])(val|valid|validation|eval|test)([/._ -]|$)/.test(lower);
  return (main >= 0 ? main : MAIN_LOSSES.length) + (evaluation ? 10 : 0);
}

/** Performance figures a framework logs itself; `invert` marks a rate (higher is faster). */
export type PerfKey =
  | 'iteration_time_s'
  | 'tokens_per_second'
  | 'samples_per_second'
  | 'steps_per_second'
  | 'throughput'
  | 'tflops'
  | 'mfu'
  | 'gpu_memory_gib';

export interface PerfRule {
  key: PerfKey;
  /** Matched against the whole lowercased name (tag prefixes allowed). */
  pattern: RegExp;
  /** Multiply the logged value by this to get the key's unit (e.g. mfu(%) → a 0–1 ratio). */
  scale: number;
  /** Used as a step-time signal for "slow": lower number = preferred source. null: not a speed. */
  speedRank: number | null;
  /** A rate (bigger is faster): its step time is 1 / value. */
  rate: boolean;
  source: string;
}

export const PERF_RULES: readonly PerfRule[] = [
  {
    key: 'iteration_time_s',
    pattern: /(^|\/)iteration-time$/,
    scale: 1,
    speedRank: 0,
    rate: false,
    source: 'Megatron-LM (log_timers_to_tensorboard)',
  },
  { key: 'iteration_time_s', pattern: /(^|\/)train_step_timing in s$/, scale: 1, speedRank: 0, rate: false, source: 'NeMo' },
  {
    key: 'iteration_time_s',
    pattern: /(^|\/)time_metrics\/end_to_end\(s\)$/,
    scale: 1,
    speedRank: 0,
    rate: false,
    source: 'TorchTitan',
  },
  {
    key: 'iteration_time_s',
    pattern: /(^|[/_])(iteration|step)_time(_s|_sec|_seconds)?$/,
    scale: 1,
    speedRank: 1,
    rate: false,
    source: 'generic name',
  },
  { key: 'tokens_per_second', pattern: /(^|\/)throughput\(tps\)$/, scale: 1, speedRank: 2, rate: true, source: 'TorchTitan' },
  {
    key: 'tokens_per_second',
    pattern: /(^|[/_])tokens?_per_s(ec|econd)?$/,
    scale: 1,
    speedRank: 2,
    rate: true,
    source: 'generic name',
  },
  {
    key: 'samples_per_second',
    pattern: /(^|\/)train\/device\/samples_per_sec$/,
    scale: 1,
    speedRank: 3,
    rate: true,
    source: 'Lightning ThroughputMonitor',
  },
  {
    key: 'samples_per_second',
    pattern: /(^|[/_])samples_per_s(ec|econd)?$/,
    scale: 1,
    speedRank: 3,
    rate: true,
    source: 'generic name',
  },
  {
    key: 'steps_per_second',
    pattern: /(^|[/_])steps_per_s(ec|econd)?$/,
    scale: 1,
    speedRank: 4,
    rate: true,
    source: 'HF Trainer or generic name',
  },
  // Megatron's "throughput" is TFLOP/s per GPU, other tools use the word for samples/s: kept
  // under its own name, never converted.
  {
    key: 'throughput',
    pattern: /^throughput$/,
    scale: 1,
    speedRank: 5,
    rate: true,
    source: 'Megatron-LM (log_throughput) or generic name',
  },
  {
    key: 'tflops',
    pattern: /(^|\/)tflops(_per_sec_per_gpu)?$/,
    scale: 1,
    speedRank: null,
    rate: false,
    source: 'TorchTitan, NeMo',
  },
  {
    key: 'tflops',
    pattern: /(^|\/)train\/device\/flops_per_sec$/,
    scale: 1e-12,
    speedRank: null,
    rate: false,
    source: 'Lightning ThroughputMonitor',
  },
  { key: 'mfu', pattern: /(^|\/)mfu\(%\)$/, scale: 0.01, speedRank: null, rate: false, source: 'TorchTitan (percent)' },
  {
    key: 'mfu',
    pattern: /(^|[/_])mfu$/,
    scale: 1,
    speedRank: null,
    rate: false,
    source: 'Lightning ThroughputMonitor or generic name (ratio)',
  },
  {
    key: 'gpu_memory_gib',
    pattern: /(^|\/)memory\/max_reserved\(gib\)$/,
    scale: 1,
    speedRank: null,
    rate: false,
    source: 'TorchTitan',
  },
  {
    key: 'gpu_memory_gib',
    pattern: /(^|\/)memory\/max_active\(gib\)$/,
    scale: 1,
    speedRank: null,
    rate: false,
    source: 'TorchTitan',
  },
];

export function perfRuleFor(name: string): PerfRule | null {
  const lower = name.toLowerCase();
  return PERF_RULES.find((r) => r.pattern.test(lower)) ?? null;
}

/** Config keys that give a run's total number of steps, most specific first. */
export const TOTAL_STEP_KEYS: ReadonlyArray<[string, string]> = [
  ['train_iters', 'Megatron-LM'],
  ['max_steps', 'HF Trainer, Lightning'],
  ['training.steps', 'TorchTitan'],
  ['trainer.max_steps', 'NeMo, Lightning configs'],
  ['total_steps', 'generic'],
  ['num_training_steps', 'generic'],
];

/** The first positive integer among TOTAL_STEP_KEYS in a wandb config ("a.b" looks into nested objects). */
export function totalStepsFromConfig(config: unknown): { value: number; source: string } | null {
  if (config === null || typeof config !== 'object') return null;
  for (const [key, _who] of TOTAL_STEP_KEYS) {
    const value = lookup(config as Record<string, unknown>, key);
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return { value, source: `config.${key}` };
  }
  return null;
}

function lookup(obj: Record<string, unknown>, path: string): unknown {
  if (path in obj) return unwrap(obj[path]);
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = unwrap((cur as Record<string, unknown>)[part]);
  }
  return cur;
}

/** wandb sometimes stores config entries as {value: x, desc: …}. */
function unwrap(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && 'value' in (v as Record<string, unknown>))
    return (v as Record<string, unknown>).value;
  return v;
}

/** Bounded memo of name classification: names repeat in every batch. */
export interface NameClass {
  loss: boolean;
  perf: PerfRule | null;
  /** Index of `perf` in PERF_RULES (-1 for none). */
  perfIndex: number;
}

const MEMO_LIMIT = 50_000;
const memo = new Map<string, NameClass>();

export function classify(name: string): NameClass {
  let c = memo.get(name);
  if (c === undefined) {
    const perf = perfRuleFor(name);
    c = { loss: isLossLike(name), perf, perfIndex: perf === null ? -1 : PERF_RULES.indexOf(perf) };
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(name, c);
  }
  return c;
}
