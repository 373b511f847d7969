// Report bodies for the detection tables: a builder for our exporter's shape, and the
// original exporter's v0.1 and v0.2 payloads as its documentation gives them.

type Json = Record<string, unknown>;

export interface Parts {
  env?: Record<string, unknown>;
  config?: Json;
  project?: string;
  tags?: string[];
  /** evidence.modules.imported (our exporter). */
  imported?: string[];
  /** evidence.modules.initialized (our exporter). */
  initialized?: Record<string, boolean>;
  /** evidence.modules.configured (our exporter). */
  configured?: Record<string, string>;
  packages?: Record<string, string>;
  pytorch?: Json;
  wrappers?: Json;
  bases?: Json;
  hints?: Json;
}

/** The documented v0.2 request's identity and time, which every body built here carries too. */
const V02_HEADER: Json = {
  source: 'wandb',
  type: 'framework_detection_raw',
  version: '1.0',
  workload_uid: 'workload-123',
  pod_uid: 'uid-0',
  pod_name: 'pod-0',
  namespace: 'default',
  timestamp: 1704067200.123,
};

/** A detection body; `imported`/`initialized` make it one of ours (evidence.modules present). */
export function report(p: Parts): Json {
  const evidence: Json = {};
  if (p.env !== undefined) evidence.environment = p.env;
  if (p.config !== undefined || p.project !== undefined || p.tags !== undefined) {
    evidence.wandb = { project: p.project ?? 'proj', name: 'run-1', id: 'abc123', config: p.config ?? {}, tags: p.tags ?? [] };
  }
  if (p.imported !== undefined || p.initialized !== undefined || p.configured !== undefined) {
    evidence.modules = {
      imported: p.imported ?? [],
      initialized: p.initialized ?? {},
      ...(p.configured ? { configured: p.configured } : {}),
    };
  }
  if (p.packages !== undefined) evidence.software = { packages: p.packages, rocm_version: '6.2' };
  if (p.pytorch !== undefined) evidence.pytorch = p.pytorch;
  if (p.wrappers !== undefined) evidence.wrapper_frameworks = p.wrappers;
  if (p.bases !== undefined) evidence.base_frameworks = p.bases;
  const body: Json = { ...V02_HEADER, evidence };
  if (p.hints !== undefined) body.hints = p.hints;
  return body;
}

/** The quickstart's example (docs/quickstart.md), as the original v0.1 exporter sent it. */
export const V01_QUICKSTART: Json = {
  source: 'wandb',
  type: 'framework_detection_raw',
  version: '1.0',
  workload_uid: 'workload-123',
  pod_uid: 'pod-uid-1',
  pod_name: 'training-pod',
  namespace: 'default',
  evidence: {
    wandb: {
      project: 'my-project',
      name: 'my-run',
      id: 'r1',
      config: { framework: 'primus', _wandb: { python_version: '3.10.12' } },
      tags: [],
    },
    environment: { PRIMUS_CONFIG: '/config/primus.yaml', PRIMUS_VERSION: '1.2.3', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29500' },
    pytorch: {
      available: true,
      version: '2.4.0',
      cuda_available: true,
      cuda_version: '12.1',
      detected_modules: { deepspeed: false, megatron: false, transformers: false, lightning: false },
    },
    system: { python_version: '3.10.12 (main)', python_executable: '/usr/bin/python', platform: 'linux' },
  },
  hints: {
    possible_frameworks: ['primus'],
    confidence: 'high',
    primary_indicators: ['PRIMUS env vars', 'wandb_config.framework'],
    timestamp: 1704067200.1,
  },
  timestamp: 1704067200.123,
};

/** The v0.2 exporter's request as its documentation gives it, verbatim where it is concrete. */
export const V02_DOCUMENTED: Json = {
  ...V02_HEADER,
  evidence: {
    wandb: { project: 'llama-pretrain', name: 'run', id: 'abc', config: { lr: 0.0003 }, tags: ['exp'] },
    environment: { PRIMUS_CONFIG: '/cfg.yaml', PRIMUS_BACKEND: 'megatron', WORLD_SIZE: '8', RANK: '0' },
    pytorch: {
      available: true,
      version: '2.4.0',
      cuda_available: true,
      cuda_version: '12.1',
      detected_modules: { deepspeed: false, megatron: true, transformers: true, lightning: false },
    },
    wrapper_frameworks: { primus: { detected: true, version: '1.0.0', initialized: true, base_framework: 'megatron' } },
    base_frameworks: {
      megatron: { detected: true, version: 'unknown', initialized: true },
      jax: { detected: true, version: '0.4.30', backend: 'gpu', devices: 8 },
    },
    system: { python_version: '3.10.12 (…)', python_executable: '/usr/bin/python', platform: 'linux' },
    hardware: {
      gpu_arch: 'mi300',
      gpu_count: 8,
      gpu_memory_gb: 192.0,
      gpu_name: 'AMD Instinct MI300X',
      rocm_version: 'rocm6.2',
      cuda_version: 'cuda…',
    },
    software: { packages: { torch: '2.4.0', flash_attn: '2.6.3' }, rocm_version: '6.2' },
    build: { build_url: '…', image_tag: '…', git_commit: '…' },
  },
  hints: {
    wrapper_frameworks: ['primus'],
    base_frameworks: ['megatron'],
    possible_frameworks: ['primus', 'megatron'],
    confidence: 'high',
    primary_indicators: [
      'import.primus',
      'primus.base_framework=megatron',
      'import.megatron',
      'PRIMUS env vars',
      'PRIMUS_BACKEND=megatron',
    ],
    framework_layers: {
      primus: { layer: 'wrapper', base_frameworks: ['megatron'] },
      megatron: { layer: 'base', wrapper_frameworks: ['primus'] },
    },
    timestamp: 1704067200.1,
  },
};

/**
 * The v0.2 false positive (its first rule: any detected wrapper wins): a Megatron job in an image that
 * also has transformers installed. v0.2 imported every candidate, so transformers_trainer and
 * transformers are "detected"; the original server then reported wrapper transformers_trainer at 0.90.
 */
export const V02_MEGATRON_WITH_TRANSFORMERS_INSTALLED: Json = {
  source: 'wandb',
  type: 'framework_detection_raw',
  version: '1.0',
  workload_uid: 'w-fp',
  pod_name: 'pod-0',
  evidence: {
    wandb: { project: 'gpt-pretrain', name: 'r', id: 'x', config: {}, tags: [] },
    environment: { WORLD_SIZE: '16', MASTER_ADDR: 'node-0' },
    pytorch: {
      available: true,
      version: '2.4.0',
      detected_modules: { deepspeed: false, megatron: true, transformers: true, lightning: false },
    },
    wrapper_frameworks: {
      transformers_trainer: { detected: true, version: '4.44.0', has_trainer: true, has_training_arguments: true },
    },
    base_frameworks: {
      megatron: { detected: true, version: 'unknown', initialized: true },
      transformers: { detected: true, version: '4.44.0' },
    },
    software: { packages: { torch: '2.4.0', transformers: '4.44.0', megatron_core: '0.8.0' } },
  },
  hints: {
    wrapper_frameworks: ['transformers_trainer'],
    base_frameworks: ['megatron'],
    confidence: 'high',
    primary_indicators: ['import.megatron', 'import.transformers_trainer'],
  },
};

/** What HF WandbCallback writes into wandb.config: TrainingArguments.to_dict() over the model config. */
export const HF_ARGS: Json = {
  _name_or_path: 'gpt2',
  model_type: 'gpt2',
  output_dir: '/out',
  per_device_train_batch_size: 2,
  per_device_eval_batch_size: 2,
  gradient_accumulation_steps: 1,
  learning_rate: 5e-5,
  num_train_epochs: 3,
  max_steps: 20,
  logging_steps: 1,
  logging_strategy: 'steps',
  save_strategy: 'no',
  eval_strategy: 'steps',
  report_to: ['wandb'],
  lr_scheduler_type: 'linear',
  warmup_ratio: 0,
  dataloader_num_workers: 0,
  push_to_hub: false,
  optim: 'adamw_torch',
  run_name: 'hf-tiny',
  deepspeed: null,
  fsdp: [],
};

/** Megatron's `wandb.init(config=vars(args))`: a slice of the argparse namespace. */
export const MEGATRON_ARGS: Json = {
  tensor_model_parallel_size: 8,
  pipeline_model_parallel_size: 2,
  micro_batch_size: 1,
  global_batch_size: 1024,
  seq_length: 4096,
  num_layers: 32,
  hidden_size: 4096,
  num_attention_heads: 32,
  max_position_embeddings: 4096,
  train_iters: 1000,
  lr_decay_style: 'cosine',
  tokenizer_type: 'GPT2BPETokenizer',
  use_distributed_optimizer: true,
  wandb_project: 'llama',
  wandb_exp_name: 'llama-7b',
};
