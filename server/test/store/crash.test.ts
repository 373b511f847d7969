// Durability across a hard crash: a writer process is SIGKILLed right after its writes
// were acknowledged; everything acknowledged must be readable afterwards (WAL recovery).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/index.js';

const CHILD = fileURLToPath(new URL('./fixtures-crash-writer.ts', import.meta.url));

test('acknowledged writes survive a SIGKILL of the writer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lens-store-crash-'));
  const path = join(dir, 'lens.db');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    clearTimeout(timer);
    assert.equal(out.trim(), 'acked 50');
    assert.equal(signal, 'SIGKILL');

    const store = await openStore(path);
    try {
      const [s] = await store.querySeries({ workload_uid: 'crash', name: 'loss', max_points: 1000 });
      assert.equal(s?.points.length, 50);
      assert.ok(Number.isNaN(s?.points[13]?.[1]));
      assert.equal(s?.points[49]?.[1], 49);
      const w = await store.getWorkload('crash');
      assert.equal(w?.points, 50);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
