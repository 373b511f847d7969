// The server log of the whole test run, and every token the run created, for the check at the
// end of the run that no token ever reached a log (test/suite-end/no-secrets-in-logs.ts).
// scripts/run-tests.mjs sets LENS_TEST_LOG_DIR; without it (a test file run alone) nothing is
// written and the check does not run.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.LENS_TEST_LOG_DIR ?? '';
let counter = 0;

if (dir !== '') mkdirSync(dir, { recursive: true });

/** A file to append one server's log to, or null when the run keeps no suite log. */
export function suiteLogFile(label: string): string | null {
  if (dir === '') return null;
  return join(dir, `${label.replace(/[^a-z0-9-]/gi, '_')}-${process.pid}-${++counter}.log`);
}

/** Appends to a suite log file (ignored when there is none). */
export function appendSuiteLog(file: string | null, text: string): void {
  if (file !== null && text !== '') appendFileSync(file, text);
}

/** Remembers a token the tests created or configured; the suite-end check looks for each in every log. */
export function recordSecret(token: string): void {
  if (dir === '' || token === '') return;
  appendFileSync(join(dir, 'secrets.txt'), `${token}\n`);
}
