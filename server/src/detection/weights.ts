// Every number the detector uses, in one place, with the reason for it.

import type { IndicatorKind } from './types.js';

/** Default weight of one indicator, by what it proves about the running process. */
export const KIND_WEIGHT: Readonly<Record<IndicatorKind, number>> = {
  // The framework said it is running (e.g. deepspeed.comm.is_initialized()).
  initialized: 0.9,
  // In sys.modules: the process loaded it, but a library may import it without using it.
  imported: 0.7,
  // Framework-specific env var (PRIMUS_CONFIG, DEEPSPEED_CONFIG): the quickstart's rule, 0.80.
  declared: 0.8,
  // pip metadata only: images ship many frameworks they never run.
  installed: 0.3,
  // The run's metric names are the ones the framework logs by itself. Below a loaded module: a
  // user may name a metric anything, and the names say nothing about a base under a wrapper.
  // Above project words, and below STRONG, so metric names alone never make a conflict with a report.
  metrics: 0.45,
  // A word in the project name or tags.
  name: 0.3,
  // The client's advisory hints: the server re-derives everything, so these only break silence.
  hint: 0.15,
  // Evidence the same report contradicts (see rules-discount.ts): kept, with the reason, so a
  // reader sees it, but below everything that names a framework on its own.
  discounted: 0.1,
};

/** Weights of declarations that are weaker than a framework-specific env var. */
export const DECLARED = {
  frameworkEnv: 0.75, // FRAMEWORK / TRAINING_FRAMEWORK (the original's env_framework)
  accelerateLaunch: 0.85, // ACCELERATE_USE_*=true is written by `accelerate launch` from its config
  accelerateWrapper: 0.7,
  configFramework: 0.7,
  configTrainer: 0.65,
  configKey: 0.65,
  backend: 0.6, // BACKEND / EXP path / config.backend: generic names, only mapped when they name a base
  launcherHint: 0.6, // secondary env vars (PRIMUS_WORKSPACE, MEGATRON_PATH, PL_TRAINER_GPUS, JAX_PLATFORMS)
  // The running wrapper's own live state names its base (Accelerate's distributed_type, Primus's
  // configured backend): as strong as `accelerate launch`'s flags, and it cannot be stale.
  runtimeConfigured: 0.85,
  /** A name that is not in the catalogue still counts, a bit lower: we cannot check its layer. */
  uncataloguedPenalty: 0.1,
} as const;

/** Keys that a framework itself writes into wandb.config (e.g. HF Trainer's TrainingArguments). */
export const CONFIG_SIGNATURE_WEIGHT = 0.8;

/** A candidate at or above this is "strongly evidenced": two such in one layer are a conflict. */
export const STRONG = 0.5;
/** Combined confidence never reaches certainty from telemetry alone; only a user override does. */
export const MAX_DETECTED_CONFIDENCE = 0.99;
/** A conflict costs the winner this much confidence (as in the original's merge), down to the floor. */
export const CONFLICT_PENALTY = 0.2;
export const CONFLICT_FLOOR = 0.3;
