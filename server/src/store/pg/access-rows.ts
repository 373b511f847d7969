// API tokens and workload namespaces on PostgreSQL. Each write is one statement, so it is
// atomic across replicas without an explicit transaction; a namespace claim is an
// INSERT … ON CONFLICT DO NOTHING, then a read of whichever claim won.
import type pg from 'pg';
import type { NewToken, TokenRecord, TokenScope } from '../access-types.js';
import { query, unavailableOr } from './connection.js';

const COLUMNS = 'id, hash, name, scope, namespaces, created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by';

type TokenRow = Omit<TokenRecord, 'scope'> & { scope: string };

function toRecord(row: TokenRow): TokenRecord {
  return { ...row, scope: row.scope as TokenScope, namespaces: [...row.namespaces] };
}

export async function createToken(pool: pg.Pool, t: NewToken): Promise<TokenRecord> {
  const [row] = await query<TokenRow>(
    pool,
    `INSERT INTO api_tokens (id, hash, name, scope, namespaces, created_at, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [t.id, t.hash, t.name, t.scope, t.namespaces, t.created_at, t.created_by, t.expires_at],
  );
  return toRecord(row!);
}

export async function findToken(pool: pg.Pool, column: 'hash' | 'id', value: string): Promise<TokenRecord | null> {
  const [row] = await query<TokenRow>(pool, `SELECT ${COLUMNS} FROM api_tokens WHERE ${column} = $1`, [value]);
  return row === undefined ? null : toRecord(row);
}

export async function listTokens(pool: pg.Pool): Promise<TokenRecord[]> {
  return (await query<TokenRow>(pool, `SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at DESC, id COLLATE "C"`)).map(
    toRecord,
  );
}

export async function hasTokens(pool: pg.Pool): Promise<boolean> {
  return (await query(pool, 'SELECT 1 FROM api_tokens LIMIT 1')).length > 0;
}

export async function revokeToken(pool: pg.Pool, id: string, at: number, by: string | null): Promise<TokenRecord | null> {
  await query(pool, 'UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL', [at, by, id]);
  return findToken(pool, 'id', id);
}

export async function touchToken(pool: pg.Pool, id: string, at: number): Promise<void> {
  await query(pool, 'UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)', [
    at,
    id,
  ]);
}

export async function claimNamespace(pool: pg.Pool, uid: string, namespace: string, at: number): Promise<string> {
  const [won] = await query<{ namespace: string }>(
    pool,
    `INSERT INTO workload_namespaces (uid, namespace, claimed_at) VALUES ($1, $2, $3)
     ON CONFLICT (uid) DO NOTHING RETURNING namespace`,
    [uid, namespace, at],
  );
  if (won !== undefined) return won.namespace;
  // Lost to an earlier claim. A second statement has a fresh snapshot, so it also sees a
  // claim that committed while the insert above waited for it.
  const owner = await workloadNamespace(pool, uid);
  if (owner === null) throw new Error(`workload ${uid}: namespace claim conflicted but no claim is stored`);
  return owner;
}

export async function workloadNamespace(pool: pg.Pool, uid: string): Promise<string | null> {
  const [row] = await query<{ namespace: string }>(pool, 'SELECT namespace FROM workload_namespaces WHERE uid = $1', [uid]);
  return row?.namespace ?? null;
}

/**
 * Retention: claims older than the cutoff whose workload is gone. Runs on the connection that
 * holds the retention lock (a pool of one connection has no other).
 */
export async function dropStaleClaims(client: pg.PoolClient, cutoff: number): Promise<void> {
  try {
    await client.query(
      `DELETE FROM workload_namespaces n WHERE n.claimed_at < $1
      AND NOT EXISTS (SELECT 1 FROM workloads w WHERE w.uid = n.uid)`,
      [cutoff],
    );
  } catch (err) {
    throw unavailableOr(err);
  }
}
