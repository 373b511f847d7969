// Table tests for detectFromReport: one row per behaviour, each row checked the same way.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOGUE, DETECTOR_VERSION, type DetectionResult, detectFromReport } from '../../src/detection/index.js';
import {
  HF_ARGS,
  MEGATRON_ARGS,
  report,
  V01_QUICKSTART,
  V02_DOCUMENTED,
  V02_MEGATRON_WITH_TRANSFORMERS_INSTALLED,
} from './fixtures.js';

interface Expect {
  framework: string;
  wrapper?: string | null;
  base?: string | null;
  /** Exact value, or an inclusive [min, max]. */
  confidence: number | [number, number];
  method?: string;
  /** Layer and the frameworks contesting it, or null for "no conflict at all". */
  conflict?: { layer: 'wrapper' | 'base'; frameworks: string[] } | null;
  /** Indicators that must be present (framework + signal + kind). */
  indicators?: Array<{ framework: string; signal: string; kind: string }>;
}

interface Case {
  name: string;
  report: unknown;
  expect: Expect;
}

const torch = ['torch', 'torch.distributed'];

const CASES: Case[] = [
  // ---- the quickstart's case (fixed: primus, 0.80, env_vars) ----
  {
    name: 'quickstart: PRIMUS_CONFIG + PRIMUS_VERSION + config framework=primus',
    report: report({ env: { PRIMUS_CONFIG: '/config/primus.yaml', PRIMUS_VERSION: '1.2.3' }, config: { framework: 'primus' } }),
    expect: { framework: 'primus', wrapper: 'primus', base: null, confidence: 0.8, method: 'env_vars', conflict: null },
  },
  {
    name: 'quickstart: PRIMUS_CONFIG alone',
    report: report({ env: { PRIMUS_CONFIG: '/c.yaml' } }),
    expect: { framework: 'primus', wrapper: 'primus', base: null, confidence: 0.8, method: 'env_vars' },
  },
  {
    name: 'quickstart: PRIMUS_VERSION present but empty still counts',
    report: report({ env: { PRIMUS_VERSION: '' } }),
    expect: { framework: 'primus', confidence: 0.8, method: 'env_vars' },
  },
  {
    name: 'quickstart, Kubernetes variant: FRAMEWORK=primus + PRIMUS_CONFIG, no PRIMUS_VERSION',
    report: report({ env: { FRAMEWORK: 'primus', PRIMUS_CONFIG: '/workspace/config.yaml' } }),
    expect: {
      framework: 'primus',
      wrapper: 'primus',
      confidence: 0.8,
      method: 'env_vars',
      indicators: [{ framework: 'primus', signal: 'env_framework', kind: 'declared' }],
    },
  },
  {
    name: 'quickstart: v0.1 payload of the quickstart',
    report: V01_QUICKSTART,
    expect: { framework: 'primus', wrapper: 'primus', base: null, confidence: 0.8, method: 'env_vars', conflict: null },
  },
  {
    name: 'quickstart, as our exporter sends it (modules, packages, hints, torch loaded by the script)',
    report: report({
      env: { PRIMUS_CONFIG: '/config/primus.yaml', PRIMUS_VERSION: '1.2.3' },
      config: { framework: 'primus' },
      imported: ['torch'],
      initialized: {},
      packages: { torch: '2.4.0', transformers: '4.44.0' },
      pytorch: {
        available: true,
        detected_modules: { deepspeed: false, megatron: false, transformers: false, lightning: false },
      },
      wrappers: {},
      bases: {},
      hints: { wrapper_frameworks: ['primus'], base_frameworks: [], possible_frameworks: ['primus'], confidence: 'high' },
    }),
    expect: { framework: 'primus', wrapper: 'primus', base: 'pytorch', confidence: 0.8, method: 'env_vars', conflict: null },
  },
  {
    name: 'config framework=primus alone is a weaker declaration',
    report: report({ config: { framework: 'primus' } }),
    expect: { framework: 'primus', confidence: 0.7, method: 'wandb_config_framework' },
  },
  {
    name: 'FRAMEWORK=primus alone',
    report: report({ env: { FRAMEWORK: 'Primus' } }),
    expect: { framework: 'primus', confidence: 0.75, method: 'env_framework' },
  },

  // ---- primus and its bases ----
  {
    name: 'primus: PRIMUS_BACKEND=megatron names the base',
    report: report({ env: { PRIMUS_CONFIG: '/c.yaml', PRIMUS_BACKEND: 'megatron' } }),
    expect: { framework: 'primus', wrapper: 'primus', base: 'megatron', confidence: 0.8, method: 'env_vars' },
  },
  {
    name: 'primus: launcher BACKEND=torchtitan and EXP path',
    report: report({ env: { PRIMUS_CONFIG: '', BACKEND: 'torchtitan', EXP: 'examples/torchtitan/configs/llama3_8B.yaml' } }),
    expect: { framework: 'primus', wrapper: 'primus', base: 'torchtitan', confidence: 0.8 },
  },
  {
    name: 'primus: EXP path alone names a maxtext base',
    report: report({ env: { PRIMUS_VERSION: '0.4', EXP: 'examples/maxtext/configs/llama2_7B.yaml' } }),
    expect: { framework: 'primus', base: 'maxtext', confidence: 0.8 },
  },
  {
    name: 'primus: PRIMUS_BACKEND=jax',
    report: report({ env: { PRIMUS_CONFIG: '/c.yaml', PRIMUS_BACKEND: 'JAX' } }),
    expect: { framework: 'primus', base: 'jax', confidence: 0.8 },
  },
  {
    name: 'primus: env + imported modules agree, confidence rises',
    report: report({
      env: { PRIMUS_CONFIG: '/c.yaml' },
      imported: [...torch, 'primus', 'primus.backends.megatron', 'megatron.core'],
    }),
    expect: {
      framework: 'primus',
      wrapper: 'primus',
      base: 'megatron',
      confidence: 0.94,
      method: 'env_vars+modules_imported',
      conflict: null,
    },
  },
  {
    name: 'primus: config base_framework',
    report: report({ config: { framework: 'primus', base_framework: 'Megatron-LM' } }),
    expect: { framework: 'primus', base: 'megatron', confidence: 0.7 },
  },

  // ---- each base ----
  {
    name: 'megatron: MEGATRON_CONFIG',
    report: report({ env: { MEGATRON_CONFIG: '/m.yaml' } }),
    expect: { framework: 'megatron', wrapper: null, base: 'megatron', confidence: 0.8, method: 'env_vars' },
  },
  {
    name: 'megatron: initialised (model parallel state) beats imported',
    report: report({
      imported: [...torch, 'megatron', 'megatron.core'],
      initialized: { 'torch.distributed': true, megatron: true },
    }),
    expect: { framework: 'megatron', base: 'megatron', confidence: 0.9, method: 'modules_initialized' },
  },
  {
    name: 'megatron: its args in wandb.config',
    report: report({ config: MEGATRON_ARGS }),
    expect: { framework: 'megatron', confidence: 0.8, method: 'wandb_config_signature' },
  },
  {
    name: 'megatron + deepspeed imported (Megatron-DeepSpeed) is no conflict',
    report: report({ imported: [...torch, 'megatron', 'deepspeed'] }),
    expect: { framework: 'megatron', base: 'megatron', confidence: 0.7, conflict: null },
  },
  {
    name: 'deepspeed: DS_CONFIG',
    report: report({ env: { DS_CONFIG: 'ds.json' } }),
    expect: { framework: 'deepspeed', base: 'deepspeed', confidence: 0.8, method: 'env_vars' },
  },
  {
    name: 'deepspeed: env + initialised agree',
    report: report({ env: { DEEPSPEED_CONFIG: 'ds.json' }, imported: [...torch, 'deepspeed'], initialized: { deepspeed: true } }),
    expect: { framework: 'deepspeed', confidence: 0.98, method: 'modules_initialized+env_vars' },
  },
  {
    name: 'torchtitan: imported, its FSDP use is expected',
    report: report({ imported: [...torch, 'torch.distributed.fsdp', 'torchtitan'] }),
    expect: { framework: 'torchtitan', base: 'torchtitan', confidence: 0.7, conflict: null },
  },
  {
    name: 'fsdp: torch.distributed.fsdp imported, nothing more specific',
    report: report({ imported: [...torch, 'torch.distributed.fsdp'], initialized: { 'torch.distributed': true } }),
    expect: { framework: 'fsdp', base: 'fsdp', confidence: [0.4, 0.5], method: 'modules_imported' },
  },
  {
    name: 'jax: JAX_BACKEND',
    report: report({ env: { JAX_BACKEND: 'gpu' } }),
    expect: { framework: 'jax', base: 'jax', confidence: 0.8 },
  },
  {
    name: 'jax: imported, torch absent',
    report: report({ imported: ['jax', 'flax'] }),
    expect: { framework: 'jax', base: 'jax', confidence: 0.7 },
  },
  {
    name: 'maxtext: MaxText imported on jax',
    report: report({ imported: ['jax', 'MaxText', 'MaxText.train'] }),
    expect: { framework: 'maxtext', base: 'maxtext', confidence: 0.7, conflict: null },
  },
  {
    name: 'colossalai: imported',
    report: report({ imported: [...torch, 'colossalai'] }),
    expect: { framework: 'colossalai', base: 'colossalai', confidence: 0.7 },
  },
  {
    name: 'pytorch: plain torch, the lowest base',
    report: report({ imported: torch }),
    expect: { framework: 'pytorch', wrapper: null, base: 'pytorch', confidence: 0.4, method: 'modules_imported' },
  },
  {
    name: 'pytorch: torch.distributed initialised',
    report: report({ imported: torch, initialized: { 'torch.distributed': true } }),
    expect: { framework: 'pytorch', confidence: 0.5, method: 'modules_initialized' },
  },

  // ---- each wrapper ----
  {
    name: 'lightning: imported over plain torch',
    report: report({ imported: [...torch, 'lightning', 'lightning.pytorch'] }),
    expect: { framework: 'lightning', wrapper: 'lightning', base: 'pytorch', confidence: 0.7 },
  },
  {
    name: 'lightning: alias pytorch_lightning in FRAMEWORK',
    report: report({ env: { FRAMEWORK: 'pytorch_lightning' } }),
    expect: { framework: 'lightning', wrapper: 'lightning', confidence: 0.75 },
  },
  {
    name: 'lightning with deepspeed underneath (its engine initialised)',
    report: report({ imported: [...torch, 'pytorch_lightning', 'deepspeed'], initialized: { deepspeed: true } }),
    expect: { framework: 'lightning', wrapper: 'lightning', base: 'deepspeed', confidence: 0.7, conflict: null },
  },
  {
    name: 'lightning with deepspeed loaded but not in use: the base is plain torch',
    report: report({ imported: [...torch, 'pytorch_lightning', 'deepspeed'] }),
    expect: { framework: 'lightning', wrapper: 'lightning', base: 'pytorch', confidence: 0.7, conflict: null },
  },
  {
    name: 'transformers: HF Trainer imported; accelerate is its own dependency',
    report: report({ imported: [...torch, 'transformers', 'transformers.trainer', 'accelerate'] }),
    expect: { framework: 'transformers', wrapper: 'transformers', base: 'pytorch', confidence: 0.7, conflict: null },
  },
  {
    name: 'transformers: alias transformers_trainer in config',
    report: report({ config: { framework: 'transformers_trainer' } }),
    expect: { framework: 'transformers', wrapper: 'transformers', confidence: 0.7 },
  },
  {
    name: 'transformers: TrainingArguments in config with deepspeed on',
    report: report({
      config: { ...HF_ARGS, deepspeed: 'ds_z3.json', fsdp: [] },
      imported: [...torch, 'transformers', 'transformers.trainer', 'deepspeed'],
    }),
    expect: {
      framework: 'transformers',
      wrapper: 'transformers',
      base: 'deepspeed',
      confidence: 0.8,
      method: 'wandb_config_signature',
      conflict: null,
    },
  },
  {
    name: "transformers: TrainingArguments' own fsdp_config field (FSDP off) declares no FSDP",
    report: report({
      config: { ...HF_ARGS, fsdp_config: { min_num_params: 0, xla: false } },
      imported: [...torch, 'transformers', 'transformers.trainer'],
    }),
    expect: { framework: 'transformers', wrapper: 'transformers', base: 'pytorch', confidence: 0.8, conflict: null },
  },
  {
    name: 'a bare fsdp_config key (no TrainingArguments around it) still declares FSDP',
    report: report({ config: { fsdp_config: { sharding_strategy: 'FULL_SHARD' } } }),
    expect: { framework: 'fsdp', base: 'fsdp', confidence: 0.65, method: 'wandb_config_key' },
  },
  {
    name: 'accelerate: ACCELERATE_USE_DEEPSPEED is a strong base signal',
    report: report({ env: { ACCELERATE_USE_DEEPSPEED: 'true' }, imported: [...torch, 'accelerate'] }),
    expect: {
      framework: 'accelerate',
      wrapper: 'accelerate',
      base: 'deepspeed',
      confidence: 0.82,
      indicators: [{ framework: 'deepspeed', signal: 'accelerate_env', kind: 'declared' }],
    },
  },
  {
    name: 'accelerate: ACCELERATE_USE_FSDP',
    report: report({ env: { ACCELERATE_USE_FSDP: '1' } }),
    expect: { framework: 'accelerate', base: 'fsdp', confidence: 0.7 },
  },
  {
    name: 'accelerate: ACCELERATE_USE_MEGATRON_LM',
    report: report({ env: { ACCELERATE_USE_MEGATRON_LM: 'True' } }),
    expect: { framework: 'accelerate', base: 'megatron', confidence: 0.7 },
  },
  {
    name: 'accelerate: flags set to false say nothing',
    report: report({ env: { ACCELERATE_USE_DEEPSPEED: 'false', ACCELERATE_USE_FSDP: '0' } }),
    expect: { framework: 'unknown', confidence: 0 },
  },
  {
    name: 'nemo: wraps lightning and megatron without conflict',
    report: report({
      imported: [...torch, 'nemo', 'lightning', 'megatron.core', 'megatron.core.parallel_state', 'transformers'],
      initialized: { megatron: true },
    }),
    expect: { framework: 'nemo', wrapper: 'nemo', base: 'megatron', confidence: 0.7, conflict: null },
  },

  // ---- imported or initialised beats installed ----
  {
    name: 'installed alone is weak',
    report: report({ packages: { deepspeed: '0.14.0', torch: '2.4.0' } }),
    expect: { framework: 'deepspeed', base: 'deepspeed', confidence: 0.3, method: 'installed_packages' },
  },
  {
    name: 'imported megatron beats installed deepspeed/transformers/lightning',
    report: report({
      packages: { deepspeed: '0.14', transformers: '4.44', lightning: '2.3', megatron_core: '0.8', torch: '2.4' },
      imported: [...torch, 'megatron'],
    }),
    expect: { framework: 'megatron', wrapper: null, base: 'megatron', confidence: 0.7, conflict: null },
  },
  {
    name: 'imported lightning beats installed transformers',
    report: report({ packages: { transformers: '4.44', 'pytorch-lightning': '2.3' }, imported: [...torch, 'pytorch_lightning'] }),
    expect: { framework: 'lightning', wrapper: 'lightning', confidence: 0.7 },
  },
  {
    name: 'v0.2 false positive: transformers installed must not win over megatron',
    report: V02_MEGATRON_WITH_TRANSFORMERS_INSTALLED,
    expect: {
      framework: 'megatron',
      wrapper: null,
      base: 'megatron',
      confidence: 0.9,
      conflict: null,
      indicators: [{ framework: 'transformers', signal: 'import_detection', kind: 'installed' }],
    },
  },
  {
    name: 'bare transformers import (tokenizers) does not make a Megatron job an HF Trainer job',
    report: report({ imported: [...torch, 'transformers', 'megatron', 'megatron.core'] }),
    expect: { framework: 'megatron', wrapper: null, base: 'megatron', confidence: 0.7, conflict: null },
  },

  // ---- conflicts ----
  {
    name: 'conflict: two wrappers imported (lightning vs HF Trainer), tie by catalogue priority',
    report: report({ imported: [...torch, 'lightning', 'transformers.trainer'] }),
    expect: {
      framework: 'lightning',
      wrapper: 'lightning',
      confidence: 0.5,
      conflict: { layer: 'wrapper', frameworks: ['lightning', 'transformers'] },
    },
  },
  {
    name: 'conflict: deepspeed initialised vs jax imported',
    report: report({ imported: ['torch', 'deepspeed', 'jax'], initialized: { deepspeed: true } }),
    expect: {
      framework: 'deepspeed',
      base: 'deepspeed',
      confidence: 0.7,
      conflict: { layer: 'base', frameworks: ['deepspeed', 'jax'] },
    },
  },
  {
    name: 'conflict: the run declares deepspeed in its config, torchtitan is imported (tie, catalogue order)',
    report: report({ config: { framework: 'deepspeed' }, imported: [...torch, 'torchtitan'] }),
    expect: { framework: 'torchtitan', confidence: 0.5, conflict: { layer: 'base', frameworks: ['torchtitan', 'deepspeed'] } },
  },
  {
    name: 'conflict in the base layer does not lower a clear wrapper',
    report: report({
      imported: [...torch, 'lightning', 'deepspeed', 'colossalai'],
      initialized: { deepspeed: true },
      config: { base_framework: 'colossalai' },
    }),
    expect: {
      framework: 'lightning',
      wrapper: 'lightning',
      base: 'colossalai',
      confidence: 0.7,
      conflict: { layer: 'base', frameworks: ['colossalai', 'deepspeed'] },
    },
  },

  // ---- weak-only evidence ----
  {
    name: 'project name only',
    report: report({ project: 'Megatron-LM_llama70b' }),
    expect: { framework: 'megatron', confidence: 0.3, method: 'wandb_project_name' },
  },
  {
    name: 'tags only',
    report: report({ tags: ['deepspeed', 'zero3'] }),
    expect: { framework: 'deepspeed', confidence: 0.3, method: 'wandb_tags' },
  },
  {
    name: 'client hints only',
    report: report({ hints: { wrapper_frameworks: ['primus'], confidence: 'high' } }),
    expect: { framework: 'primus', confidence: 0.15, method: 'hints' },
  },
  {
    name: 'a weak base is not named under a declared wrapper',
    report: report({ env: { PRIMUS_CONFIG: '/c' }, packages: { jax: '0.4.30', deepspeed: '0.14' } }),
    expect: { framework: 'primus', wrapper: 'primus', base: null, confidence: 0.8 },
  },

  // ---- legacy payloads ----
  {
    name: 'v0.2 documented example: primus over megatron, jax installed is ignored',
    report: V02_DOCUMENTED,
    expect: {
      framework: 'primus',
      wrapper: 'primus',
      base: 'megatron',
      confidence: 0.98,
      method: 'import_detection+env_vars',
      conflict: null,
    },
  },
  {
    name: 'v0.1: config.trainer names deepspeed, module loaded',
    report: report({
      config: { trainer: 'DeepSpeedTrainer' },
      pytorch: { available: true, detected_modules: { deepspeed: true, megatron: false, transformers: false, lightning: false } },
    }),
    expect: { framework: 'deepspeed', confidence: [0.89, 0.9], method: 'pytorch_modules+wandb_config_trainer' },
  },
  {
    name: 'v0.1: wandb_config_key deepspeed_config',
    report: report({ config: { deepspeed_config: { zero_optimization: { stage: 2 } } } }),
    expect: { framework: 'deepspeed', confidence: 0.65, method: 'wandb_config_key' },
  },
  {
    name: 'v0.2: lightning wrapper detected by import only (installed)',
    report: report({ wrappers: { lightning: { detected: true, version: '2.3', module_name: 'lightning' } } }),
    expect: { framework: 'lightning', confidence: 0.3, method: 'import_detection' },
  },

  // ---- no signal ----
  {
    name: 'empty body',
    report: {},
    expect: { framework: 'unknown', wrapper: null, base: null, confidence: 0, method: 'none', conflict: null },
  },
  {
    name: 'empty evidence sections',
    report: report({ env: {}, config: {}, imported: [], initialized: {}, packages: {}, pytorch: { available: false } }),
    expect: { framework: 'unknown', confidence: 0, method: 'none' },
  },
  {
    name: 'launcher variables only',
    report: report({ env: { MASTER_ADDR: 'h', MASTER_PORT: '29500', WORLD_SIZE: '8', RANK: '0', TORCHELASTIC_RUN_ID: 'x' } }),
    expect: { framework: 'unknown', confidence: 0 },
  },
  {
    name: 'noise values name nothing',
    report: report({
      env: { FRAMEWORK: 'none', BACKEND: 'nccl', JAX_PLATFORMS: 'cpu' },
      config: { framework: '', backend: 'gloo' },
    }),
    expect: { framework: 'unknown', confidence: 0 },
  },
  {
    name: 'JAX_PLATFORMS=cpu in a torch image does not make it jax',
    report: report({ env: { JAX_PLATFORMS: 'cpu' }, imported: [...torch, 'lightning'] }),
    expect: { framework: 'lightning', base: 'pytorch', confidence: 0.7 },
  },
  {
    name: 'an uncatalogued declared framework is kept, a little weaker',
    report: report({ env: { FRAMEWORK: 'MyTrainer' } }),
    expect: { framework: 'mytrainer', base: 'mytrainer', confidence: 0.65, method: 'env_framework' },
  },
];

function checkConfidence(actual: number, expected: number | [number, number], name: string): void {
  if (typeof expected === 'number') assert.equal(actual, expected, `${name}: confidence`);
  else assert.ok(actual >= expected[0] && actual <= expected[1], `${name}: confidence ${actual} not in [${expected.join(', ')}]`);
}

function check(result: DetectionResult, c: Case): void {
  const e = c.expect;
  assert.equal(result.framework, e.framework, `${c.name}: framework`);
  if (e.wrapper !== undefined) assert.equal(result.wrapper_framework, e.wrapper, `${c.name}: wrapper`);
  if (e.base !== undefined) assert.equal(result.base_framework, e.base, `${c.name}: base`);
  checkConfidence(result.confidence, e.confidence, c.name);
  if (e.method !== undefined) assert.equal(result.method, e.method, `${c.name}: method`);
  if (e.conflict === null) assert.deepEqual(result.conflicts, [], `${c.name}: no conflict expected`);
  else if (e.conflict !== undefined) {
    const found = result.conflicts.find((k) => k.layer === e.conflict?.layer);
    assert.ok(found, `${c.name}: expected a ${e.conflict.layer} conflict, got ${JSON.stringify(result.conflicts)}`);
    assert.deepEqual(
      found.candidates.map((k) => k.framework),
      e.conflict.frameworks,
      `${c.name}: conflict candidates`,
    );
    assert.ok(found.resolution.startsWith(`${e.conflict.frameworks[0] ?? ''} chosen`), `${c.name}: resolution names the winner`);
  }
  for (const want of e.indicators ?? []) {
    assert.ok(
      result.indicators.some((i) => i.framework === want.framework && i.signal === want.signal && i.kind === want.kind),
      `${c.name}: missing indicator ${JSON.stringify(want)} in ${JSON.stringify(result.indicators)}`,
    );
  }
  assert.equal(result.detector_version, DETECTOR_VERSION);
  if (result.framework !== 'unknown') {
    assert.ok(
      result.indicators.some((i) => i.framework === result.framework),
      `${c.name}: the top framework is explained by an indicator`,
    );
  }
}

for (const c of CASES) {
  test(`detect: ${c.name}`, () => check(detectFromReport(c.report), c));
}

test('detect: every catalogued framework is reachable from the table', () => {
  const covered = new Set(CASES.map((c) => detectFromReport(c.report).framework));
  for (const { name } of CATALOGUE) {
    assert.ok(covered.has(name), `no table case detects ${name}`);
  }
});

test('detect: the result does not depend on the order of keys and lists in the body', () => {
  const forward = report({
    imported: [...torch, 'lightning', 'transformers.trainer', 'deepspeed'],
    env: { A: '1', FRAMEWORK: 'lightning' },
  });
  const backward = report({
    imported: [...torch, 'lightning', 'transformers.trainer', 'deepspeed'].reverse(),
    env: { FRAMEWORK: 'lightning', A: '1' },
  });
  assert.deepEqual(detectFromReport(backward), detectFromReport(forward));
});

test('detect: the same body gives the same result twice (pure)', () => {
  assert.deepEqual(detectFromReport(V02_DOCUMENTED), detectFromReport(structuredClone(V02_DOCUMENTED)));
});
