// The framework catalogue: everything the detector knows about each framework, as data.
// Order matters: within a layer, an earlier entry wins a tie (more specific stacks first,
// plain pytorch last). Weights are in weights.ts; rule code never hard-codes a framework.

export type FrameworkLayer = 'wrapper' | 'base';

export interface ModulePattern {
  /** A sys.modules name; it also matches its submodules (`megatron` matches `megatron.core`). */
  prefix: string;
  /** Overrides the default import weight where importing proves little (HF transformers). */
  imported?: number;
  /**
   * The module is loaded only when its framework is in use, so loading it shows use, not
   * presence: Primus's backend registry imports `primus.backends.<backend>` on demand, for the
   * backend it is configured with only.
   */
  inUse?: boolean;
}

/** A module a wrapper imports for its own plumbing, whether or not the job uses what it names. */
export interface Plumbing {
  module: string;
  /** Only the module itself, not its submodules (bare `transformers`, not `transformers.trainer`). */
  exact?: boolean;
  reason: string;
}

export interface Framework {
  name: string;
  layer: FrameworkLayer;
  /** Other spellings seen in env vars, configs, hints and the v0.2 payload. */
  aliases: string[];
  modules: ModulePattern[];
  /** Distribution names, compared after PEP 503-style normalisation (see names.ts). */
  packages: string[];
  /** Words in the wandb project name or tags that suggest the framework. */
  projectTokens: string[];
  /** Substrings of wandb `config.trainer` that name the framework. */
  trainerTokens: string[];
  /** Frameworks of the same layer this one imports itself; their presence is expected, not a conflict. */
  buildsOn: string[];
  /** Wrappers only: modules it loads itself; while it runs, their being loaded is no evidence. */
  plumbing: Plumbing[];
  /** Weight when only the package is installed (default in weights.ts). */
  installed?: number;
  /** Weight of `modules.initialized[...] === true` (default in weights.ts). */
  initialized?: number;
  /** The lowest base: chosen only when no other base has any evidence. */
  fallback?: boolean;
}

function fw(entry: Partial<Framework> & Pick<Framework, 'name' | 'layer'>): Framework {
  return {
    aliases: [],
    modules: [],
    packages: [],
    projectTokens: [],
    trainerTokens: [],
    buildsOn: [],
    plumbing: [],
    ...entry,
  };
}

export const CATALOGUE: readonly Framework[] = [
  // ---- wrappers: what the user's training script drives ----
  fw({
    name: 'primus',
    layer: 'wrapper',
    aliases: ['primus_training'],
    modules: [{ prefix: 'primus' }],
    packages: ['primus'],
    projectTokens: ['primus'],
    trainerTokens: ['primus'],
    // Primus pulls in HF tokenizers and accelerate utilities for its backends.
    buildsOn: ['transformers', 'accelerate'],
  }),
  fw({
    name: 'nemo',
    layer: 'wrapper',
    aliases: ['nemo_toolkit', 'nemo2', 'nvidia_nemo'],
    modules: [{ prefix: 'nemo' }],
    packages: ['nemo_toolkit'],
    projectTokens: ['nemo'],
    trainerTokens: ['nemo'],
    // NeMo's trainer is a Lightning trainer and it imports HF for tokenizers.
    buildsOn: ['lightning', 'transformers', 'accelerate'],
    plumbing: [
      {
        module: 'megatron.core',
        reason: 'nemo.lightning imports Megatron Core for its MegatronStrategy whether or not that strategy runs',
      },
      { module: 'torch.distributed.fsdp', reason: 'nemo.lightning imports its FSDP and FSDP2 strategies at import' },
      { module: 'torch.distributed._composable.fsdp', reason: 'nemo.lightning imports its FSDP and FSDP2 strategies at import' },
    ],
  }),
  fw({
    name: 'lightning',
    layer: 'wrapper',
    aliases: ['pytorch_lightning', 'lightning_pytorch', 'pl', 'lightning_ai', 'lightning_fabric'],
    modules: [{ prefix: 'lightning' }, { prefix: 'pytorch_lightning' }, { prefix: 'lightning_fabric' }],
    packages: ['lightning', 'pytorch_lightning'],
    projectTokens: ['lightning'],
    trainerTokens: ['lightning'],
    plumbing: [
      { module: 'torch.distributed.fsdp', reason: "Lightning loads torch's compiler stack (torch._dynamo), which imports it" },
      { module: 'transformers', exact: true, reason: 'torchmetrics, a Lightning dependency, imports it for its text metrics' },
    ],
  }),
  fw({
    name: 'transformers',
    layer: 'wrapper',
    aliases: ['transformers_trainer', 'hf_trainer', 'huggingface', 'hf', 'hf_transformers', 'huggingface_trainer'],
    // Only the Trainer module says "HF Trainer drives training"; the bare package is imported
    // by Megatron, Primus and most tooling for tokenizers, so it weighs little (the v0.2 false positive).
    modules: [{ prefix: 'transformers.trainer' }, { prefix: 'trl' }, { prefix: 'transformers', imported: 0.35 }],
    packages: ['transformers'],
    projectTokens: ['transformers', 'hf'],
    trainerTokens: ['transformers', 'hf_trainer'],
    buildsOn: ['accelerate'],
    installed: 0.2,
    plumbing: [
      {
        module: 'torch.distributed._composable.fsdp',
        reason: "transformers.distributed.fsdp imports torch's FSDP2 API when the Trainer loads",
      },
      {
        module: 'torch.distributed.fsdp',
        reason: "transformers.distributed.fsdp imports torch's FSDP2 API when the Trainer loads",
      },
    ],
  }),
  fw({
    name: 'accelerate',
    layer: 'wrapper',
    aliases: ['hf_accelerate'],
    // transformers imports accelerate; the ACCELERATE_* launch env is the strong signal.
    modules: [{ prefix: 'accelerate', imported: 0.4 }],
    packages: ['accelerate'],
    projectTokens: ['accelerate'],
    trainerTokens: ['accelerate'],
    installed: 0.2,
  }),
  // ---- bases: the distributed-training engine underneath ----
  fw({
    name: 'megatron',
    layer: 'base',
    aliases: ['megatron_lm', 'megatron_core', 'mcore', 'megatron_deepspeed', 'megatronlm'],
    modules: [
      { prefix: 'megatron' },
      { prefix: 'primus.backends.megatron', inUse: true },
      { prefix: 'primus.modules.trainer.megatron', inUse: true },
    ],
    packages: ['megatron_core', 'megatron_lm'],
    projectTokens: ['megatron'],
    trainerTokens: ['megatron'],
    // Megatron-DeepSpeed drives DeepSpeed's engine; Megatron can shard with torch FSDP2.
    buildsOn: ['deepspeed', 'fsdp'],
  }),
  fw({
    name: 'torchtitan',
    layer: 'base',
    aliases: ['titan', 'torch_titan'],
    modules: [
      { prefix: 'torchtitan' },
      { prefix: 'primus.backends.torchtitan', inUse: true },
      { prefix: 'primus.modules.trainer.torchtitan', inUse: true },
    ],
    packages: ['torchtitan'],
    projectTokens: ['torchtitan'],
    trainerTokens: ['torchtitan'],
    buildsOn: ['fsdp'],
  }),
  fw({
    name: 'maxtext',
    layer: 'base',
    aliases: ['max_text', 'jax_maxtext'],
    modules: [
      { prefix: 'MaxText' },
      { prefix: 'maxtext' },
      { prefix: 'primus.backends.maxtext', inUse: true },
      { prefix: 'primus.modules.trainer.maxtext', inUse: true },
    ],
    packages: ['maxtext'],
    projectTokens: ['maxtext'],
    trainerTokens: ['maxtext'],
    buildsOn: ['jax'],
  }),
  fw({
    name: 'deepspeed',
    layer: 'base',
    aliases: ['ds', 'deep_speed', 'microsoft_deepspeed'],
    modules: [{ prefix: 'deepspeed' }],
    packages: ['deepspeed'],
    projectTokens: ['deepspeed'],
    trainerTokens: ['deepspeed'],
  }),
  fw({
    name: 'colossalai',
    layer: 'base',
    aliases: ['colossal_ai', 'colossal'],
    modules: [{ prefix: 'colossalai' }],
    packages: ['colossalai'],
    projectTokens: ['colossalai'],
    trainerTokens: ['colossal'],
  }),
  fw({
    name: 'jax',
    layer: 'base',
    aliases: ['flax', 'jaxlib'],
    modules: [{ prefix: 'jax' }, { prefix: 'flax' }],
    packages: ['jax'],
    projectTokens: ['jax'],
    trainerTokens: ['jax'],
    installed: 0.25,
  }),
  fw({
    name: 'fsdp',
    layer: 'base',
    aliases: ['torch_fsdp', 'fsdp2', 'fully_sharded_data_parallel'],
    // Lightning, accelerate and transformers import torch.distributed.fsdp whether or not they use it.
    modules: [
      { prefix: 'torch.distributed.fsdp', imported: 0.45 },
      { prefix: 'torch.distributed._composable.fsdp', imported: 0.45 },
    ],
    projectTokens: ['fsdp'],
    trainerTokens: ['fsdp'],
  }),
  fw({
    name: 'pytorch',
    layer: 'base',
    aliases: ['torch', 'pt', 'py_torch'],
    modules: [{ prefix: 'torch', imported: 0.4 }],
    packages: ['torch'],
    projectTokens: ['pytorch'],
    trainerTokens: [],
    installed: 0.1,
    initialized: 0.5,
    fallback: true,
  }),
];

const BY_NAME = new Map<string, Framework>(CATALOGUE.map((f) => [f.name, f]));

export function frameworkByName(name: string): Framework | undefined {
  return BY_NAME.get(name);
}

/** Catalogue position; unknown (user-declared) names rank after every known one. */
export function priorityOf(name: string): number {
  const index = CATALOGUE.findIndex((f) => f.name === name);
  return index < 0 ? CATALOGUE.length : index;
}
