// What the store keeps for access control: API tokens (only a hash of each secret) and the
// namespace each workload belongs to. Both backends implement AccessStore; the HTTP layer's
// token checks and namespace filters sit on top of it and never see SQL.

export type TokenScope = 'ingest' | 'read' | 'admin';
export const TOKEN_SCOPES: readonly TokenScope[] = ['ingest', 'read', 'admin'];

/** One stored token. `hash` is the SHA-256 of the secret (hex); the secret itself is never stored. */
export interface TokenRecord {
  /** Public identifier: shown in lists and audit lines, used to revoke. */
  id: string;
  hash: string;
  name: string;
  scope: TokenScope;
  /** Kubernetes namespaces it may write or read; empty = every namespace. */
  namespaces: string[];
  /** Epoch seconds, server clock. */
  created_at: number;
  /** Name of the token (or "cli:<user>") that created it. */
  created_by: string | null;
  expires_at: number | null;
  /** Updated at most about once a minute per replica (see auth/token-verifier.ts). */
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

export type NewToken = Omit<TokenRecord, 'last_used_at' | 'revoked_at' | 'revoked_by'>;

export interface AccessStore {
  /** Stores a new token; rejects when its id or hash already exists. */
  createToken(token: NewToken): Promise<TokenRecord>;
  findTokenByHash(hash: string): Promise<TokenRecord | null>;
  findTokenById(id: string): Promise<TokenRecord | null>;
  /** Every token, revoked and expired ones included, newest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** True once any token was ever created (revoked ones count: revoking the last one must not open the server). */
  hasTokens(): Promise<boolean>;
  /** Marks the token revoked (the first revocation wins); null when no such id. */
  revokeToken(id: string, at: number, by: string | null): Promise<TokenRecord | null>;
  /** Records a use; never moves last_used_at backwards. */
  touchToken(id: string, at: number): Promise<void>;

  /**
   * Files a workload under a namespace unless it already has one, atomically across
   * processes (the first claim wins), and returns the namespace it belongs to now.
   */
  claimWorkloadNamespace(workloadUid: string, namespace: string, at: number): Promise<string>;
  /** The workload's namespace; null when it has none (unknown workloads included). */
  workloadNamespace(workloadUid: string): Promise<string | null>;
}
