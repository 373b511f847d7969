// Rules over evidence.environment. Key presence counts even with an empty value, as in the
// original server (an exported-but-empty PRIMUS_CONFIG still says "this is a Primus job").

import { type Framework, frameworkByName } from './catalogue.js';
import type { Evidence } from './evidence.js';
import { declared, indicator, runtimeFact } from './indicator.js';
import { resolveKnown, resolveName, wordsOf } from './names.js';
import { has, isTruthyFlag, own, scalarText } from './read.js';
import type { Indicator } from './types.js';
import { DECLARED, KIND_WEIGHT } from './weights.js';

interface EnvRule {
  vars: string[];
  framework: string;
  weight: number;
  signal: string;
  /** 'present': the key exists; 'truthy': its value is 1/true/yes/on. */
  match: 'present' | 'truthy';
  /** Values (lower-case) that say nothing about the framework. */
  unless?: string[];
}

const ENV_RULES: readonly EnvRule[] = [
  {
    vars: ['PRIMUS_CONFIG', 'PRIMUS_VERSION', 'PRIMUS_BACKEND'],
    framework: 'primus',
    weight: KIND_WEIGHT.declared,
    signal: 'env_vars',
    match: 'present',
  },
  // What the Primus launcher scripts export (anchors §5); weaker, they are workspace settings.
  {
    vars: ['PRIMUS_WORKSPACE', 'PRIMUS_PATH', 'PRIMUS_EXP_NAME'],
    framework: 'primus',
    weight: DECLARED.launcherHint,
    signal: 'env_vars',
    match: 'present',
  },
  {
    vars: ['DEEPSPEED_CONFIG', 'DS_CONFIG', 'DEEPSPEED_VERSION'],
    framework: 'deepspeed',
    weight: KIND_WEIGHT.declared,
    signal: 'env_vars',
    match: 'present',
  },
  {
    vars: ['MEGATRON_CONFIG', 'MEGATRON_LM_PATH'],
    framework: 'megatron',
    weight: KIND_WEIGHT.declared,
    signal: 'env_vars',
    match: 'present',
  },
  { vars: ['MEGATRON_PATH'], framework: 'megatron', weight: DECLARED.launcherHint, signal: 'env_vars', match: 'present' },
  { vars: ['TORCHTITAN_PATH'], framework: 'torchtitan', weight: DECLARED.launcherHint, signal: 'env_vars', match: 'present' },
  { vars: ['JAX_BACKEND'], framework: 'jax', weight: KIND_WEIGHT.declared, signal: 'env_vars', match: 'present' },
  // PyTorch images often set JAX_PLATFORMS=cpu just to keep an installed jax off the GPU.
  {
    vars: ['JAX_PLATFORMS'],
    framework: 'jax',
    weight: DECLARED.launcherHint,
    signal: 'env_vars',
    match: 'present',
    unless: ['cpu', ''],
  },
  { vars: ['PL_TRAINER_GPUS'], framework: 'lightning', weight: DECLARED.launcherHint, signal: 'env_vars', match: 'present' },
  // `accelerate launch` turns its config's distributed_type into these flags: a strong base signal.
  {
    vars: ['ACCELERATE_USE_DEEPSPEED'],
    framework: 'deepspeed',
    weight: DECLARED.accelerateLaunch,
    signal: 'accelerate_env',
    match: 'truthy',
  },
  {
    vars: ['ACCELERATE_USE_FSDP'],
    framework: 'fsdp',
    weight: DECLARED.accelerateLaunch,
    signal: 'accelerate_env',
    match: 'truthy',
  },
  {
    vars: ['ACCELERATE_USE_MEGATRON_LM'],
    framework: 'megatron',
    weight: DECLARED.accelerateLaunch,
    signal: 'accelerate_env',
    match: 'truthy',
  },
  {
    vars: ['ACCELERATE_USE_DEEPSPEED', 'ACCELERATE_USE_FSDP', 'ACCELERATE_USE_MEGATRON_LM'],
    framework: 'accelerate',
    weight: DECLARED.accelerateWrapper,
    signal: 'accelerate_env',
    match: 'truthy',
  },
];

/** Env vars whose value is a framework name the user (or the Kubernetes manifest) declared. */
const NAME_VARS = ['FRAMEWORK', 'TRAINING_FRAMEWORK', 'KUBEFLOW_TRAINER_FRAMEWORK'];

/** Launchers, for context only. */
const LAUNCHER_VARS: ReadonlyArray<[string, string]> = [
  ['TORCHELASTIC_RUN_ID', 'torchrun'],
  ['SLURM_JOB_ID', 'slurm'],
  ['OMPI_COMM_WORLD_SIZE', 'mpi'],
];

/** Backends the Primus launcher knows; EXP paths are matched against these names only. */
const PRIMUS_BACKENDS = ['megatron', 'torchtitan', 'maxtext', 'jax'];

/** Only a base can be a Primus backend; BACKEND=nccl and friends name nothing we track. */
function backendOf(raw: string): Framework | undefined {
  const f = resolveKnown(raw);
  return f !== undefined && f.layer === 'base' ? f : undefined;
}

export function envIndicators(ev: Evidence): Indicator[] {
  const out: Indicator[] = [];
  for (const rule of ENV_RULES) {
    const framework = frameworkByName(rule.framework);
    if (framework === undefined) continue;
    const matched = rule.vars.filter(
      (v) =>
        (rule.match === 'present' ? has(ev.env, v) : isTruthyFlag(own(ev.env, v))) &&
        !(rule.unless ?? []).includes(scalarText(own(ev.env, v)).trim().toLowerCase()),
    );
    if (matched.length > 0) out.push(indicator(rule.signal, framework, 'declared', rule.weight, matched.join(', ')));
  }
  for (const name of NAME_VARS) {
    const resolved = resolveName(own(ev.env, name));
    if (resolved !== undefined) {
      out.push(declared('env_framework', resolved, DECLARED.frameworkEnv, `${name}=${scalarText(own(ev.env, name))}`));
    }
  }
  const primusBackend = backendOf(scalarText(own(ev.env, 'PRIMUS_BACKEND')));
  if (primusBackend !== undefined) {
    out.push(
      indicator(
        'env_backend',
        primusBackend,
        'declared',
        KIND_WEIGHT.declared,
        `PRIMUS_BACKEND=${scalarText(own(ev.env, 'PRIMUS_BACKEND'))}`,
      ),
    );
  }
  const backend = backendOf(scalarText(own(ev.env, 'BACKEND')));
  if (backend !== undefined) {
    out.push(indicator('env_backend', backend, 'declared', DECLARED.backend, `BACKEND=${scalarText(own(ev.env, 'BACKEND'))}`));
  }
  // Primus experiment files live under examples/<backend>/configs/…; the path names the backend.
  const exp = scalarText(own(ev.env, 'EXP'));
  const expWord = wordsOf(exp).find((w) => PRIMUS_BACKENDS.includes(w));
  const expBackend = expWord === undefined ? undefined : frameworkByName(expWord);
  if (expBackend !== undefined) out.push(indicator('env_backend', expBackend, 'declared', DECLARED.backend, `EXP=${exp}`));
  for (const [variable, launcher] of LAUNCHER_VARS) {
    if (has(ev.env, variable)) out.push(runtimeFact('launcher_env', launcher, variable));
  }
  return out;
}
