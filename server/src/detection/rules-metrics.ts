// The metric-name fingerprint: every job sends metrics, and frameworks name the ones they log
// by themselves recognisably. A run's first metric names → a framework, as one more source that
// the merge weighs like any other (weaker than what a report shows running, stronger than
// project words: KIND_WEIGHT.metrics).
//
// Each row lists the names the framework's own code passes to wandb.log by default (or behind
// a flag, said so), read from the framework's source; it matches when at least `min` of them
// are present and one of them is an anchor, a name no other framework or user would log by chance.

import { frameworkByName } from './catalogue.js';
import { indicator } from './indicator.js';
import type { Indicator } from './types.js';
import { KIND_WEIGHT } from './weights.js';

export interface Fingerprint {
  framework: string;
  /** Exact metric names. */
  names: string[];
  /** Name prefixes (`lr-` for Lightning's LearningRateMonitor, `lr-Adam`, `lr-SGD`, …). */
  prefixes?: string[];
  /** A name also matches with any `<tag>/` in front of it (the framework's logger can prefix every key). */
  anyTag?: boolean;
  /** At least this many distinct names must match. */
  min: number;
  /** And at least one of these (an exact name or a prefix above). */
  anchors: string[];
  source: string;
}

export const FINGERPRINTS: readonly Fingerprint[] = [
  {
    framework: 'megatron',
    min: 3,
    anchors: ['samples vs steps', 'lm loss'],
    // training_log(): `samples vs steps`, `learning-rate`, `batch-size`, every loss_dict key (GPT: `lm loss`),
    // `loss-scale` (log_loss_scale_to_tensorboard, on by default), `grad-norm`; behind flags that default to
    // off: `num-zeros`, `params-norm`, `world-size`, `iteration-time`, `throughput`; evaluate: `lm loss validation`.
    names: [
      'samples vs steps',
      'lm loss',
      'learning-rate',
      'batch-size',
      'loss-scale',
      'grad-norm',
      'num-zeros',
      'params-norm',
      'world-size',
      'iteration-time',
      'throughput',
      'skipped-train-samples',
      'lm loss validation',
    ],
    source: 'megatron/training/training.py training_log()',
  },
  {
    framework: 'torchtitan',
    min: 3,
    anchors: ['loss_metrics/global_avg_loss', 'loss_metrics/global_max_loss', 'throughput(tps)', 'mfu(%)'],
    // MetricsProcessor.log(): one dict per logged step; WandBLogger puts `<tag>/` before every key when a tag is set.
    names: [
      'loss_metrics/global_avg_loss',
      'loss_metrics/global_max_loss',
      'grad_norm',
      'throughput(tps)',
      'tflops',
      'mfu(%)',
      'time_metrics/end_to_end(s)',
      'time_metrics/data_loading(s)',
      'time_metrics/data_loading(%)',
      'memory/max_active(GiB)',
      'memory/max_active(%)',
      'memory/max_reserved(GiB)',
      'memory/max_reserved(%)',
      'memory/num_alloc_retries',
      'memory/num_ooms',
      'n_tokens_seen',
      'validation_metrics/loss',
    ],
    anyTag: true,
    source: 'torchtitan/components/metrics.py MetricsProcessor.log()',
  },
  {
    framework: 'nemo',
    min: 2,
    anchors: ['reduced_train_loss', 'train_step_timing in s'],
    // MegatronStrategy logs `reduced_train_loss`, `global_step`, `consumed_samples`; the TimingCallback
    // `<phase>_step_timing in s`. NeMo logs through Lightning, so Lightning's keys come along.
    names: [
      'reduced_train_loss',
      'train_step_timing in s',
      'validation_step_timing in s',
      'global_step',
      'consumed_samples',
      'val_loss',
    ],
    source: 'nemo/lightning/pytorch/strategies/megatron_strategy.py, nemo/utils/exp_manager.py TimingCallback',
  },
  {
    framework: 'transformers',
    min: 3,
    anchors: ['train/global_step', 'train/grad_norm', 'train/learning_rate', 'eval/runtime'],
    // WandbCallback.on_log(): rewrite_logs() puts `train/` before every key that is not eval_/test_, `eval/`
    // before eval_ ones; `train/global_step` is its step metric and is added to every call.
    names: [
      'train/loss',
      'train/grad_norm',
      'train/learning_rate',
      'train/epoch',
      'train/global_step',
      'eval/loss',
      'eval/runtime',
      'eval/samples_per_second',
      'eval/steps_per_second',
    ],
    source: 'transformers/integrations/integration_utils.py WandbCallback',
  },
  {
    framework: 'lightning',
    min: 2,
    anchors: ['trainer/global_step'],
    // WandbLogger.log_metrics() adds `trainer/global_step` to every call; the logger connector adds
    // `epoch`; LearningRateMonitor logs `lr-<Optimizer>`, ThroughputMonitor `train/device/…`.
    names: [
      'trainer/global_step',
      'epoch',
      'train/device/samples_per_sec',
      'train/device/batches_per_sec',
      'train/device/flops_per_sec',
      'train/device/mfu',
    ],
    prefixes: ['lr-'],
    source: 'lightning/pytorch/loggers/wandb.py, trainer/connectors/logger_connector',
  },
  {
    framework: 'deepspeed',
    min: 1,
    anchors: ['Train/Samples/'],
    // The engine's monitor (`wandb: {enabled: true}` in the DeepSpeed config, off by default) logs its
    // summary events, all under `Train/Samples/` (lr, loss_scale, train_loss, elapsed_time_ms_*).
    names: [],
    prefixes: ['Train/Samples/'],
    source: 'deepspeed/runtime/engine.py summary_events, deepspeed/monitor/wandb.py',
  },
];

/** How many distinct names to look at: the first metrics of a run are enough, and a body is bounded. */
export const MAX_FINGERPRINT_NAMES = 512;
/** Matched names shown in an indicator's detail. */
const DETAIL_NAMES = 6;

function stripTag(name: string, fp: Fingerprint): string[] {
  if (fp.anyTag !== true) return [name];
  const cut = name.indexOf('/');
  return cut > 0 ? [name, name.slice(cut + 1)] : [name];
}

/** The fingerprint's names (or prefixes) that the run's names match, sorted. */
export function matchedNames(fp: Fingerprint, names: readonly string[]): string[] {
  const hits = new Set<string>();
  for (const raw of names) {
    for (const name of stripTag(raw, fp)) {
      if (fp.names.includes(name)) hits.add(name);
      for (const prefix of fp.prefixes ?? []) if (name.startsWith(prefix) && name.length > prefix.length) hits.add(name);
    }
  }
  return [...hits].sort();
}

function anchored(fp: Fingerprint, hits: string[]): boolean {
  return hits.some((h) => fp.anchors.some((a) => h === a || (a.endsWith('/') && h.startsWith(a))));
}

/** One indicator per matching fingerprint (kind `metrics`), naming the matched names. */
export function metricIndicators(names: readonly string[]): Indicator[] {
  const bounded = names.slice(0, MAX_FINGERPRINT_NAMES);
  const out: Indicator[] = [];
  for (const fp of FINGERPRINTS) {
    const hits = matchedNames(fp, bounded);
    const f = frameworkByName(fp.framework);
    if (f === undefined || hits.length < fp.min || !anchored(fp, hits)) continue;
    const shown = hits.slice(0, DETAIL_NAMES).join(', ');
    const detail = hits.length > DETAIL_NAMES ? `${shown}, +${hits.length - DETAIL_NAMES} more` : shown;
    out.push(indicator('metric_names', f, 'metrics', KIND_WEIGHT.metrics, detail));
  }
  return out;
}
