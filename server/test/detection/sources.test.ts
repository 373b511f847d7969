// The helpers the HTTP layer uses: source keys, user overrides, the log line's confidence label.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  confidenceLabel,
  DETECTOR_VERSION,
  detectFromReport,
  sourceFromReport,
  sourceKey,
  userOverrideSource,
} from '../../src/detection/index.js';
import { V01_QUICKSTART } from './fixtures.js';

const LABELS: Array<[number, string]> = [
  [0.8, '0.80'],
  [0.94, '0.94'],
  [1, '1.00'],
  [0, '0.00'],
  [0.005, '0.01'],
  [1.7, '1.00'],
  [-0.2, '0.00'],
  [NaN, '0.00'],
  [Infinity, '0.00'],
];
for (const [value, label] of LABELS) {
  test(`confidenceLabel(${value}) = ${label}`, () => assert.equal(confidenceLabel(value), label));
}

test('the quickstart log line reads exactly as the quickstart page shows it', () => {
  const r = detectFromReport(V01_QUICKSTART);
  assert.equal(
    `✓ Detected framework from WandB: ${r.framework} (confidence: ${confidenceLabel(r.confidence)})`,
    '✓ Detected framework from WandB: primus (confidence: 0.80)',
  );
});

const KEYS: Array<[string, unknown, string]> = [
  ['ours: pod/rank/run', { pod_name: 'pod-0', rank: 3, run_id: 'r1' }, 'pod-0/3/r1'],
  ['run from run.id', { pod_name: 'pod-0', rank: 0, run: { id: 'r2' } }, 'pod-0/0/r2'],
  ['legacy: no rank, run from evidence.wandb.id', { pod_name: 'p', evidence: { wandb: { id: 'w9' } } }, 'p/-1/w9'],
  ['pod_uid when no pod_name', { pod_uid: 'uid-1', rank: 1 }, 'uid-1/1/'],
  ['host as the last resort', { host: 'node-a', rank: 'x' }, 'node-a/-1/'],
  ['nothing at all', 17, 'unknown-pod/-1/'],
];
for (const [name, body, key] of KEYS) {
  test(`sourceKey: ${name}`, () => assert.equal(sourceKey(body), key));
}

test('sourceFromReport carries the detection, the key and the server time', () => {
  const s = sourceFromReport({ ...V01_QUICKSTART, rank: 0, run_id: 'r' }, 1700000000);
  assert.equal(s.source, 'wandb');
  assert.equal(s.source_key, 'training-pod/0/r');
  assert.equal(s.reported_at, 1700000000);
  assert.deepEqual(s.reporter, { pod_name: 'training-pod', pod_uid: 'pod-uid-1', namespace: 'default', rank: 0, run_id: 'r' });
  assert.deepEqual(sourceFromReport({ host: 'vm', evidence: { wandb: { id: 'w1' } } }, 1).reporter, { host: 'vm', run_id: 'w1' });
  assert.equal(s.framework, 'primus');
  assert.equal(s.confidence, 0.8);
  assert.equal(s.detector_version, DETECTOR_VERSION);
});

test('userOverrideSource: aliases, layers and defaults', () => {
  const lightning = userOverrideSource({ framework: 'PyTorch-Lightning', reason: 'set by SRE' }, 10);
  assert.ok(lightning);
  assert.equal(lightning.framework, 'lightning');
  assert.equal(lightning.wrapper_framework, 'lightning');
  assert.equal(lightning.base_framework, null);
  assert.equal(lightning.confidence, 1);
  assert.equal(lightning.source, 'user');
  assert.equal(lightning.indicators[0]?.detail, 'set by SRE');
  const stacked = userOverrideSource(
    { framework: 'primus', base_framework: 'Megatron-Core', confidence: 0.955 },
    10,
    'user:alice',
  );
  assert.ok(stacked);
  assert.deepEqual(
    [stacked.wrapper_framework, stacked.base_framework, stacked.confidence, stacked.source_key],
    ['primus', 'megatron', 0.96, 'user:alice'],
  );
  const custom = userOverrideSource({ framework: 'our_trainer' }, 10);
  assert.equal(custom?.base_framework, 'our_trainer');
});

test('userOverrideSource rejects a framework that names nothing', () => {
  for (const framework of ['', 'none', 'unknown', '  ', 'a b c $', 'x'.repeat(200)]) {
    assert.equal(userOverrideSource({ framework }, 1), undefined, JSON.stringify(framework));
  }
});
