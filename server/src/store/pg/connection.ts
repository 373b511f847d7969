// The pool and the three things every PgStore query needs: int8 read as a JS number, driver
// errors that mean "the database is not there" turned into StoreUnavailableError (HTTP 503 +
// Retry-After), and transactions that resolve only after COMMIT returned.
import pg from 'pg';
import { StoreUnavailableError } from '../types.js';

export interface PgSettings {
  url: string;
  poolMax: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
}

// Steps, counts and ids are bigint columns; every value the store writes is a safe integer,
// so Number() is exact, and the store's types promise numbers, not strings.
const INT8_OID = 20;
const typeParsers = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export function createPool(s: PgSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: s.url,
    max: s.poolMax,
    connectionTimeoutMillis: s.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: s.statementTimeoutMs > 0 ? s.statementTimeoutMs : undefined,
    application_name: 'primus-lens',
    types: typeParsers,
  });
  // A connection dies when the server restarts; the pool drops it and opens a new one on the
  // next checkout, and a query running on it rejects. An 'error' event without a listener
  // would end the process, whether the connection was idle (pool) or checked out (client).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

const UNAVAILABLE_CODES = new Set([
  '57P01',
  '57P02',
  '57P03', // admin/crash shutdown, cannot connect now (starting up, recovering)
  '53300', // too many connections
  '57014', // statement timeout: the database is too slow to answer now
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENOENT',
]);
const UNAVAILABLE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|connection ended|connection error|not queryable|terminating connection/i;

export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_CODES.has(code))) return true;
  return UNAVAILABLE_MESSAGE.test(String((err as { message?: unknown }).message ?? ''));
}

/** Deadlock or serialization failure: the transaction was rolled back and may simply run again. */
function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

export function unavailableOr(err: unknown): unknown {
  return isUnavailable(err) && !(err instanceof StoreUnavailableError) ? new StoreUnavailableError(err) : err;
}

/** One query on any pooled connection. */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  try {
    return (await pool.query<R>(text, values)).rows;
  } catch (err) {
    throw unavailableOr(err);
  }
}

const MAX_ATTEMPTS = 3;

/** Runs fn between BEGIN and COMMIT on one connection; resolves after COMMIT succeeded. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  let broken = false;
  try {
    return await transactionOn(client, fn);
  } catch (err) {
    broken = isUnavailable(err);
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * The same on a connection the caller holds. A deadlock or serialization failure rolled
 * everything back, so the whole transaction simply runs again (a few times at most).
 */
export async function transactionOn<T>(client: pg.PoolClient, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (isUnavailable(err)) throw unavailableOr(err);
      if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

/**
 * Holds a session advisory lock while fn runs on the same connection, so a pool of one
 * connection is enough. `wait` false: returns null at once when another session holds it.
 */
export async function withAdvisoryLock<T>(
  pool: pg.Pool,
  key: readonly [number, number],
  wait: boolean,
  fn: (c: pg.PoolClient) => Promise<T>,
): Promise<T | null> {
  const client = await connect(pool);
  let broken = false;
  try {
    if (wait) {
      await client.query('SELECT pg_advisory_lock($1, $2)', [...key]);
    } else {
      const [row] = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [...key])).rows;
      if (row?.ok !== true) return null;
    }
    try {
      return await fn(client);
    } finally {
      // A dead connection releases its locks with it; a live one must unlock before reuse.
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...key]).catch(() => (broken = true));
    }
  } catch (err) {
    if (isUnavailable(err)) broken = true;
    throw unavailableOr(err);
  } finally {
    client.release(broken);
  }
}

async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw unavailableOr(err);
  }
}

/** Advisory lock keys: one namespace for this application, then what is locked. */
export const LOCK_NAMESPACE = 0x4c656e73; // "Lens"
export const MIGRATION_LOCK = [LOCK_NAMESPACE, 1] as const;
export const RETENTION_LOCK = [LOCK_NAMESPACE, 2] as const;
