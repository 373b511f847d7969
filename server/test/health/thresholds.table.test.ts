// The threshold table, checked row by row: every number has a reason, bounds that hold its
// default, one environment variable, and the documentation shows the same default.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { defaultThresholds, envName, THRESHOLD_KEYS, THRESHOLDS, thresholdsFromEnv } from '../../src/health/thresholds.js';

const SERVER = join(import.meta.dirname, '..', '..');
const HEALTH_README = readFileSync(join(SERVER, 'src', 'health', 'README.md'), 'utf8');
const TOP_README = readFileSync(join(SERVER, '..', 'README.md'), 'utf8');

for (const key of THRESHOLD_KEYS) {
  const row = THRESHOLDS[key];
  test(`threshold ${key}: reasoned, bounded, configurable, documented`, () => {
    assert.ok(row.reason.length >= 40, `${key} needs a reason`);
    assert.ok(row.min <= row.value && row.value <= row.max, `${key}: default ${row.value} outside [${row.min}, ${row.max}]`);
    const name = envName(key);
    assert.match(name, /^LENS_HEALTH_[A-Z_]+$/);
    const problems: string[] = [];
    const over = row.value === row.max ? row.min : row.max;
    assert.equal(thresholdsFromEnv({ [name]: String(over) }, problems)[key], over);
    // (an extreme value may break a pair rule, such as recover < slow factor; that is reported apart)
    assert.deepEqual(
      problems.filter((p) => p.startsWith(`${name}=`)),
      [],
    );
    problems.length = 0;
    thresholdsFromEnv({ [name]: String(row.max * 2 + 1) }, problems);
    thresholdsFromEnv({ [name]: 'soon' }, problems);
    assert.equal(problems.length, 2, `${name} out of range and not a number are both refused: ${problems.join('; ')}`);
    assert.ok(problems.every((p) => p.startsWith(`${name}=`)));
    // The health README's table has the row with its default and variable.
    const line = HEALTH_README.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    assert.ok(line !== undefined, `src/health/README.md lists ${name}`);
    assert.ok(line.includes(`| ${row.value.toLocaleString('en-US')} `), `README shows ${name}'s default ${row.value}: ${line}`);
    // So does the configuration table of the top-level README.
    const top = TOP_README.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    assert.ok(top?.startsWith(`| \`${name}\` | \`${row.value}\` |`), `README.md lists ${name} with its default: ${top}`);
  });
}

test('environment variables are unique and the defaults are what the evaluator gets', () => {
  const names = THRESHOLD_KEYS.map(envName);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(loadConfig({}).health.thresholds, defaultThresholds());
  assert.equal(loadConfig({ LENS_HEALTH_STALL_FLOOR_SECONDS: '120' }).health.thresholds.stallFloorSeconds, 120);
});

test('inconsistent pairs and bad switches are refused at boot, all at once', () => {
  assert.throws(
    () =>
      loadConfig({
        LENS_HEALTH_SLOW_FACTOR: '1.1',
        LENS_HEALTH_SLOW_RECOVER_FACTOR: '1.2',
        LENS_HEALTH: 'maybe',
        LENS_HEALTH_WEBHOOK_URL: 'ftp://x',
      }),
    (err: Error & { problems?: string[] }) => {
      assert.equal(err.problems?.length, 3, String(err.problems));
      return true;
    },
  );
  assert.equal(loadConfig({ LENS_HEALTH: 'off' }).health.enabled, false);
  assert.equal(loadConfig({ LENS_HEALTH_WEBHOOK_URL: 'https://hooks.example/x' }).health.webhookUrl, 'https://hooks.example/x');
});
