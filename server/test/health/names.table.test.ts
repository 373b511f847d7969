// Metric name rules, one row per name a framework really logs (checked in its source).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLossLike, lossPriority, type PerfKey, perfRuleFor, totalStepsFromConfig } from '../../src/health/names.js';

const LOSS_LIKE: Array<[string, boolean, string]> = [
  ['loss', true, 'plain scripts, the quickstart'],
  ['lm loss', true, 'Megatron-LM'],
  ['lm loss validation', true, 'Megatron-LM evaluation'],
  ['train/loss', true, 'HF Trainer'],
  ['eval/loss', true, 'HF Trainer evaluation'],
  ['loss_metrics/global_avg_loss', true, 'TorchTitan'],
  ['tag/loss_metrics/global_max_loss', true, 'TorchTitan with a tag prefix'],
  ['reduced_train_loss', true, 'NeMo'],
  ['train_loss', true, 'Lightning'],
  ['val_loss', true, 'Keras-style'],
  ['moe/aux_loss', true, 'a loss term is a loss'],
  ['loss-scale', false, "Megatron's AMP loss scale"],
  ['loss_scale', false, 'DeepSpeed'],
  ['train/loss_scaler', false, 'a scaler'],
  ['loss_weight', false, 'a constant'],
  ['aux_loss_coef', false, 'a constant'],
  ['grad-norm', false, 'not a loss'],
  ['lossless_ratio', false, 'compression setting'],
  ['accuracy', false, ''],
];

for (const [name, expected, why] of LOSS_LIKE) {
  test(`loss-like "${name}" → ${expected}${why ? ` (${why})` : ''}`, () => assert.equal(isLossLike(name), expected));
}

test('main training losses claim spike windows before evaluation and auxiliary losses', () => {
  const ordered = ['eval/loss', 'moe/aux_loss', 'train/loss', 'loss_metrics/global_avg_loss', 'lm loss'].sort(
    (a, b) => lossPriority(a) - lossPriority(b),
  );
  assert.deepEqual(ordered.slice(0, 3).sort(), ['lm loss', 'loss_metrics/global_avg_loss', 'train/loss']);
  assert.equal(ordered[4], 'eval/loss');
});

const PERF: Array<[string, PerfKey | null, number, boolean | null]> = [
  // name, key, scale, rate (null: not a speed)
  ['iteration-time', 'iteration_time_s', 1, false],
  ['train_step_timing in s', 'iteration_time_s', 1, false],
  ['time_metrics/end_to_end(s)', 'iteration_time_s', 1, false],
  ['throughput(tps)', 'tokens_per_second', 1, true],
  ['train/device/samples_per_sec', 'samples_per_second', 1, true],
  ['train_steps_per_second', 'steps_per_second', 1, true],
  ['throughput', 'throughput', 1, true],
  ['tflops', 'tflops', 1, null],
  ['tflops_per_sec_per_gpu', 'tflops', 1, null],
  ['train/device/flops_per_sec', 'tflops', 1e-12, null],
  ['mfu(%)', 'mfu', 0.01, null],
  ['train/device/mfu', 'mfu', 1, null],
  ['memory/max_reserved(GiB)', 'gpu_memory_gib', 1, null],
  ['time_metrics/data_loading(s)', null, 0, null],
  ['learning-rate', null, 0, null],
];

for (const [name, key, scale, rate] of PERF) {
  test(`performance metric "${name}" → ${key ?? 'none'}`, () => {
    const rule = perfRuleFor(name);
    assert.equal(rule?.key ?? null, key);
    if (rule === null) return;
    assert.equal(rule.scale, scale);
    assert.equal(rule.speedRank === null ? null : rule.rate, rate);
  });
}

const TOTALS: Array<[unknown, number | null, string | null]> = [
  [{ train_iters: 500_000, max_steps: 10 }, 500_000, 'config.train_iters'],
  [{ max_steps: 1200 }, 1200, 'config.max_steps'],
  [{ max_steps: -1, num_train_epochs: 3 }, null, null],
  [{ training: { steps: 3000 } }, 3000, 'config.training.steps'],
  [{ trainer: { value: { max_steps: 77 } } }, 77, 'config.trainer.max_steps'],
  [{ max_steps: { value: 42, desc: null } }, 42, 'config.max_steps'],
  [{ total_steps: 1.5 }, null, null],
  [null, null, null],
];

for (const [config, value, source] of TOTALS) {
  test(`total steps from ${JSON.stringify(config)}`, () => {
    const got = totalStepsFromConfig(config);
    assert.deepEqual(got === null ? [null, null] : [got.value, got.source], [value, source]);
  });
}
