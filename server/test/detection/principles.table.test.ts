// The detection principles, each checked for every framework it applies to and in every body
// shape that can express it (ours, the original v0.1 flags, the original v0.2 lists). The rows
// are generated from the catalogue and the tables below, not written per case.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOGUE, type DetectionResult, detectFromReport } from '../../src/detection/index.js';
import { CONFIG_SIGNATURES } from '../../src/detection/rules-config.js';
import { HF_ARGS, type Parts, report } from './fixtures.js';

type Json = Record<string, unknown>;
const torch = ['torch', 'torch.distributed'];
const names = CATALOGUE.map((f) => f.name);
const byName = new Map(CATALOGUE.map((f) => [f.name, f]));

/** How each framework shows, in our body, that it runs (loaded strongly, initialised or configured). */
const RUNNING: Record<string, Parts> = {
  primus: { imported: ['primus'] },
  nemo: { imported: ['nemo'] },
  lightning: { imported: ['lightning', 'lightning.pytorch'] },
  transformers: { imported: ['transformers', 'transformers.trainer'] },
  accelerate: { imported: ['accelerate'], initialized: { accelerate: true } },
  megatron: { imported: ['megatron', 'megatron.core'] },
  torchtitan: { imported: ['torchtitan'] },
  maxtext: { imported: ['MaxText'] },
  deepspeed: { imported: ['deepspeed'] },
  colossalai: { imported: ['colossalai'] },
  jax: { imported: ['jax'] },
  fsdp: { imported: ['torch.distributed.fsdp'], configured: { fsdp: 'fully_shard on 4 modules' } },
};

/** A variable an image bakes in for the framework (a path or a config file), else FRAMEWORK=<name>. */
const IMAGE_ENV: Record<string, Record<string, string>> = {
  primus: { PRIMUS_CONFIG: '/workspace/primus/exp.yaml' },
  deepspeed: { DEEPSPEED_CONFIG: '/workspace/ds_config.json' },
  megatron: { MEGATRON_LM_PATH: '/workspace/Megatron-LM' },
  torchtitan: { TORCHTITAN_PATH: '/workspace/torchtitan' },
  jax: { JAX_BACKEND: 'gpu' },
  lightning: { PL_TRAINER_GPUS: '8' },
};
const imageEnv = (f: string): Record<string, string> => IMAGE_ENV[f] ?? { FRAMEWORK: f };

/** `runner` imports `f` itself (NeMo → Lightning): then `f` may just not be loaded yet. */
function related(f: string, runner: string): boolean {
  return (byName.get(runner)?.buildsOn ?? []).includes(f);
}

function merge(...parts: Parts[]): Parts {
  const out: Parts = {};
  for (const p of parts) {
    if (p.env) out.env = { ...out.env, ...p.env };
    if (p.config) out.config = { ...out.config, ...p.config };
    if (p.imported) out.imported = [...(out.imported ?? []), ...p.imported];
    if (p.initialized) out.initialized = { ...out.initialized, ...p.initialized };
    if (p.configured) out.configured = { ...out.configured, ...p.configured };
    if (p.wrappers) out.wrappers = { ...out.wrappers, ...p.wrappers };
  }
  return out;
}

function names2(r: DetectionResult): string[] {
  return [r.framework, r.wrapper_framework, r.base_framework].filter((n): n is string => n !== null);
}

function assertStale(r: DetectionResult, stale: string, runner: string, row: string): void {
  assert.ok(!names2(r).includes(stale), `${row}: ${stale} must not be named (got ${names2(r).join('/')})`);
  assert.ok(names2(r).includes(runner), `${row}: ${runner} must be named (got ${names2(r).join('/')})`);
  const discounted = r.indicators.filter((i) => i.framework === stale && i.kind === 'discounted');
  assert.ok(
    discounted.length > 0 && discounted.every((i) => /stale/.test(i.detail ?? '')),
    `${row}: ${stale}'s env evidence is listed as discounted with the reason: ${JSON.stringify(r.indicators)}`,
  );
  assert.ok(!r.indicators.some((i) => i.framework === stale && i.kind === 'declared'), `${row}: no declared ${stale} left`);
}

// ---- 1. A framework named only by the image's env, and not loaded, does not beat what runs ----
const runners = Object.keys(RUNNING);
for (const stale of names.filter((n) => n !== 'pytorch')) {
  for (const runner of runners.filter((g) => g !== stale && !related(stale, g))) {
    const row = `stale env (ours): ${Object.keys(imageEnv(stale)).join(',')} names ${stale}, ${runner} runs`;
    test(row, () => {
      const r = detectFromReport(report(merge({ env: imageEnv(stale), imported: torch }, RUNNING[runner] ?? {})));
      assertStale(r, stale, runner, row);
    });
  }
  test(`stale env (ours): ${stale} named by env and loaded itself stands`, () => {
    const r = detectFromReport(report(merge({ env: imageEnv(stale), imported: torch }, RUNNING[stale] ?? {})));
    assert.ok(names2(r).includes(stale), JSON.stringify(r));
    assert.ok(!r.indicators.some((i) => i.kind === 'discounted' && i.framework === stale));
  });
  test(`stale env (ours): ${stale} named by env with nothing else running stands (the quickstart's case)`, () => {
    const r = detectFromReport(report({ env: imageEnv(stale), imported: torch }));
    assert.equal(r.framework, stale);
    assert.ok(r.confidence >= 0.6, `a declaration alone is still confirmed: ${r.confidence}`);
  });
  test(`stale env (ours): ${stale} also declared by the run's own config is not stale`, () => {
    const other = runners.find((g) => g !== stale && !related(stale, g)) ?? 'megatron';
    const r = detectFromReport(
      report(merge({ env: imageEnv(stale), config: { framework: stale }, imported: torch }, RUNNING[other] ?? {})),
    );
    assert.ok(!r.indicators.some((i) => i.kind === 'discounted' && i.framework === stale), JSON.stringify(r.indicators));
  });
}

/** The original v0.1 exporter: sys.modules flags for four frameworks, false when not loaded. */
function v01(loaded: string[], env: Record<string, string>): Json {
  const flags = Object.fromEntries(['deepspeed', 'megatron', 'transformers', 'lightning'].map((m) => [m, loaded.includes(m)]));
  return report({ env, pytorch: { available: true, version: '2.4.0', detected_modules: flags } });
}
const V01_ENV: Record<string, Record<string, string>> = {
  deepspeed: { DS_CONFIG: '/ds.json' },
  megatron: { MEGATRON_CONFIG: '/m.yaml' },
  lightning: { FRAMEWORK: 'lightning' },
};
for (const [stale, env] of Object.entries(V01_ENV)) {
  for (const runner of ['deepspeed', 'megatron', 'lightning'].filter((g) => g !== stale && !related(stale, g))) {
    const row = `stale env (v0.1): ${Object.keys(env).join(',')} names ${stale}, flags show ${runner} loaded`;
    test(row, () => assertStale(detectFromReport(v01([runner], env)), stale, runner, row));
  }
}

/** The original v0.2 exporter: lists of what imported (installed), with `initialized` where it could tell. */
const V02_RUNNING: Record<string, { wrappers?: Json; bases?: Json; flags: string[] }> = {
  lightning: { wrappers: { lightning: { detected: true, version: '2.3', module_name: 'lightning' } }, flags: ['lightning'] },
  primus: { wrappers: { primus: { detected: true, version: '0.4', initialized: true } }, flags: [] },
  megatron: { bases: { megatron: { detected: true, version: 'unknown', initialized: true } }, flags: ['megatron'] },
  deepspeed: { bases: { deepspeed: { detected: true, version: '0.14', initialized: true } }, flags: ['deepspeed'] },
};
const V02_ENV: Record<string, Record<string, string>> = {
  primus: { PRIMUS_CONFIG: '/cfg.yaml' },
  deepspeed: { DEEPSPEED_CONFIG: '/ds.json' },
  megatron: { MEGATRON_LM_PATH: '/m' },
  jax: { JAX_BACKEND: 'gpu' },
  lightning: { FRAMEWORK: 'lightning' },
};
for (const [stale, env] of Object.entries(V02_ENV)) {
  for (const [runner, shape] of Object.entries(V02_RUNNING).filter(([g]) => g !== stale && !related(stale, g))) {
    const row = `stale env (v0.2): ${Object.keys(env).join(',')} names ${stale} (not installed), ${runner} runs`;
    test(row, () => {
      const flags = Object.fromEntries(
        ['deepspeed', 'megatron', 'transformers', 'lightning'].map((m) => [m, shape.flags.includes(m)]),
      );
      const body = report({
        env,
        wrappers: shape.wrappers ?? {},
        bases: shape.bases ?? {},
        pytorch: { available: true, detected_modules: flags },
      });
      assertStale(detectFromReport(body), stale, runner, row);
    });
  }
}

// ---- 2. A running wrapper stays the wrapper; its base in use is reported under it ----
/** Evidence that a base is in use (not only loaded), in our body. */
const IN_USE: Record<string, Parts> = {
  deepspeed: { imported: ['deepspeed', 'deepspeed.comm'], initialized: { deepspeed: true } },
  megatron: { imported: ['megatron', 'megatron.core', 'megatron.core.parallel_state'], initialized: { megatron: true } },
  fsdp: { imported: ['torch.distributed.fsdp'], configured: { fsdp: 'fully_shard on 4 modules' } },
  torchtitan: { imported: ['torchtitan', 'primus.backends.torchtitan'] },
  maxtext: { imported: ['jax', 'MaxText', 'primus.backends.maxtext'] },
  jax: { imported: ['jax'], wrappers: { primus: { detected: true, initialized: true, base_framework: 'jax' } } },
};
/** The bases each wrapper is used over. */
const USUAL_BASES: Record<string, string[]> = {
  lightning: ['deepspeed', 'fsdp'],
  transformers: ['deepspeed', 'fsdp'],
  accelerate: ['deepspeed', 'fsdp', 'megatron'],
  nemo: ['megatron'],
  primus: ['megatron', 'torchtitan', 'maxtext', 'jax'],
};
for (const [wrapper, bases] of Object.entries(USUAL_BASES)) {
  for (const base of bases) {
    test(`wrapper over base (ours): ${wrapper} running over ${base} in use`, () => {
      const r = detectFromReport(report(merge({ imported: torch }, RUNNING[wrapper] ?? {}, IN_USE[base] ?? {})));
      assert.deepEqual([r.framework, r.wrapper_framework, r.base_framework], [wrapper, wrapper, base], JSON.stringify(r));
      assert.ok(!r.conflicts.some((c) => c.layer === 'wrapper'), JSON.stringify(r.conflicts));
    });
    // ---- 3. … but a base only loaded (a wrapper loads bases for its own plumbing) is not named ----
    test(`wrapper over base (ours): ${wrapper} running, ${base} only loaded is not named`, () => {
      const loadedOnly = (IN_USE[base]?.imported ?? []).filter((m) => !m.startsWith('primus.'));
      const r = detectFromReport(report(merge({ imported: [...torch, ...loadedOnly] }, RUNNING[wrapper] ?? {})));
      assert.equal(r.framework, wrapper, JSON.stringify(r));
      assert.notEqual(r.base_framework, base, JSON.stringify(r));
    });
  }
}

test('wrapper over base (v0.2): lightning entry loaded, deepspeed initialised', () => {
  const r = detectFromReport(
    report({
      wrappers: { lightning: { detected: true, version: '2.3' } },
      bases: { deepspeed: { detected: true, initialized: true } },
      pytorch: { available: true, detected_modules: { deepspeed: true, megatron: false, transformers: false, lightning: true } },
    }),
  );
  assert.deepEqual([r.framework, r.wrapper_framework, r.base_framework], ['lightning', 'lightning', 'deepspeed']);
});
test('wrapper over base (v0.2): HF Trainer (its TrainingArguments) with DeepSpeed initialised', () => {
  const r = detectFromReport(
    report({
      config: { ...HF_ARGS, deepspeed: '/ds.json' },
      wrappers: { transformers_trainer: { detected: true, has_trainer: true } },
      bases: { deepspeed: { detected: true, initialized: true }, transformers: { detected: true } },
      pytorch: { available: true, detected_modules: { deepspeed: true, megatron: false, transformers: true, lightning: false } },
    }),
  );
  assert.deepEqual([r.framework, r.wrapper_framework, r.base_framework], ['transformers', 'transformers', 'deepspeed']);
});
test('wrapper over base (v0.2): primus initialised with its configured backend', () => {
  const r = detectFromReport(
    report({
      env: { PRIMUS_CONFIG: '/c.yaml' },
      wrappers: { primus: { detected: true, initialized: true, base_framework: 'megatron' } },
      bases: { megatron: { detected: true, initialized: false } },
      pytorch: { available: true, detected_modules: { deepspeed: false, megatron: true, transformers: false, lightning: false } },
    }),
  );
  assert.deepEqual([r.framework, r.wrapper_framework, r.base_framework], ['primus', 'primus', 'megatron']);
});

for (const entry of ['lightning', 'megatron', 'deepspeed']) {
  test(`v0.2: a detected ${entry} entry whose module is flagged loaded is runtime evidence, not installed`, () => {
    const list =
      entry === 'lightning' ? { wrappers: { lightning: { detected: true } } } : { bases: { [entry]: { detected: true } } };
    const flags = { deepspeed: false, megatron: false, transformers: false, lightning: false, [entry]: true };
    const loaded = detectFromReport(report({ ...list, pytorch: { available: true, detected_modules: flags } }));
    assert.ok(loaded.indicators.some((i) => i.framework === entry && i.signal === 'import_detection' && i.kind === 'imported'));
    const installed = detectFromReport(
      report({ ...list, pytorch: { available: true, detected_modules: { ...flags, [entry]: false } } }),
    );
    assert.ok(
      installed.indicators.some((i) => i.framework === entry && i.signal === 'import_detection' && i.kind === 'installed'),
    );
    assert.ok(loaded.confidence > installed.confidence);
  });
}

// The plumbing table: while the wrapper runs, each module it loads itself is discounted, with the reason.
for (const wrapper of CATALOGUE.filter((f) => f.plumbing.length > 0)) {
  for (const p of wrapper.plumbing) {
    test(`plumbing: ${p.module} loaded by running ${wrapper.name} is no evidence`, () => {
      const r = detectFromReport(report(merge({ imported: [...torch, p.module] }, RUNNING[wrapper.name] ?? {})));
      assert.equal(r.framework, wrapper.name);
      const ind = r.indicators.find((i) => i.detail?.startsWith(p.module) === true && i.framework !== wrapper.name);
      assert.ok(
        ind !== undefined && ind.kind === 'discounted' && (ind.detail ?? '').includes(`${wrapper.name} loads it itself`),
        JSON.stringify(r.indicators),
      );
      assert.ok(!names2(r).includes(ind.framework) || ind.framework === 'pytorch');
    });
  }
}

// ---- 4. Keys a framework writes into wandb.config: a threshold over its set, never one key ----
function configWith(keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) {
    const [head, tail] = k.split('.');
    if (tail === undefined) out[head ?? k] = 'x';
    else out[head ?? k] = { ...(out[head ?? k] as Json | undefined), [tail]: 1 };
  }
  return out;
}
for (const sig of CONFIG_SIGNATURES.filter((s) => s.within === undefined)) {
  const found = (config: Json): boolean =>
    detectFromReport(report({ config })).indicators.some(
      (i) => i.framework === sig.framework && i.signal === 'wandb_config_signature',
    );
  const withValue = (keys: string[]): Json => ({
    ...configWith(keys),
    ...(sig.valueIncludes ? { [sig.valueIncludes.key]: `${sig.valueIncludes.text}.x` } : {}),
  });
  const anchorFirst = [
    ...(sig.anchors ?? []).slice(0, 1),
    ...sig.keys.filter((k) => !(sig.anchors ?? []).slice(0, 1).includes(k)),
  ];
  test(`config signature: ${sig.detail} matches with ${sig.min} of its keys`, () => {
    assert.ok(found(withValue(anchorFirst.slice(0, sig.min))));
  });
  if (sig.min > 1) {
    test(`config signature: ${sig.detail} does not match with ${sig.min - 1} of its keys, nor with any one`, () => {
      assert.ok(!found(withValue(anchorFirst.slice(0, sig.min - 1))));
      for (const key of sig.keys) assert.ok(!found(withValue([key])), key);
    });
  }
  if (sig.anchors !== undefined) {
    test(`config signature: ${sig.detail} needs one of its anchors`, () => {
      assert.ok(!found(withValue(sig.keys.filter((k) => !(sig.anchors ?? []).includes(k)))));
    });
  }
  if (sig.valueIncludes !== undefined) {
    test(`config signature: ${sig.detail} needs its value`, () => {
      assert.ok(!found(configWith(sig.keys)));
    });
  }
}
