// API tokens and workload namespaces on SQLite. Token namespaces are a JSON array in text.
// Every statement is a single row operation, so each runs in its own implicit transaction.
import type Database from 'better-sqlite3';
import type { NewToken, TokenRecord, TokenScope } from '../access-types.js';

type TokenRow = Omit<TokenRecord, 'namespaces' | 'scope'> & { namespaces: string; scope: string };

function toRecord(row: TokenRow): TokenRecord {
  return { ...row, scope: row.scope as TokenScope, namespaces: JSON.parse(row.namespaces) as string[] };
}

export class AccessRows {
  private readonly insert;
  private readonly byHash;
  private readonly byId;
  private readonly all;
  private readonly any;
  private readonly revoke;
  private readonly touch;
  private readonly claim;
  private readonly namespaceOf;
  private readonly dropClaims;

  constructor(db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO api_tokens (id, hash, name, scope, namespaces, created_at, created_by, expires_at)
      VALUES (@id, @hash, @name, @scope, @namespaces, @created_at, @created_by, @expires_at)`);
    this.byHash = db.prepare('SELECT * FROM api_tokens WHERE hash = ?');
    this.byId = db.prepare('SELECT * FROM api_tokens WHERE id = ?');
    this.all = db.prepare('SELECT * FROM api_tokens ORDER BY created_at DESC, id');
    this.any = db.prepare('SELECT 1 FROM api_tokens LIMIT 1').pluck();
    this.revoke = db.prepare('UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL');
    this.touch = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)');
    this.claim = db.prepare(
      'INSERT INTO workload_namespaces (uid, namespace, claimed_at) VALUES (?, ?, ?) ON CONFLICT (uid) DO NOTHING',
    );
    this.namespaceOf = db.prepare('SELECT namespace FROM workload_namespaces WHERE uid = ?').pluck();
    this.dropClaims = db.prepare(`DELETE FROM workload_namespaces WHERE claimed_at < ?
      AND NOT EXISTS (SELECT 1 FROM workloads w WHERE w.uid = workload_namespaces.uid)`);
  }

  createToken(t: NewToken): TokenRecord {
    this.insert.run({ ...t, namespaces: JSON.stringify(t.namespaces) });
    return this.findById(t.id)!;
  }

  findByHash(hash: string): TokenRecord | null {
    const row = this.byHash.get(hash) as TokenRow | undefined;
    return row === undefined ? null : toRecord(row);
  }

  findById(id: string): TokenRecord | null {
    const row = this.byId.get(id) as TokenRow | undefined;
    return row === undefined ? null : toRecord(row);
  }

  list(): TokenRecord[] {
    return (this.all.all() as TokenRow[]).map(toRecord);
  }

  hasTokens(): boolean {
    return this.any.get() !== undefined;
  }

  revokeToken(id: string, at: number, by: string | null): TokenRecord | null {
    this.revoke.run(at, by, id);
    return this.findById(id);
  }

  touchToken(id: string, at: number): void {
    this.touch.run(at, id, at);
  }

  claimNamespace(uid: string, namespace: string, at: number): string {
    this.claim.run(uid, namespace, at);
    return this.namespaceOf.get(uid) as string;
  }

  workloadNamespace(uid: string): string | null {
    return (this.namespaceOf.get(uid) as string | undefined) ?? null;
  }

  /** Retention: claims older than the cutoff whose workload is gone. */
  dropStaleClaims(cutoff: number): number {
    return this.dropClaims.run(cutoff).changes;
  }
}
