// Rules over the wandb run: its config (declared names and keys frameworks write themselves),
// and the words of its project name and tags.

import { CATALOGUE, frameworkByName } from './catalogue.js';
import type { Evidence } from './evidence.js';
import { declared, indicator } from './indicator.js';
import { resolveKnown, resolveName, wordMatches, wordsOf } from './names.js';
import { has, own, type Rec } from './read.js';
import type { Indicator } from './types.js';
import { CONFIG_SIGNATURE_WEIGHT, DECLARED, KIND_WEIGHT } from './weights.js';

/** Top-level config keys whose mere presence names a framework (the original's wandb_config_key). */
const CONFIG_KEYS: ReadonlyArray<[string, string]> = [
  ['primus_config', 'primus'], ['deepspeed_config', 'deepspeed'], ['megatron_config', 'megatron'],
  ['torchtitan_config', 'torchtitan'], ['fsdp_config', 'fsdp'],
];

interface Signature {
  framework: string;
  /** All must be present. */
  keys: string[];
  /** And this one must hold a real value (HF writes `deepspeed: None` when DeepSpeed is off). */
  nonEmpty?: string;
  detail: string;
}

/**
 * Keys a framework writes into wandb.config by itself, so they are evidence it ran, independent
 * of what the user declared: HF Trainer's WandbCallback logs TrainingArguments, Megatron (and
 * Primus on Megatron) passes its argparse namespace to wandb.init.
 */
const SIGNATURES: readonly Signature[] = [
  { framework: 'transformers', keys: ['per_device_train_batch_size', 'gradient_accumulation_steps'], detail: 'HF TrainingArguments' },
  { framework: 'deepspeed', keys: ['per_device_train_batch_size'], nonEmpty: 'deepspeed', detail: 'TrainingArguments.deepspeed' },
  { framework: 'fsdp', keys: ['per_device_train_batch_size'], nonEmpty: 'fsdp', detail: 'TrainingArguments.fsdp' },
  { framework: 'megatron', keys: ['tensor_model_parallel_size', 'pipeline_model_parallel_size'], detail: 'Megatron args' },
  { framework: 'deepspeed', keys: ['zero_optimization', 'train_micro_batch_size_per_gpu'], detail: 'DeepSpeed config' },
];

function isNonEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function configIndicators(config: Rec): Indicator[] {
  const out: Indicator[] = [];
  const framework = resolveName(own(config, 'framework'));
  if (framework !== undefined) {
    out.push(declared('wandb_config_framework', framework, DECLARED.configFramework, `framework=${String(own(config, 'framework'))}`));
  }
  const base = resolveName(own(config, 'base_framework'));
  if (base !== undefined) {
    out.push(declared('wandb_config_base_framework', base, DECLARED.configFramework, `base_framework=${String(own(config, 'base_framework'))}`));
  }
  const backend = resolveKnown(own(config, 'backend'));
  if (backend !== undefined && backend.layer === 'base') {
    out.push(indicator('wandb_config_backend', backend, 'declared', DECLARED.backend, `backend=${String(own(config, 'backend'))}`));
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
  for (const [key, name] of CONFIG_KEYS) {
    const f = frameworkByName(name);
    if (f !== undefined && has(config, key)) out.push(indicator('wandb_config_key', f, 'declared', DECLARED.configKey, key));
  }
  for (const sig of SIGNATURES) {
    const f = frameworkByName(sig.framework);
    const present = sig.keys.every((k) => has(config, k)) && (sig.nonEmpty === undefined || isNonEmpty(own(config, sig.nonEmpty)));
    if (f !== undefined && present) {
      out.push(indicator('wandb_config_signature', f, 'initialized', CONFIG_SIGNATURE_WEIGHT, sig.detail));
    }
  }
  return out;
}

function wordIndicators(signal: string, text: string): Indicator[] {
  const words = wordsOf(text);
  if (words.length === 0) return [];
  return CATALOGUE
    .filter((f) => f.projectTokens.some((t) => words.some((w) => wordMatches(w, t))))
    .map((f) => indicator(signal, f, 'name', KIND_WEIGHT.name, text));
}

export function wandbIndicators(ev: Evidence): Indicator[] {
  const out = ev.config === undefined ? [] : configIndicators(ev.config);
  out.push(...wordIndicators('wandb_project_name', ev.project.slice(0, 256)));
  for (const tag of ev.tags.slice(0, 64)) out.push(...wordIndicators('wandb_tags', tag.slice(0, 256)));
  return out;
}
