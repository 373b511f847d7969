// A throw-away PostgreSQL cluster for tests: initdb into a fresh temp folder, start on a free
// port (TCP on 127.0.0.1, unix socket in the same folder), stop and delete it afterwards.
// initdb refuses to run as root, so as root every server command runs as the `postgres`
// user (Debian's package creates it) and the folder is handed to that user.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const DEBIAN_BIN = '/usr/lib/postgresql/15/bin';

/** The folder holding initdb and pg_ctl, or null when PostgreSQL is not installed. */
export function findPgBin() {
  if (process.env.LENS_TEST_PG_BIN) return process.env.LENS_TEST_PG_BIN;
  if (existsSync(join(DEBIAN_BIN, 'initdb'))) return DEBIAN_BIN;
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  return found === '' ? null : found.slice(0, found.lastIndexOf('/'));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function asPostgresUser() {
  if (userInfo().uid !== 0) return null;
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error('running as root but there is no `postgres` user to run the server as');
  return { uid: Number(id.stdout.trim()), gid: Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()) };
}

/**
 * Starts a cluster. fsync is off by default: the tests kill and restart the server process,
 * never the machine, and a server crash loses nothing that reached the OS.
 */
export async function startCluster({ fsync = false } = {}) {
  const bin = findPgBin();
  if (bin === null) {
    throw new Error(
      `PostgreSQL is not installed (no initdb in ${DEBIAN_BIN} or on PATH); make test installs Debian's postgresql-15`,
    );
  }
  const owner = asPostgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'lens-pg-'));
  if (owner !== null) chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  const run = (tool, args, timeout = 120_000) => {
    const cmd = join(bin, tool);
    const r =
      owner !== null
        ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', timeout })
        : spawnSync(cmd, args, { encoding: 'utf8', timeout });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  // The same, without blocking the event loop (for tests whose HTTP traffic goes on meanwhile).
  const runAsync = (tool, args) =>
    new Promise((resolve, reject) => {
      const cmd = join(bin, tool);
      const child = owner !== null ? spawn('runuser', ['-u', 'postgres', '--', cmd, ...args]) : spawn(cmd, args);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`${tool} ${args.join(' ')} failed (${code}): ${out}`)),
      );
    });
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=300',
    `-c fsync=${fsync ? 'on' : 'off'}`,
    '-c shared_buffers=64MB',
  ].join(' ');
  const cluster = {
    dir,
    port,
    host: '127.0.0.1',
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: () => run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start']),
    /** Stops the server; `immediate` is a crash (recovery on the next start), `fast` a clean stop. */
    stopServer: (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']),
    restart: (mode = 'fast') => run('pg_ctl', ['-D', data, '-l', log, '-m', mode, '-w', '-t', '60', '-o', options, 'restart']),
    restartAsync: (mode = 'fast') =>
      runAsync('pg_ctl', ['-D', data, '-l', log, '-m', mode, '-w', '-t', '60', '-o', options, 'restart']),
    /** Stops the server (if it runs) and deletes the folder; safe to call twice. */
    destroy: () => {
      if (!existsSync(dir)) return;
      spawnSync(
        owner !== null ? 'runuser' : join(bin, 'pg_ctl'),
        owner !== null
          ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']
          : ['-D', data, '-m', 'immediate', '-w', 'stop'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    cluster.start();
  } catch (err) {
    cluster.destroy();
    throw err;
  }
  return cluster;
}
