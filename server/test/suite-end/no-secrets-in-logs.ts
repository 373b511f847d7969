// Runs after the whole server suite (scripts/run-tests.mjs, second phase): every token the
// suite created or configured, looked for in every server log the suite wrote. A token in a
// log is a leak: logs are shipped, kept and read far more widely than the token's owner.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const dir = process.env.LENS_TEST_LOG_DIR ?? '';
/** Shorter strings would match by accident; the suite's own tokens are all longer. */
const MIN_SECRET_LENGTH = 8;

test('no token the suite created appears in any server log of the suite', () => {
  assert.ok(dir !== '' && existsSync(dir), 'LENS_TEST_LOG_DIR names no folder: run this through scripts/run-tests.mjs');
  const secretsFile = join(dir, 'secrets.txt');
  assert.ok(existsSync(secretsFile), 'the suite recorded no token at all: the auth tests did not run');
  const secrets = [
    ...new Set(
      readFileSync(secretsFile, 'utf8')
        .split('\n')
        .filter((s) => s.length >= MIN_SECRET_LENGTH),
    ),
  ];
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
  assert.ok(secrets.length > 0 && logs.length > 0, `${secrets.length} tokens, ${logs.length} logs`);
  let bytes = 0;
  const leaks: string[] = [];
  for (const file of logs) {
    const text = readFileSync(join(dir, file), 'utf8');
    bytes += text.length;
    for (const secret of secrets) if (text.includes(secret)) leaks.push(`${secret.slice(0, 10)}… in ${file}`);
  }
  assert.deepEqual(
    leaks,
    [],
    `tokens found in server logs (${secrets.length} tokens, ${logs.length} logs, ${bytes} bytes searched)`,
  );
  // The check is only worth something if the logs hold the lines that name tokens.
  const all = logs.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
  assert.match(all, /"audit":"token\.created"/, 'no audit line in the logs: the token tests did not log through these files');
});
