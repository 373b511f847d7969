// Test harness for the HTTP layer: a real app on a real socket (port 0) over a real SQLite
// file in a fresh temp folder (or a fresh database on the tests' PostgreSQL cluster), with
// pino's JSON lines captured for log assertions.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { openStore } from '../../src/store/index.js';
import type { Store, StoreOptions } from '../../src/store/types.js';
import { BACKENDS, type Backend } from '../store/helpers.js';
import { createDatabase } from './pg.js';
import { appendSuiteLog, recordSecret, suiteLogFile } from './suite-logs.js';

export { BACKENDS, type Backend };

export interface TestServer {
  base: string;
  app: FastifyInstance;
  store: Store;
  dir: string;
  /** The SQLite file, or the postgres:// URL. */
  dbPath: string;
  /** Every pino line written so far, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startServer(
  env: Record<string, string> = {},
  storeOptions: StoreOptions = {},
  backend: Backend = 'sqlite',
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lens-http-'));
  const pgDb = backend === 'postgres' ? await createDatabase() : null;
  const dbPath = pgDb?.url ?? join(dir, 'lens.db');
  const config: Config = loadConfig({ LENS_DATABASE_URL: dbPath, PORT: '0', HOST: '127.0.0.1', ...env });
  const store = await openStore(config.databaseUrl, storeOptions);
  const logs: Array<Record<string, unknown>> = [];
  let partial = '';
  const suiteLog = suiteLogFile('http');
  if (env.LENS_API_TOKEN) recordSecret(env.LENS_API_TOKEN);
  const logStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      appendSuiteLog(suiteLog, chunk.toString('utf8'));
      partial += chunk.toString('utf8');
      let nl = partial.indexOf('\n');
      while (nl !== -1) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
        nl = partial.indexOf('\n');
      }
      cb();
    },
  });
  const app = await buildApp(config, { store, logStream, retentionFirstRunDelayMs: 200 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    base: `http://127.0.0.1:${address.port}`,
    app,
    store,
    dir,
    dbPath,
    logs,
    async close() {
      await app.close();
      await store.close();
      await pgDb?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A server for the tests of the enclosing describe: started in its `before`, closed in its
 * `after`. The object is filled in once the server has started, so read it inside tests and hooks.
 */
export function suiteServer(
  env: Record<string, string> = {},
  storeOptions: StoreOptions = {},
  backend: Backend = 'sqlite',
): TestServer {
  const s = {} as TestServer;
  before(async () => {
    Object.assign(s, await startServer(env, storeOptions, backend));
  });
  after(async () => {
    await s.close?.();
  });
  return s;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads the answer field by field and asserts each
  json: any;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** One raw HTTP request; the body is sent byte for byte (no client-side JSON encoding). */
export function send(
  base: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const req = httpRequest(
      url,
      {
        method,
        agent,
        headers: { ...(payload !== undefined ? { 'content-length': String(payload.length) } : {}), ...headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export const postJson = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  send(base, 'POST', path, typeof body === 'string' ? body : JSON.stringify(body), {
    'content-type': 'application/json',
    ...headers,
  });

export const postGzip = (base: string, path: string, text: string, headers: Record<string, string> = {}) =>
  send(base, 'POST', path, gzipSync(Buffer.from(text, 'utf8')), {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    ...headers,
  });

export const get = (base: string, path: string, headers: Record<string, string> = {}) =>
  send(base, 'GET', path, undefined, headers);

/** Log messages (msg) of the captured pino lines. */
export const messages = (server: TestServer): string[] => server.logs.map((l) => String(l.msg ?? ''));

/**
 * Rounds of 12 concurrent 300-point bodies, until the write queue refuses one with 503 or
 * `rounds` have passed: every answer, in order. Overflows a store opened with a tiny queue.
 */
export async function overloadIngest(base: string, rounds: number): Promise<Answer[]> {
  const points = Array.from({ length: 300 }, (_, i) => ({ name: 'loss', value: i, step: i }));
  const seen: Answer[] = [];
  for (let round = 0; round < rounds; round++) {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, c) =>
        postJson(base, '/api/v1/wandb/metrics', metricsBody({ workload_uid: 'sat', run_id: `r${round}-${c}` }, points)),
      ),
    );
    seen.push(...answers);
    if (answers.some((a) => a.status === 503)) break;
  }
  return seen;
}

export function metricsBody(overrides: Record<string, unknown> = {}, metrics?: unknown[]): Record<string, unknown> {
  return {
    source: 'wandb',
    workload_uid: 'w1',
    pod_uid: 'p1',
    pod_name: 'pod-0',
    run_id: 'run-a',
    timestamp: 1_704_067_200.5,
    metrics: metrics ?? [
      { name: 'loss', value: 0.5234, step: 100, timestamp: 1_704_067_200.123, tags: {} },
      { name: 'accuracy', value: 0.9, step: 100, timestamp: 1_704_067_200.123, tags: {} },
    ],
    ...overrides,
  };
}
