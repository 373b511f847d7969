// Configuration comes only from the environment and is validated once, at boot, so a typo
// in a deployment fails loudly instead of running with a silent default.
import { type HealthConfig, readHealthConfig } from './health/config.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  /** SQLite file path, ":memory:", or postgres://… / postgresql://… */
  databaseUrl: string;
  /** PostgreSQL connection settings (ignored for SQLite). */
  pg: PgConfig;
  /** Bootstrap admin token; with it (or any stored token) every API route needs `Authorization: Bearer <token>`. */
  apiToken: string | null;
  /** HTTPS served by this process (LENS_TLS_CERT_FILE + LENS_TLS_KEY_FILE); null: plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
  /** Ingest requests per second per token (per address when open) on each replica; 0 = no limit (LENS_INGEST_RATE_LIMIT). */
  ingestRateLimit: number;
  /** Points and workloads older than this are deleted; null keeps everything. */
  retentionDays: number | null;
  logLevel: LogLevel;
  /** Cap on a request body, measured after gzip decompression (wire-format: 16 MiB). */
  bodyLimitBytes: number;
  /** Training health: on/off, thresholds, webhook (server/src/health/). */
  health: HealthConfig;
}

export interface PgConfig {
  /** Connections per replica (LENS_PG_POOL_MAX). */
  poolMax: number;
  /** statement_timeout of every connection in ms; 0 = none (LENS_PG_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
  /** Opening a connection, or waiting for a free one, fails after this many ms (LENS_PG_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
}

export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** Generous: a 1,000-rank job whose ranks share one token sends about 500 requests a second. */
export const DEFAULT_INGEST_RATE_LIMIT = 2_000;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function readInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
    return fallback;
  }
  return value;
}

/** Reads and validates the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const port = readInt(env, 'PORT', 8080, 0, 65_535, problems);
  const bodyLimitBytes = readInt(env, 'LENS_BODY_LIMIT_BYTES', DEFAULT_BODY_LIMIT_BYTES, 1_024, 1024 ** 3, problems);
  const pg: PgConfig = {
    poolMax: readInt(env, 'LENS_PG_POOL_MAX', 10, 1, 1_000, problems),
    statementTimeoutMs: readInt(env, 'LENS_PG_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000, problems),
    connectTimeoutMs: readInt(env, 'LENS_PG_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000, problems),
  };

  let retentionDays: number | null = null;
  const retentionRaw = env.LENS_RETENTION_DAYS;
  if (retentionRaw !== undefined && retentionRaw.trim() !== '') {
    const days = Number(retentionRaw.trim());
    if (!Number.isFinite(days) || days <= 0) {
      problems.push(`LENS_RETENTION_DAYS=${JSON.stringify(retentionRaw)} must be a positive number of days`);
    } else {
      retentionDays = days;
    }
  }

  const levelRaw = (env.LENS_LOG_LEVEL ?? 'info').trim().toLowerCase() || 'info';
  const logLevel = LOG_LEVELS.find((l) => l === levelRaw);
  if (logLevel === undefined) {
    problems.push(`LENS_LOG_LEVEL=${JSON.stringify(env.LENS_LOG_LEVEL)} must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const host = (env.HOST ?? '').trim() || '0.0.0.0';
  const databaseUrl = (env.LENS_DATABASE_URL ?? '').trim() || './data/lens.db';
  const token = env.LENS_API_TOKEN ?? '';
  const ingestRateLimit = readInt(env, 'LENS_INGEST_RATE_LIMIT', DEFAULT_INGEST_RATE_LIMIT, 0, 10_000_000, problems);
  const certFile = (env.LENS_TLS_CERT_FILE ?? '').trim();
  const keyFile = (env.LENS_TLS_KEY_FILE ?? '').trim();
  if ((certFile === '') !== (keyFile === '')) {
    problems.push('LENS_TLS_CERT_FILE and LENS_TLS_KEY_FILE go together: set both (HTTPS) or neither (HTTP)');
  }
  const health = readHealthConfig(env, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    databaseUrl,
    pg,
    apiToken: token === '' ? null : token,
    tls: certFile !== '' && keyFile !== '' ? { certFile, keyFile } : null,
    ingestRateLimit,
    retentionDays,
    logLevel: logLevel ?? 'info',
    bodyLimitBytes,
    health,
  };
}
