// `node dist/src/backup.js`: an online backup of the SQLite file taken while a real server
// ingests, restored into a fresh server, holds every point acknowledged before it began.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { get, metricsBody, postJson } from '../support/app-server.js';
import { ensureBuilt, type ServerProcess, startServerProcess } from '../support/server-process.js';
import { freePort } from '../web/helpers/real-server.js';

const backupJs = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist', 'src', 'backup.js');
const POINTS_PER_BATCH = 500;

function runBackup(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const proc = spawn(process.execPath, [backupJs, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.on('exit', (code) => res({ code, out }));
  });
}

function batch(index: number): Record<string, unknown> {
  const metrics = Array.from({ length: POINTS_PER_BATCH }, (_, i) => ({
    name: 'loss',
    value: 1 / (index * POINTS_PER_BATCH + i + 1),
    step: index * POINTS_PER_BATCH + i,
    timestamp: 1_704_067_200 + index,
  }));
  return metricsBody({ workload_uid: 'w-backup', batch_id: `b-${index}` }, metrics);
}

describe('online SQLite backup', () => {
  let dir = '';
  const servers: ServerProcess[] = [];
  before(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lens-backup-'));
  });
  after(async () => {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every point acknowledged before the backup began, while ingest goes on', async () => {
    const source = startServerProcess(await freePort(), { LENS_DATABASE_URL: join(dir, 'live.db'), LENS_LOG_LEVEL: 'info' });
    servers.push(source);
    await source.listening();
    let acked = 0;
    let sent = 0;
    let stop = false;
    const ingest = (async () => {
      while (!stop) {
        const index = sent++;
        const reply = await postJson(source.base, '/api/v1/wandb/metrics', batch(index));
        assert.equal(reply.status, 200, reply.text);
        acked = Math.max(acked, index + 1); // one request at a time: acknowledged in order
      }
    })();
    while (acked < 20) await new Promise((r) => setTimeout(r, 20));
    const ackedBefore = acked;
    const backup = await runBackup({ LENS_DATABASE_URL: join(dir, 'live.db') }, join(dir, 'copy.db'));
    const ackedDuring = acked;
    while (acked < ackedDuring + 5) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await ingest;
    assert.equal(backup.code, 0, backup.out);
    assert.match(backup.out, /live\.db -> .*copy\.db \(\d+ bytes, \d+ ms\)/);
    assert.ok(acked > ackedDuring, 'ingest went on while and after the backup ran');
    await source.stop();

    const restored = startServerProcess(await freePort(), { LENS_DATABASE_URL: join(dir, 'copy.db'), LENS_LOG_LEVEL: 'info' });
    servers.push(restored);
    await restored.listening();
    const reply = await get(restored.base, '/api/v1/workloads/w-backup/metrics/series?name=loss&max_points=100000');
    assert.equal(reply.status, 200, reply.text);
    const steps = new Set<number>();
    for (const series of (reply.json as { series: { points: [number, unknown, number][] }[] }).series) {
      for (const [step] of series.points) steps.add(step);
    }
    for (let step = 0; step < ackedBefore * POINTS_PER_BATCH; step++) assert.ok(steps.has(step), `step ${step} missing`);
    assert.ok(steps.size <= acked * POINTS_PER_BATCH, 'nothing that was never sent');
  });

  it('writes time-stamped copies into a folder and keeps the newest N', async () => {
    const folder = join(dir, 'copies');
    mkdirSync(folder);
    writeFileSync(join(folder, 'lens-20000101T000000Z.db'), 'old');
    writeFileSync(join(folder, 'notes.txt'), 'not ours');
    const env = { LENS_DATABASE_URL: join(dir, 'live.db') };
    const first = await runBackup(env, folder, '--keep', '1');
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /removed .*lens-20000101T000000Z\.db \(keeping the newest 1\)/);
    const names = readdirSync(folder).sort();
    assert.equal(names.length, 2, names.join(','));
    assert.match(names[0] ?? '', /^lens-\d{8}T\d{6}Z\.db$/);
    assert.equal(names[1], 'notes.txt');
    const notFolder = await runBackup(env, join(dir, 'z.db'), '--keep', '2');
    assert.equal(notFolder.code, 2);
    assert.match(notFolder.out, /--keep needs a destination folder/);
  });

  it('refuses PostgreSQL, :memory: and a missing destination with one line and status 2', async () => {
    const pg = await runBackup({ LENS_DATABASE_URL: 'postgres://x@127.0.0.1:1/db' }, join(dir, 'x.db'));
    assert.equal(pg.code, 2);
    assert.match(pg.out, /PostgreSQL: back it up with pg_dump/);
    const memory = await runBackup({ LENS_DATABASE_URL: ':memory:' }, join(dir, 'x.db'));
    assert.equal(memory.code, 2);
    assert.match(memory.out, /:memory:/);
    const usage = await runBackup({ LENS_DATABASE_URL: join(dir, 'live.db') });
    assert.equal(usage.code, 2);
    assert.match(usage.out, /usage: node dist\/src\/backup\.js <destination file or folder>/);
    const missing = await runBackup({ LENS_DATABASE_URL: join(dir, 'nope.db') }, join(dir, 'y.db'));
    assert.equal(missing.code, 1);
    assert.match(missing.out, /no SQLite database at/);
  });
});
