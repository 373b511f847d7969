// Malformed, hostile and random bodies: detection never throws and always returns a well-formed result.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DetectionResult, detectFromReport, mergeWorkload, sourceFromReport } from '../../src/detection/index.js';
import { prng } from '../support/prng.js';
import { report, V01_QUICKSTART, V02_DOCUMENTED } from './fixtures.js';

function assertWellFormed(r: DetectionResult, label: string): void {
  assert.equal(typeof r.framework, 'string', label);
  assert.ok(r.framework.length > 0, label);
  assert.ok(r.wrapper_framework === null || typeof r.wrapper_framework === 'string', label);
  assert.ok(r.base_framework === null || typeof r.base_framework === 'string', label);
  assert.ok(Number.isFinite(r.confidence) && r.confidence >= 0 && r.confidence <= 1, `${label}: confidence ${r.confidence}`);
  assert.equal(Math.round(r.confidence * 100) / 100, r.confidence, `${label}: two decimals`);
  assert.equal(typeof r.method, 'string', label);
  assert.ok(Array.isArray(r.indicators) && Array.isArray(r.conflicts), label);
  for (const i of r.indicators) assert.ok(i.weight >= 0 && i.weight <= 1 && typeof i.framework === 'string', label);
  if (r.framework === 'unknown') assert.equal(r.confidence, 0, label);
  JSON.stringify(r); // must be serialisable for the store and the HTTP answer
}

const GARBAGE: Array<[string, unknown]> = [
  ['null', null],
  ['undefined', undefined],
  ['number', 42],
  ['string', '{"evidence":{}}'],
  ['array', [1, 2]],
  ['evidence is an array', { evidence: [] }],
  ['evidence is a string', { evidence: 'PRIMUS_CONFIG' }],
  ['environment is a list', { evidence: { environment: ['PRIMUS_CONFIG'] } }],
  [
    'environment values of every type',
    {
      evidence: { environment: { FRAMEWORK: 42, BACKEND: { x: 1 }, EXP: ['a'], JAX_PLATFORMS: null, ACCELERATE_USE_FSDP: true } },
    },
  ],
  ['wandb.config is a list', { evidence: { wandb: { config: ['framework', 'primus'], project: 7, tags: 'megatron' } } }],
  [
    'config values of wrong types',
    { evidence: { wandb: { config: { framework: ['primus'], base_framework: 3, trainer: { deepspeed: 1 }, backend: null } } } },
  ],
  ['modules with wrong types', { evidence: { modules: { imported: 'megatron', initialized: ['deepspeed'] } } }],
  [
    'modules with mixed items',
    { evidence: { modules: { imported: [null, 1, {}, 'deepspeed', ['x']], initialized: { deepspeed: 'yes', megatron: 1 } } } },
  ],
  ['pytorch detected_modules is a list', { evidence: { pytorch: { available: 'true', detected_modules: ['megatron'] } } }],
  [
    'v0.2 entries of wrong types',
    {
      evidence: {
        wrapper_frameworks: ['primus'],
        base_frameworks: { megatron: 'yes', jax: null, deepspeed: { detected: 'true', initialized: 1 } },
      },
    },
  ],
  [
    'primus base_framework not a string',
    { evidence: { wrapper_frameworks: { primus: { detected: true, initialized: true, base_framework: { name: 'megatron' } } } } },
  ],
  ['packages is a list', { evidence: { software: { packages: ['deepspeed'] } } }],
  [
    'hints of wrong types',
    { hints: { wrapper_frameworks: 'primus', base_frameworks: [1, null], possible_frameworks: { a: 1 } } },
  ],
  [
    'very long names',
    { evidence: { environment: { FRAMEWORK: 'x'.repeat(100_000) }, modules: { imported: ['m'.repeat(100_000)] } } },
  ],
];

for (const [name, body] of GARBAGE) {
  test(`robust: ${name}`, () => assertWellFormed(detectFromReport(body), name));
}

test('robust: malformed parts are skipped, the valid parts still count', () => {
  const r = detectFromReport({
    evidence: { modules: { imported: [null, 1, 'deepspeed'], initialized: { deepspeed: 'yes' } }, environment: ['x'] },
  });
  assert.equal(r.framework, 'deepspeed');
  assert.equal(r.confidence, 0.7, 'a non-boolean initialized flag is not an initialised signal');
});

test('robust: inherited and prototype keys are never read as evidence', () => {
  const body = JSON.parse(
    '{"evidence":{"environment":{"__proto__":{"PRIMUS_CONFIG":"x"},"constructor":"y","toString":"z"},' +
      '"wandb":{"config":{"__proto__":{"framework":"primus"}}},"modules":{"imported":[],"initialized":{"__proto__":{"deepspeed":true}}}}}',
  );
  const r = detectFromReport(body);
  assert.equal(r.framework, 'unknown');
  assertWellFormed(r, 'proto');
});

test('robust: huge lists are bounded, the first entries are read', () => {
  const junk = Array.from({ length: 100_000 }, (_, i) => `pkg_${i}`);
  const early = detectFromReport(report({ imported: ['deepspeed', ...junk] }));
  assert.equal(early.framework, 'deepspeed');
  // Past the bound (MAX_ENTRIES in read.ts) nothing is read: a hostile body costs bounded CPU.
  const late = detectFromReport(report({ imported: [...junk, 'deepspeed'] }));
  assert.equal(late.framework, 'unknown');
});

test('robust: deep nesting in config values does not matter', () => {
  let deep: unknown = 'primus';
  for (let i = 0; i < 10_000; i++) deep = { x: deep };
  const r = detectFromReport(report({ config: { framework: deep, nested: deep } }));
  assert.equal(r.framework, 'unknown');
});

const WORDS = [
  'primus',
  'megatron',
  'deepspeed',
  'lightning',
  'jax',
  'torch',
  'nemo',
  'fsdp',
  'PRIMUS_CONFIG',
  'FRAMEWORK',
  'x',
  '',
  '__proto__',
  'constructor',
];

function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * 9);
  const word = WORDS[Math.floor(rand() * WORDS.length)] ?? 'x';
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return [NaN, Infinity, -1, 0, 1e308, rand()][Math.floor(rand() * 6)];
    case 3:
      return word;
    case 4:
      return depth > 3 ? word : Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      if (depth > 3) return word;
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 4); i > 0; i--)
        out[WORDS[Math.floor(rand() * WORDS.length)] ?? 'k'] = randomValue(rand, depth + 1);
      return out;
    }
  }
}

/** Replace one random subtree of a valid body with a random value. */
function mutate(body: unknown, rand: () => number): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (let depth = 0; depth < 5; depth++) {
    const keys = Object.keys(node);
    const key = keys[Math.floor(rand() * keys.length)];
    if (key === undefined) break;
    const child = node[key];
    if (rand() < 0.35 || typeof child !== 'object' || child === null) {
      node[key] = randomValue(rand, 0);
      break;
    }
    node = child as Record<string, unknown>;
  }
  return copy;
}

test('robust: 3,000 mutated legacy and current bodies never throw and stay well-formed', () => {
  const rand = prng(20261126);
  const seeds = [
    V01_QUICKSTART,
    V02_DOCUMENTED,
    report({
      env: { PRIMUS_CONFIG: '' },
      imported: ['torch', 'megatron'],
      initialized: { megatron: true },
      packages: { torch: '2' },
      config: { framework: 'primus' },
    }),
  ];
  const sources = [];
  for (let i = 0; i < 3000; i++) {
    const body = mutate(seeds[i % seeds.length], rand);
    const r = detectFromReport(body);
    assertWellFormed(r, `case ${i}: ${JSON.stringify(body).slice(0, 300)}`);
    if (i % 100 === 0) sources.push(sourceFromReport(body, i));
  }
  const merged = mergeWorkload(sources);
  assert.ok(['verified', 'confirmed', 'suspected', 'conflict', 'unknown'].includes(merged.status));
  assert.ok(merged.confidence >= 0 && merged.confidence <= 1);
});
