// Table tests for mergeWorkload: sources across pods, ranks, runs, re-reports and a user override.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  mergeWorkload,
  type SourceResult,
  sourceFromReport,
  userOverrideSource,
  type WorkloadDetection,
} from '../../src/detection/index.js';
import { report, V01_QUICKSTART, V02_DOCUMENTED, V02_MEGATRON_WITH_TRANSFORMERS_INSTALLED } from './fixtures.js';

/** A wandb source from a real body, as the HTTP layer builds it. */
function wandb(body: Record<string, unknown>, pod: string, rank: number, at: number, run = 'run-a'): SourceResult {
  return sourceFromReport({ ...body, pod_name: pod, pod_uid: `uid-${pod}`, rank, run_id: run }, at);
}

/** A report with neither pod name nor pod uid: the exporter outside Kubernetes, keyed by host. */
function onHost(body: Record<string, unknown>, host: string, at: number, run: string): SourceResult {
  const { pod_name: _n, pod_uid: _u, ...rest } = body;
  return sourceFromReport({ ...rest, host, run_id: run }, at);
}

function user(framework: string, at: number, extra: Record<string, unknown> = {}): SourceResult {
  const s = userOverrideSource({ framework, ...extra }, at);
  assert.ok(s, `user override for ${framework} must be accepted`);
  return s;
}

const PRIMUS_ENV = report({ env: { PRIMUS_CONFIG: '/c.yaml', PRIMUS_VERSION: '1.2.3' }, config: { framework: 'primus' } });
const DEEPSPEED_LOADED = report({ imported: ['torch', 'deepspeed'], initialized: { deepspeed: true } });
const LIGHTNING_LOADED = report({ imported: ['torch', 'lightning'] });
const INSTALLED_ONLY = report({ packages: { colossalai: '0.4.0' } });
const NOTHING = report({ env: { WORLD_SIZE: '8' } });

interface Expect {
  framework: string;
  status: WorkloadDetection['status'];
  confidence: number | [number, number];
  wrapper?: string | null;
  base?: string | null;
  method?: string;
  sources?: number;
  conflict?: string[] | null;
}

interface Case {
  name: string;
  sources: () => SourceResult[];
  expect: Expect;
}

const CASES: Case[] = [
  {
    name: 'no sources',
    sources: () => [],
    expect: { framework: 'unknown', status: 'unknown', confidence: 0, method: 'none', sources: 0, conflict: null },
  },
  {
    name: 'only reports without signal',
    sources: () => [wandb(NOTHING, 'p0', 0, 1), wandb(NOTHING, 'p1', 0, 2)],
    expect: { framework: 'unknown', status: 'unknown', confidence: 0, sources: 2 },
  },
  {
    name: 'quickstart case: one report → confirmed at 0.80',
    sources: () => [wandb(PRIMUS_ENV, 'p0', 0, 1)],
    expect: {
      framework: 'primus',
      status: 'confirmed',
      confidence: 0.8,
      wrapper: 'primus',
      method: 'env_vars',
      sources: 1,
      conflict: null,
    },
  },
  {
    name: 'quickstart case, v0.1 legacy body',
    sources: () => [sourceFromReport(V01_QUICKSTART, 5)],
    expect: { framework: 'primus', status: 'confirmed', confidence: 0.8 },
  },
  {
    name: 'two pods agree → modest raise, verified',
    sources: () => [wandb(PRIMUS_ENV, 'p0', 0, 1), wandb(PRIMUS_ENV, 'p1', 1, 1)],
    expect: { framework: 'primus', status: 'verified', confidence: 0.85, sources: 2 },
  },
  {
    name: 'two ranks of one pod are one origin: no raise',
    sources: () => [wandb(PRIMUS_ENV, 'p0', 0, 1), wandb(PRIMUS_ENV, 'p0', 1, 1)],
    expect: { framework: 'primus', status: 'confirmed', confidence: 0.8, sources: 2 },
  },
  {
    name: 'the same job re-run on the same pod is not a second confirmation',
    sources: () => [wandb(PRIMUS_ENV, 'p0', 0, 1, 'run-a'), wandb(PRIMUS_ENV, 'p0', 0, 9, 'run-b')],
    expect: { framework: 'primus', status: 'confirmed', confidence: 0.8, sources: 2 },
  },
  {
    name: 'the same job re-run on the same host (no pod name) is not a second confirmation',
    sources: () => [onHost(PRIMUS_ENV, 'vm', 1, 'r1'), onHost(PRIMUS_ENV, 'vm', 9, 'r2')],
    expect: { framework: 'primus', status: 'confirmed', confidence: 0.8, sources: 2 },
  },
  {
    name: 'two pods named by hand on one machine are one origin',
    sources: () => [
      sourceFromReport({ ...PRIMUS_ENV, pod_name: 'a', host: 'node-1', run_id: 'r1' }, 1),
      sourceFromReport({ ...PRIMUS_ENV, pod_name: 'b', host: 'node-1', run_id: 'r2' }, 2),
    ],
    expect: { framework: 'primus', status: 'confirmed', confidence: 0.8, sources: 2 },
  },
  {
    name: 'two hosts agree → modest raise, verified',
    sources: () => [onHost(PRIMUS_ENV, 'vm-a', 1, 'r1'), onHost(PRIMUS_ENV, 'vm-b', 2, 'r1')],
    expect: { framework: 'primus', status: 'verified', confidence: 0.85, sources: 2 },
  },
  {
    name: 'eight ranks on two pods count as two origins',
    sources: () => Array.from({ length: 8 }, (_, r) => wandb(PRIMUS_ENV, `p${r >> 2}`, r, 1)),
    expect: { framework: 'primus', status: 'verified', confidence: 0.85, sources: 8 },
  },
  {
    name: 'eight pods agree → the raise is capped',
    sources: () => Array.from({ length: 8 }, (_, r) => wandb(PRIMUS_ENV, `p${r}`, 0, 1)),
    expect: { framework: 'primus', status: 'verified', confidence: 0.9, sources: 8 },
  },
  {
    name: 're-report of the same source replaces it, never duplicates',
    sources: () => [wandb(NOTHING, 'p0', 0, 1), wandb(DEEPSPEED_LOADED, 'p0', 0, 2)],
    expect: { framework: 'deepspeed', status: 'confirmed', confidence: 0.9, sources: 1 },
  },
  {
    name: 'an older re-report does not overwrite a newer one',
    sources: () => [wandb(DEEPSPEED_LOADED, 'p0', 0, 9), wandb(NOTHING, 'p0', 0, 3)],
    expect: { framework: 'deepspeed', sources: 1, status: 'confirmed', confidence: 0.9 },
  },
  {
    name: 'runs of one workload on two pods merge',
    sources: () => [wandb(DEEPSPEED_LOADED, 'p0', 0, 1, 'run-a'), wandb(DEEPSPEED_LOADED, 'p1', 0, 2, 'run-b')],
    expect: { framework: 'deepspeed', status: 'verified', confidence: 0.95, sources: 2 },
  },
  {
    name: 'single high-confidence source is only confirmed',
    sources: () => [sourceFromReport(V02_DOCUMENTED, 1)],
    expect: { framework: 'primus', status: 'confirmed', confidence: 0.98, base: 'megatron' },
  },
  {
    name: 'installed-only evidence is suspected',
    sources: () => [wandb(INSTALLED_ONLY, 'p0', 0, 1)],
    expect: { framework: 'colossalai', status: 'suspected', confidence: 0.3 },
  },
  {
    name: 'hints-only evidence stays unknown status',
    sources: () => [wandb(report({ hints: { possible_frameworks: ['jax'] } }), 'p0', 0, 1)],
    expect: { framework: 'jax', status: 'unknown', confidence: 0.15 },
  },
  {
    name: 'disagreeing strong sources → conflict, winner by confidence, penalised',
    sources: () => [wandb(DEEPSPEED_LOADED, 'p0', 0, 1), wandb(LIGHTNING_LOADED, 'p1', 0, 2)],
    expect: { framework: 'deepspeed', status: 'conflict', confidence: 0.7, conflict: ['deepspeed', 'lightning'] },
  },
  {
    name: 'a weak dissenter is outvoted without a conflict',
    sources: () => [wandb(DEEPSPEED_LOADED, 'p0', 0, 1), wandb(INSTALLED_ONLY, 'p1', 0, 2)],
    expect: { framework: 'deepspeed', status: 'confirmed', confidence: 0.9, conflict: null, sources: 2 },
  },
  {
    name: 'compatible stacks (primus/megatron vs megatron) are no conflict',
    sources: () => [sourceFromReport(V02_DOCUMENTED, 1), wandb(V02_MEGATRON_WITH_TRANSFORMERS_INSTALLED, 'p9', 0, 2)],
    expect: { framework: 'primus', status: 'confirmed', conflict: null, confidence: 0.98 },
  },
  {
    name: 'a source whose own rules conflicted on the top choice → conflict status',
    sources: () => [wandb(report({ imported: ['torch', 'lightning', 'transformers.trainer'] }), 'p0', 0, 1)],
    expect: { framework: 'lightning', status: 'conflict', confidence: 0.5, conflict: ['lightning', 'transformers'] },
  },
  {
    name: 'user override wins over telemetry and is verified',
    sources: () => [wandb(DEEPSPEED_LOADED, 'p0', 0, 1), user('megatron', 2)],
    expect: {
      framework: 'megatron',
      status: 'verified',
      confidence: 1,
      method: 'user_override',
      base: 'megatron',
      wrapper: null,
      conflict: ['megatron', 'deepspeed'],
    },
  },
  {
    name: 'user override agrees with telemetry: no conflict',
    sources: () => [wandb(PRIMUS_ENV, 'p0', 0, 1), user('primus', 2, { base_framework: 'torchtitan' })],
    expect: { framework: 'primus', status: 'verified', confidence: 1, wrapper: 'primus', base: 'torchtitan', conflict: null },
  },
  {
    name: 'the newest user override wins over an older one',
    sources: () => [user('jax', 1), { ...user('pytorch_lightning', 5), source_key: 'user-2' }],
    expect: { framework: 'lightning', status: 'verified', wrapper: 'lightning', confidence: 1 },
  },
];

function checkConfidence(actual: number, expected: number | [number, number], name: string): void {
  if (typeof expected === 'number') assert.equal(actual, expected, `${name}: confidence`);
  else assert.ok(actual >= expected[0] && actual <= expected[1], `${name}: confidence ${actual}`);
}

for (const c of CASES) {
  test(`merge: ${c.name}`, () => {
    const got = mergeWorkload(c.sources());
    const e = c.expect;
    assert.equal(got.framework, e.framework, `${c.name}: framework`);
    assert.equal(got.status, e.status, `${c.name}: status`);
    checkConfidence(got.confidence, e.confidence, c.name);
    if (e.wrapper !== undefined) assert.equal(got.wrapper_framework, e.wrapper, `${c.name}: wrapper`);
    if (e.base !== undefined) assert.equal(got.base_framework, e.base, `${c.name}: base`);
    if (e.method !== undefined) assert.equal(got.method, e.method, `${c.name}: method`);
    if (e.sources !== undefined) assert.equal(got.sources.length, e.sources, `${c.name}: sources`);
    if (e.conflict === null) assert.deepEqual(got.conflicts, [], `${c.name}: conflicts`);
    else if (e.conflict !== undefined) {
      assert.ok(
        got.conflicts.some((k) => JSON.stringify(k.candidates.map((x) => x.framework)) === JSON.stringify(e.conflict)),
        `${c.name}: expected conflict ${JSON.stringify(e.conflict)}, got ${JSON.stringify(got.conflicts)}`,
      );
    }
  });
}

test('merge: sources are listed user first, then newest first', () => {
  const got = mergeWorkload([wandb(PRIMUS_ENV, 'p0', 0, 1), wandb(PRIMUS_ENV, 'p1', 0, 3), user('primus', 2)]);
  assert.deepEqual(
    got.sources.map((s) => [s.source, s.reported_at]),
    [
      ['user', 2],
      ['wandb', 3],
      ['wandb', 1],
    ],
  );
});

test('merge: the result does not depend on the order of the sources', () => {
  const list = [wandb(DEEPSPEED_LOADED, 'p0', 0, 1), wandb(LIGHTNING_LOADED, 'p1', 0, 2), wandb(PRIMUS_ENV, 'p2', 0, 3)];
  assert.deepEqual(mergeWorkload([...list].reverse()), mergeWorkload(list));
});

test('merge: does not modify its input', () => {
  const list = [wandb(DEEPSPEED_LOADED, 'p0', 0, 1), wandb(LIGHTNING_LOADED, 'p1', 0, 2)];
  const copy = structuredClone(list);
  mergeWorkload(list);
  assert.deepEqual(list, copy);
});

test('merge: damaged stored sources are skipped or read safely', () => {
  const good = wandb(DEEPSPEED_LOADED, 'p0', 0, 1);
  const damaged = [
    null,
    7,
    { source: 'wandb', source_key: 'x' },
    { ...good, source_key: 'p1/0/r', conflicts: 'oops', reported_at: Number.NaN },
    { ...good, source_key: 'p2/0/r', conflicts: [null, { layer: 'base' }] },
  ] as unknown as SourceResult[];
  const got = mergeWorkload([good, ...damaged]);
  assert.equal(got.framework, 'deepspeed');
  assert.equal(got.sources.length, 3);
  assert.equal(got.status, 'verified');
  assert.deepEqual(got.conflicts, []);
});
