// Build the dashboard bundle once per change, even when several test files ask at the same time
// (node --test runs files in parallel on bigger machines): an exclusive lock file serialises the
// builds, and an up-to-date bundle is not rebuilt.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { newestMtime } from '../../support/server-process.js';
import { SERVER_ROOT } from './real-server.js';

const LOCK_WAIT_MS = 60_000;
const STALE_LOCK_MS = 120_000;

function upToDate(): boolean {
  const built = join(SERVER_ROOT, 'dist', 'web', 'assets', 'app.js');
  if (!existsSync(built)) return false;
  return statSync(built).mtimeMs >= newestMtime(join(SERVER_ROOT, 'web'));
}

export async function ensureWebBuilt(): Promise<void> {
  mkdirSync(join(SERVER_ROOT, 'dist'), { recursive: true });
  const lock = join(SERVER_ROOT, 'dist', '.web-build.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = statSync(lock, { throwIfNoEntry: false });
      // A crashed test run can leave the lock behind; a lock this old is nobody's.
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
      if (Date.now() > deadline) throw new Error(`waited ${LOCK_WAIT_MS} ms for ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    if (!upToDate()) {
      execFileSync(process.execPath, [join(SERVER_ROOT, 'scripts', 'build-web.mjs')], { cwd: SERVER_ROOT, stdio: 'pipe' });
    }
  } finally {
    unlinkSync(lock);
  }
}
