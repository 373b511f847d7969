// The metric-name fingerprint, table-first: what each framework logs by itself → that framework;
// thresholds and anchors; and how a `metrics` source merges with reports (weaker than what a
// report shows running, stronger than project words, enough alone).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  detectFromMetricNames,
  FINGERPRINTS,
  mergeWorkload,
  metricsSource,
  type SourceResult,
  sourceFromReport,
} from '../../src/detection/index.js';
import { report } from './fixtures.js';

/** First logged step of each framework as it logs by default (what reaches wandb.log, from its source). */
const FIRST_STEP: Record<string, string[]> = {
  megatron: ['samples vs steps', 'learning-rate', 'batch-size', 'lm loss', 'loss-scale', 'grad-norm'],
  torchtitan: [
    'loss_metrics/global_avg_loss',
    'loss_metrics/global_max_loss',
    'grad_norm',
    'throughput(tps)',
    'tflops',
    'mfu(%)',
    'time_metrics/end_to_end(s)',
    'time_metrics/data_loading(s)',
    'time_metrics/data_loading(%)',
    'memory/max_active(GiB)',
    'memory/max_active(%)',
    'memory/max_reserved(GiB)',
    'memory/max_reserved(%)',
    'memory/num_alloc_retries',
    'memory/num_ooms',
    'n_tokens_seen',
    'lr',
  ],
  transformers: ['train/loss', 'train/grad_norm', 'train/learning_rate', 'train/epoch', 'train/global_step'],
  lightning: ['train_loss', 'epoch', 'trainer/global_step'],
  nemo: ['reduced_train_loss', 'lr', 'global_step', 'consumed_samples', 'train_step_timing in s', 'epoch', 'trainer/global_step'],
  deepspeed: ['Train/Samples/lr', 'Train/Samples/loss_scale'],
};

interface Row {
  name: string;
  names: string[];
  framework: string;
  wrapper?: string | null;
  base?: string | null;
}

const ROWS: Row[] = [
  ...Object.entries(FIRST_STEP).map(([framework, names]) => ({ name: `${framework}: its first logged step`, names, framework })),
  {
    name: 'megatron: behind-flag names count too',
    names: ['lm loss', 'num-zeros', 'params-norm', 'iteration-time'],
    framework: 'megatron',
    base: 'megatron',
    wrapper: null,
  },
  {
    name: 'megatron: a validation row plus the counters',
    names: ['lm loss validation', 'samples vs steps', 'learning-rate'],
    framework: 'megatron',
  },
  {
    name: 'torchtitan: every key behind its logger tag',
    names: ['titan/loss_metrics/global_avg_loss', 'titan/throughput(tps)', 'titan/mfu(%)'],
    framework: 'torchtitan',
  },
  {
    name: 'transformers: an eval row and a train row',
    names: ['eval/loss', 'eval/runtime', 'eval/samples_per_second', 'train/global_step'],
    framework: 'transformers',
    wrapper: 'transformers',
    base: null,
  },
  {
    name: 'lightning: LearningRateMonitor and ThroughputMonitor',
    names: ['trainer/global_step', 'lr-AdamW', 'train/device/samples_per_sec'],
    framework: 'lightning',
  },
  {
    name: 'nemo logs through Lightning: NeMo explains Lightning',
    names: FIRST_STEP.nemo ?? [],
    framework: 'nemo',
    wrapper: 'nemo',
    base: null,
  },
  {
    name: 'generic names are no fingerprint',
    names: ['loss', 'lr', 'accuracy', 'grad_norm', 'epoch', 'step'],
    framework: 'unknown',
  },
  { name: 'one Megatron name alone is not enough', names: ['lm loss', 'loss', 'lr'], framework: 'unknown' },
  {
    name: 'Megatron-like names without an anchor are not enough',
    names: ['learning-rate', 'batch-size', 'grad-norm', 'loss-scale'],
    framework: 'unknown',
  },
  {
    name: "a user's own train/ names without HF's are not HF",
    names: ['train/loss', 'train/epoch', 'train/acc'],
    framework: 'unknown',
  },
  {
    name: "Lightning's epoch without its step key is not Lightning",
    names: ['epoch', 'lr-Adam', 'val_loss'],
    framework: 'unknown',
  },
  { name: 'torchtitan needs three of its names', names: ['loss_metrics/global_avg_loss', 'grad_norm'], framework: 'unknown' },
  { name: 'no names at all', names: [], framework: 'unknown' },
];

for (const row of ROWS) {
  test(`metric names: ${row.name}`, () => {
    const r = detectFromMetricNames(row.names);
    assert.equal(r.framework, row.framework, JSON.stringify(r));
    if (row.wrapper !== undefined) assert.equal(r.wrapper_framework, row.wrapper);
    if (row.base !== undefined) assert.equal(r.base_framework, row.base);
    if (row.framework === 'unknown') {
      assert.equal(r.confidence, 0);
      return;
    }
    assert.equal(r.confidence, 0.45, 'weaker than a loaded module, stronger than project words');
    assert.equal(r.method, 'metric_names');
    const ind = r.indicators.find((i) => i.framework === row.framework);
    assert.ok(ind !== undefined && ind.kind === 'metrics', JSON.stringify(r.indicators));
    for (const matched of (ind.detail ?? '').split(', ').filter((m) => !/^\+\d+ more$/.test(m))) {
      assert.ok(
        row.names.some((n) => n === matched || n.endsWith(`/${matched}`)),
        `${matched} was in the names`,
      );
    }
  });
}

test('metric names: every fingerprint is reachable from the table and has a source', () => {
  const covered = new Set(ROWS.map((r) => detectFromMetricNames(r.names).framework));
  for (const fp of FINGERPRINTS) {
    assert.ok(covered.has(fp.framework), fp.framework);
    assert.ok(fp.source.length > 0 && fp.anchors.length > 0 && fp.min >= 1);
  }
});

test('metric names: the order of the names does not matter, and a huge list is bounded', () => {
  const names = FIRST_STEP.megatron ?? [];
  assert.deepEqual(detectFromMetricNames([...names].reverse()), detectFromMetricNames(names));
  const noise = Array.from({ length: 100_000 }, (_, i) => `m${i}`);
  assert.equal(detectFromMetricNames([...noise, ...names]).framework, 'unknown', 'only the first names are read');
});

// ---- merged with the other sources ----
const who = (pod: string, rank = 0, run = 'run-a'): { pod_name: string; rank: number; run_id: string } => ({
  pod_name: pod,
  rank,
  run_id: run,
});
const metrics = (framework: string, pod = 'p0'): SourceResult => metricsSource(FIRST_STEP[framework] ?? [], who(pod), 10);
const reportFrom = (body: Record<string, unknown>, pod = 'p0'): SourceResult =>
  sourceFromReport({ ...body, pod_name: pod, rank: 0, run_id: 'run-a' }, 5);

test('merge: a workload with no report at all gets a framework from its metric names (suspected)', () => {
  const m = mergeWorkload([metrics('megatron')]);
  assert.deepEqual([m.framework, m.base_framework, m.status, m.method], ['megatron', 'megatron', 'suspected', 'metric_names']);
  assert.equal(m.confidence, 0.45);
});

test('merge: the metrics source has the report key of its pod, rank and run, and its own source kind', () => {
  const s = metrics('lightning');
  assert.equal(s.source, 'metrics');
  assert.equal(s.source_key, reportFrom(report({ imported: ['torch'] })).source_key);
});

test('merge: what a report shows running beats the metric names, without a conflict', () => {
  const m = mergeWorkload([metrics('transformers'), reportFrom(report({ imported: ['torch', 'lightning'] }))]);
  assert.deepEqual([m.framework, m.status, m.conflicts.length], ['lightning', 'confirmed', 0]);
});

test('merge: a report over the same stack agrees (Primus over Megatron, Megatron names)', () => {
  const m = mergeWorkload([
    metrics('megatron'),
    reportFrom(report({ env: { PRIMUS_CONFIG: '/c', PRIMUS_BACKEND: 'megatron' } })),
  ]);
  assert.deepEqual([m.framework, m.wrapper_framework, m.base_framework, m.status], ['primus', 'primus', 'megatron', 'confirmed']);
});

test('merge: metric names beat a report that has only project words or installed packages', () => {
  const words = mergeWorkload([metrics('torchtitan'), reportFrom(report({ project: 'deepspeed-sweep' }))]);
  assert.equal(words.framework, 'torchtitan');
  const installed = mergeWorkload([metrics('lightning'), reportFrom(report({ packages: { colossalai: '0.4' } }))]);
  assert.equal(installed.framework, 'lightning');
});

test('merge: metric names of two pods agree (two origins, still only suspected)', () => {
  const m = mergeWorkload([metrics('megatron', 'p0'), metrics('megatron', 'p1')]);
  assert.deepEqual([m.framework, m.status], ['megatron', 'suspected']);
  assert.equal(m.confidence, 0.5);
});
