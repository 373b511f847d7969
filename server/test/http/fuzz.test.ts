// Fuzz: 10,000+ random and malformed requests against a real server on a real socket.
// Mutated valid bodies, truncations, deep nesting, huge numbers, bare tokens in odd places,
// wrong types, random bytes, broken gzip, odd content types, random query strings.
// The server must never answer 5xx, never log an error, and still be healthy at the end.
// The generator is seeded: a failure prints the seed and the request that broke it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { get, metricsBody, send, suiteServer } from '../support/app-server.js';
import { prng } from '../support/prng.js';

const SEED = Number(process.env.LENS_FUZZ_SEED ?? 20_260_611);
const REQUESTS = 10_000;
const CONCURRENCY = 8;

interface FuzzRequest {
  method: string;
  path: string;
  body?: string | Buffer;
  headers: Record<string, string>;
}

const ODD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1.5,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  '',
  'x',
  'NaN',
  'Infinity',
  '-Infinity',
  '\u0000',
  '\ud800',
  [],
  {},
  [1, 'a'],
  { a: { b: {} } },
];
const ODD_TEXT = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '1e-400',
  '-0',
  'nan',
  'Inf',
  'undefined',
  'null',
  '"\\ud800"',
  '"\\u0000"',
  '0x10',
  '.5',
  '01',
];
const PATHS = [
  '/api/v1/wandb/metrics',
  '/api/v1/wandb/detection',
  '/api/v1/wandb/logs',
  '/api/v1/wandb/batch',
  '/v1/wandb/metrics',
  '/api/v1/workloads/fz/framework-detection',
];
const GET_PATHS = [
  '/api/v1/workloads',
  '/api/v1/workloads/fz',
  '/api/v1/workloads/fz/metrics/series',
  '/v1/workloads/fz/metrics/data',
  '/api/v1/workloads/fz/runs',
  '/v1/workloads/fz/metrics/iteration-times',
];
const QUERY_KEYS = [
  'name',
  'limit',
  'offset',
  'max_points',
  'rank',
  'from_step',
  'to_step',
  'from_time',
  'start',
  'end',
  'metrics',
  'q',
  'run_id',
];

function makeGenerator(rand: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const int = (n: number) => Math.floor(rand() * n);

  function validBody(path: string): Record<string, unknown> {
    const points = Array.from({ length: int(20) }, (_, i) => ({
      name: `m${int(5)}`,
      value: rand() * 10,
      step: i,
      timestamp: 1_704_067_200 + i,
    }));
    if (path.includes('detection') && !path.includes('framework')) {
      return {
        workload_uid: 'fz',
        pod_name: 'p',
        evidence: {
          environment: { PRIMUS_CONFIG: 'x' },
          wandb: { project: 'p', config: { framework: pick(['primus', 'megatron', 'x']) } },
        },
        hints: { possible_frameworks: ['primus'] },
      };
    }
    if (path.includes('framework-detection'))
      return { framework: pick(['primus', 'megatron', 'deepspeed', 'nope', '']), confidence: rand() };
    if (path.includes('logs'))
      return {
        workload_uid: 'fz',
        pod_name: 'p',
        logs: points.map((p) => ({ step: p.step, data: { [p.name]: p.value, nested: { a: p.value } } })),
      };
    if (path.includes('batch'))
      return { metrics: metricsBody({ workload_uid: 'fz' }, points), logs: { workload_uid: 'fz', logs: [] } };
    return metricsBody({ workload_uid: 'fz', rank: int(4) }, points);
  }

  /** Replaces a random node of a JSON value with an odd value (or deletes it). */
  function mutate(value: unknown, depth = 0): unknown {
    if (depth > 4 || rand() < 0.25) return rand() < 0.1 ? undefined : pick(ODD_VALUES);
    if (Array.isArray(value) && value.length > 0) {
      const copy = [...value];
      const i = int(copy.length);
      copy[i] = mutate(copy[i], depth + 1);
      return copy;
    }
    if (value !== null && typeof value === 'object') {
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const key = keys.length > 0 && rand() < 0.9 ? pick(keys) : pick(['extra', '__proto__', 'constructor', '']);
      copy[key] = mutate(copy[key], depth + 1);
      return copy;
    }
    return pick(ODD_VALUES);
  }

  function deepNesting(): string {
    const n = 1 + int(50_000);
    const kind = int(3);
    if (kind === 0) return '['.repeat(n) + ']'.repeat(n);
    if (kind === 1) return `{"workload_uid":"fz","pod_name":"p","evidence":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`;
    return `{"workload_uid":"fz","logs":[{"step":1,"data":${'{"a":'.repeat(Math.min(n, 5_000))}1${'}'.repeat(Math.min(n, 5_000))}}]}`;
  }

  function bodyText(path: string): string {
    const base = validBody(path);
    switch (int(9)) {
      case 0:
        return JSON.stringify(base);
      case 1:
      case 2:
        return JSON.stringify(mutate(base)) ?? 'null';
      case 3: {
        const text = JSON.stringify(base);
        return text.slice(0, int(text.length));
      }
      case 4:
        return deepNesting();
      case 5: {
        // A bare token or huge number spliced where a value goes (or anywhere).
        const text = JSON.stringify(base);
        const at = text.indexOf(':', int(text.length));
        const token = pick(ODD_TEXT);
        return at === -1 ? token : `${text.slice(0, at + 1)}${token}${text.slice(at + 1).replace(/^[^,}\]]*/, '')}`;
      }
      case 6:
        return Buffer.from(Array.from({ length: int(300) }, () => int(256))).toString('latin1');
      case 7:
        return pick([
          '',
          ' ',
          'null',
          '[]',
          '{}',
          '"str"',
          '123',
          'NaN',
          '{"metrics": NaN}',
          '{"workload_uid": Infinity}',
          '{"a":1}{"b":2}',
          '{"a":1,}',
        ]);
      default:
        return JSON.stringify({ ...base, metrics: Array.from({ length: int(5) }, () => pick(ODD_VALUES)) });
    }
  }

  return function next(): FuzzRequest {
    if (rand() < 0.12) {
      const params = Array.from(
        { length: int(4) },
        () =>
          `${pick(QUERY_KEYS)}=${encodeURIComponent(String(pick([...ODD_TEXT, 'loss', '-5', '0', '1', '100001', '{a,b}', 'all', '%%'])))}`,
      );
      return { method: 'GET', path: `${pick(GET_PATHS)}?${params.join('&')}`, headers: {} };
    }
    const path = pick(PATHS);
    const text = bodyText(path);
    const contentType = pick([
      'application/json',
      'application/json',
      'application/json; charset=utf-8',
      'application/x-www-form-urlencoded',
      'text/plain',
      '',
      'application/json; charset=latin1',
    ]);
    const headers: Record<string, string> = contentType === '' ? {} : { 'content-type': contentType };
    const encoding = int(10);
    if (encoding === 0)
      return { method: 'POST', path, body: gzipSync(text), headers: { ...headers, 'content-encoding': 'gzip' } };
    if (encoding === 1) {
      const zipped = gzipSync(text);
      return {
        method: 'POST',
        path,
        body: zipped.subarray(0, int(zipped.length)),
        headers: { ...headers, 'content-encoding': 'gzip' },
      };
    }
    if (encoding === 2)
      return {
        method: 'POST',
        path,
        body: text,
        headers: { ...headers, 'content-encoding': pick(['br', 'zstd', 'identity', 'gzip, gzip']) },
      };
    return { method: 'POST', path, body: text, headers };
  };
}

describe('fuzz: malformed and random requests', () => {
  const s = suiteServer({ LENS_BODY_LIMIT_BYTES: String(512 * 1024) });

  it(`answers ${REQUESTS} requests without a 5xx and stays up (seed ${SEED})`, { timeout: 240_000 }, async () => {
    const next = makeGenerator(prng(SEED));
    const statuses = new Map<number, number>();
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (sent < REQUESTS) {
        sent += 1;
        const req = next();
        const answer = await send(s.base, req.method, req.path, req.body, req.headers, 30_000);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status >= 500) {
          const shown = req.body === undefined ? '' : String(req.body).slice(0, 300);
          assert.fail(
            `seed ${SEED}: ${req.method} ${req.path} ${JSON.stringify(req.headers)} ${shown} → ${answer.status} ${answer.text.slice(0, 300)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    assert.ok(total >= REQUESTS, `${total} answers`);
    // The mix really exercised both sides: accepted bodies and refused ones.
    assert.ok((statuses.get(200) ?? 0) > 500, JSON.stringify([...statuses]));
    assert.ok((statuses.get(400) ?? 0) > 500, JSON.stringify([...statuses]));
    assert.ok((statuses.get(415) ?? 0) > 100, JSON.stringify([...statuses]));
    const errors = s.logs.filter((l) => Number(l.level) >= 50);
    assert.deepEqual(
      errors.map((l) => l.msg),
      [],
      'no error was logged',
    );
    assert.deepEqual((await get(s.base, '/healthz')).json, { status: 'ok' });
    assert.deepEqual((await get(s.base, '/readyz')).json, { status: 'ready' });
  });
});
