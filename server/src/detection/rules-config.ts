// Rules over the wandb run: its config (declared names and keys frameworks write themselves),
// and the words of its project name and tags.

import { CATALOGUE, frameworkByName } from './catalogue.js';
import type { Evidence } from './evidence.js';
import { declared, indicator } from './indicator.js';
import { resolveKnown, resolveName, wordMatches, wordsOf } from './names.js';
import { asRecord, has, own, type Rec } from './read.js';
import type { Indicator } from './types.js';
import { CONFIG_SIGNATURE_WEIGHT, DECLARED, KIND_WEIGHT } from './weights.js';

/** Top-level config keys whose mere presence names a framework (the original's wandb_config_key). */
const CONFIG_KEYS: ReadonlyArray<[string, string]> = [
  ['primus_config', 'primus'],
  ['deepspeed_config', 'deepspeed'],
  ['megatron_config', 'megatron'],
  ['torchtitan_config', 'torchtitan'],
  ['fsdp_config', 'fsdp'],
];

export interface Signature {
  framework: string;
  /** Keys the framework writes into wandb.config by itself; `a.b` looks inside a nested section. */
  keys: string[];
  /** How many must be present: a user may write any one of them (`learning_rate`), not a framework's set. */
  min: number;
  /** At least one of these must be among them: the keys no user config would have by chance. */
  anchors?: string[];
  /** Also required: this key holds a real value (HF writes `deepspeed: None` when DeepSpeed is off). */
  nonEmpty?: string;
  /** And this key's value contains this text (a value only the framework writes). */
  valueIncludes?: { key: string; text: string };
  /** Counts only where this other signature matched too (the key means something only there). */
  within?: string;
  detail: string;
}

/** Fields of HF `TrainingArguments` (WandbCallback logs `args.to_dict()` merged with the model config). */
const HF_TRAINING_ARGUMENTS = [
  'output_dir',
  'per_device_train_batch_size',
  'per_device_eval_batch_size',
  'gradient_accumulation_steps',
  'learning_rate',
  'num_train_epochs',
  'max_steps',
  'logging_steps',
  'logging_strategy',
  'save_strategy',
  'eval_strategy',
  'evaluation_strategy',
  'report_to',
  'lr_scheduler_type',
  'warmup_ratio',
  'dataloader_num_workers',
  'push_to_hub',
  'optim',
  'run_name',
  '_name_or_path',
  'fsdp_config',
];

/**
 * Keys a framework writes into wandb.config by itself, so they are evidence it ran, independent
 * of what the user declared, each matched by a threshold over its characteristic set:
 * - HF Trainer: WandbCallback logs the TrainingArguments (and the model config's `_name_or_path`);
 * - Megatron (and Primus on Megatron): `wandb.init(config=vars(args))`, the whole argparse namespace;
 * - TorchTitan: `wandb.init(config=job_config.to_dict())`, one nested section per config class
 *   (older releases: job/profiling/model/…, newer: profiler/dataloader/…; both lists are here);
 * - Lightning: under LightningCLI, `save_hyperparameters` records which function built the module
 *   (`_instantiator`), and WandbLogger.log_hyperparams writes the hparams, that key included;
 *   plain Lightning hparams are the user's own names, so there is nothing else of Lightning's to match;
 * - DeepSpeed: a DeepSpeed config dict logged as is.
 */
export const CONFIG_SIGNATURES: readonly Signature[] = [
  { framework: 'transformers', keys: HF_TRAINING_ARGUMENTS, min: 6, detail: 'HF TrainingArguments' },
  {
    framework: 'deepspeed',
    keys: ['deepspeed'],
    min: 1,
    nonEmpty: 'deepspeed',
    within: 'transformers',
    detail: 'TrainingArguments.deepspeed',
  },
  { framework: 'fsdp', keys: ['fsdp'], min: 1, nonEmpty: 'fsdp', within: 'transformers', detail: 'TrainingArguments.fsdp' },
  {
    framework: 'megatron',
    min: 5,
    detail: 'Megatron args',
    keys: [
      'tensor_model_parallel_size',
      'pipeline_model_parallel_size',
      'micro_batch_size',
      'global_batch_size',
      'seq_length',
      'num_layers',
      'hidden_size',
      'num_attention_heads',
      'max_position_embeddings',
      'train_iters',
      'lr_decay_style',
      'make_vocab_size_divisible_by',
      'tokenizer_type',
      'use_distributed_optimizer',
      'sequence_parallel',
      'wandb_exp_name',
    ],
  },
  {
    framework: 'torchtitan',
    min: 6,
    detail: 'TorchTitan job config',
    // Section names such as `model` or `training` are common words; the parallelism degrees are not.
    anchors: [
      'parallelism.data_parallel_shard_degree',
      'parallelism.tensor_parallel_degree',
      'parallelism.pipeline_parallel_degree',
    ],
    keys: [
      'job',
      'profiling',
      'profiler',
      'metrics',
      'model',
      'model_spec',
      'optimizer',
      'lr_scheduler',
      'training',
      'parallelism.data_parallel_shard_degree',
      'parallelism.tensor_parallel_degree',
      'parallelism.pipeline_parallel_degree',
      'checkpoint',
      'activation_checkpoint',
      'compile',
      'comm',
      'float8',
      'fault_tolerance',
      'dataloader',
    ],
  },
  {
    framework: 'lightning',
    min: 1,
    keys: ['_instantiator'],
    detail: 'LightningCLI hparams',
    valueIncludes: { key: '_instantiator', text: 'lightning.pytorch.cli' },
  },
  {
    framework: 'deepspeed',
    min: 3,
    detail: 'DeepSpeed config',
    keys: [
      'zero_optimization',
      'train_micro_batch_size_per_gpu',
      'train_batch_size',
      'gradient_accumulation_steps',
      'gradient_clipping',
      'steps_per_print',
      'wall_clock_breakdown',
      'zero_allow_untested_optimizer',
    ],
  },
];

function lookup(config: Rec, path: string): { found: boolean; value: unknown } {
  let current: Rec | undefined = config;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i] ?? '';
    if (current === undefined || !has(current, key)) return { found: false, value: undefined };
    const value = own(current, key);
    if (i === parts.length - 1) return { found: true, value };
    current = asRecord(value);
  }
  return { found: false, value: undefined };
}

function isNonEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** The signatures that match, each with how many of its keys were found. */
function matchedSignatures(config: Rec): Array<{ sig: Signature; found: number }> {
  const matched: Array<{ sig: Signature; found: number }> = [];
  for (const sig of CONFIG_SIGNATURES) {
    const found = sig.keys.filter((k) => lookup(config, k).found).length;
    if (found < sig.min) continue;
    if (sig.anchors !== undefined && !sig.anchors.some((k) => lookup(config, k).found)) continue;
    if (sig.nonEmpty !== undefined && !isNonEmpty(lookup(config, sig.nonEmpty).value)) continue;
    const text = sig.valueIncludes === undefined ? undefined : lookup(config, sig.valueIncludes.key).value;
    if (sig.valueIncludes !== undefined && !(typeof text === 'string' && text.includes(sig.valueIncludes.text))) continue;
    if (sig.within !== undefined && !matched.some((m) => m.sig.framework === sig.within && m.sig.within === undefined)) continue;
    matched.push({ sig, found });
  }
  return matched;
}

function configIndicators(config: Rec): Indicator[] {
  const out: Indicator[] = [];
  const framework = resolveName(own(config, 'framework'));
  if (framework !== undefined) {
    out.push(
      declared('wandb_config_framework', framework, DECLARED.configFramework, `framework=${String(own(config, 'framework'))}`),
    );
  }
  const base = resolveName(own(config, 'base_framework'));
  if (base !== undefined) {
    out.push(
      declared(
        'wandb_config_base_framework',
        base,
        DECLARED.configFramework,
        `base_framework=${String(own(config, 'base_framework'))}`,
      ),
    );
  }
  const backend = resolveKnown(own(config, 'backend'));
  if (backend !== undefined && backend.layer === 'base') {
    out.push(
      indicator('wandb_config_backend', backend, 'declared', DECLARED.backend, `backend=${String(own(config, 'backend'))}`),
    );
  }
  const trainer = own(config, 'trainer');
  if (typeof trainer === 'string') {
    const lower = trainer.toLowerCase();
    for (const f of CATALOGUE) {
      if (f.trainerTokens.some((t) => lower.includes(t))) {
        out.push(indicator('wandb_config_trainer', f, 'declared', DECLARED.configTrainer, `trainer=${trainer}`));
      }
    }
  }
  const signatures = matchedSignatures(config);
  // A key that is one of a matched framework's own fields is that framework's setting, not a
  // declaration: TrainingArguments always has `fsdp_config`, whether FSDP is on or not.
  const owned = new Set(signatures.flatMap(({ sig }) => sig.keys.map((k) => k.split('.')[0] ?? k)));
  for (const [key, name] of CONFIG_KEYS) {
    const f = frameworkByName(name);
    if (f !== undefined && has(config, key) && !owned.has(key)) {
      out.push(indicator('wandb_config_key', f, 'declared', DECLARED.configKey, key));
    }
  }
  for (const { sig, found } of signatures) {
    const f = frameworkByName(sig.framework);
    const detail = sig.within === undefined ? `${sig.detail} (${found} of its keys)` : sig.detail;
    if (f !== undefined) out.push(indicator('wandb_config_signature', f, 'initialized', CONFIG_SIGNATURE_WEIGHT, detail));
  }
  return out;
}

function wordIndicators(signal: string, text: string): Indicator[] {
  const words = wordsOf(text);
  if (words.length === 0) return [];
  return CATALOGUE.filter((f) => f.projectTokens.some((t) => words.some((w) => wordMatches(w, t)))).map((f) =>
    indicator(signal, f, 'name', KIND_WEIGHT.name, text),
  );
}

export function wandbIndicators(ev: Evidence): Indicator[] {
  const out = ev.config === undefined ? [] : configIndicators(ev.config);
  out.push(...wordIndicators('wandb_project_name', ev.project.slice(0, 256)));
  for (const tag of ev.tags.slice(0, 64)) out.push(...wordIndicators('wandb_tags', tag.slice(0, 256)));
  return out;
}
