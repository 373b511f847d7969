// Who sent a request: turns an Authorization header into a Principal, or says why not.
//
// A token record is cached per replica for at most CACHE_MS, so a token revoked (or created)
// through any replica, or through the command line, takes effect everywhere within that time
// without a database query per request; expiry is checked against the clock on every request.
// last_used_at is written in the background, at most once per TOUCH_EVERY_S per token and replica.
//
// Open mode: without LENS_API_TOKEN and with no token ever created, every route but token
// management is open, as before tokens existed. The server says so once at start-up, and
// switches to requiring tokens (saying so once) as soon as a token exists, also one created by
// another replica or the command line.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { TokenRecord, TokenScope } from '../store/access-types.js';
import type { Store } from '../store/types.js';
import { hashToken } from './secret.js';

export const CACHE_MS = 2_000;
export const TOUCH_EVERY_S = 60;
/** Bounds the cache against a flood of made-up tokens; cleared whole when exceeded. */
const MAX_CACHED = 10_000;

export interface Principal {
  /** open: no tokens configured; bootstrap: LENS_API_TOKEN; token: a stored token. */
  kind: 'open' | 'bootstrap' | 'token';
  id: string | null;
  /** What audit lines call it; never the secret. */
  name: string;
  scope: TokenScope;
  /** Empty: every namespace. */
  namespaces: readonly string[];
  expiresAt: number | null;
}

export type Denial = { reason: 'missing' } | { reason: 'rejected'; why: string };

export const OPEN_PRINCIPAL: Principal = Object.freeze({
  kind: 'open',
  id: null,
  name: 'anonymous (open mode)',
  scope: 'admin',
  namespaces: [],
  expiresAt: null,
});

const BOOTSTRAP_NAME = 'LENS_API_TOKEN';

interface Cached {
  record: TokenRecord | null;
  fetchedAt: number;
}

export interface VerifierOptions {
  bootstrapToken: string | null;
  log: FastifyBaseLogger;
  /** Milliseconds clock (tests move it). */
  nowMs?: () => number;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

export class TokenVerifier {
  private readonly bootstrapHash: Buffer | null;
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<TokenRecord | null>>();
  private readonly touched = new Map<string, number>();
  private readonly log: FastifyBaseLogger;
  private readonly nowMs: () => number;
  private required = false;
  private poll: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    opts: VerifierOptions,
  ) {
    this.bootstrapHash = opts.bootstrapToken === null ? null : Buffer.from(hashToken(opts.bootstrapToken), 'hex');
    this.log = opts.log;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  /** Decides the mode before the server listens, and says it once. */
  async start(): Promise<void> {
    if (this.bootstrapHash !== null || (await this.store.hasTokens())) {
      this.required = true;
      this.log.info(
        { auth: 'tokens', bootstrap: this.bootstrapHash !== null },
        'auth: every API request needs a token (health, readiness, /metrics and the dashboard shell stay open)',
      );
      return;
    }
    this.log.warn(
      { auth: 'open' },
      'auth: OPEN MODE: no LENS_API_TOKEN and no tokens; the API answers anyone. Create a token (npm run tokens -- create …) to require one',
    );
    this.poll = setInterval(() => void this.checkForTokens(), CACHE_MS);
    this.poll.unref();
  }

  close(): void {
    if (this.poll !== null) clearInterval(this.poll);
    this.poll = null;
  }

  get open(): boolean {
    return !this.required;
  }

  /** Drops a cached record at once (this replica revoked it); others follow within CACHE_MS. */
  forget(hash: string): void {
    this.cache.delete(hash);
  }

  /** The caller must already have ruled out open mode. */
  async verify(header: string | undefined): Promise<Principal | Denial> {
    const match = header === undefined ? null : BEARER.exec(header);
    if (match === null) return { reason: 'missing' };
    const hash = hashToken(match[1] as string);
    if (this.bootstrapHash !== null && timingSafeEqual(Buffer.from(hash, 'hex'), this.bootstrapHash)) {
      return { kind: 'bootstrap', id: null, name: BOOTSTRAP_NAME, scope: 'admin', namespaces: [], expiresAt: null };
    }
    const now = this.nowMs();
    const record = await this.lookup(hash, now);
    if (record === null) return { reason: 'rejected', why: 'it is not a token this server knows' };
    if (record.revoked_at !== null) return { reason: 'rejected', why: 'it was revoked' };
    if (record.expires_at !== null && record.expires_at * 1000 <= now) {
      return { reason: 'rejected', why: `it expired at ${new Date(record.expires_at * 1000).toISOString()}` };
    }
    this.touch(record.id, now);
    return {
      kind: 'token',
      id: record.id,
      name: record.name,
      scope: record.scope,
      namespaces: record.namespaces,
      expiresAt: record.expires_at,
    };
  }

  private lookup(hash: string, now: number): Promise<TokenRecord | null> | TokenRecord | null {
    const hit = this.cache.get(hash);
    if (hit !== undefined && now - hit.fetchedAt < CACHE_MS) return hit.record;
    const inFlight = this.pending.get(hash);
    if (inFlight !== undefined) return inFlight;
    const fetching = this.store
      .findTokenByHash(hash)
      .then((record) => {
        if (this.cache.size >= MAX_CACHED) this.cache.clear();
        this.cache.set(hash, { record, fetchedAt: now });
        return record;
      })
      .finally(() => this.pending.delete(hash));
    this.pending.set(hash, fetching);
    return fetching;
  }

  private touch(id: string, nowMs: number): void {
    const last = this.touched.get(id);
    const now = nowMs / 1000;
    if (last !== undefined && now - last < TOUCH_EVERY_S) return;
    if (this.touched.size >= MAX_CACHED) this.touched.clear();
    this.touched.set(id, now);
    this.store.touchToken(id, now).catch((err: unknown) => {
      // Losing a last-used time is harmless; the next use writes it again.
      this.touched.delete(id);
      this.log.debug({ err, token_id: id }, "could not record the token's last use");
    });
  }

  private async checkForTokens(): Promise<void> {
    try {
      if (!(await this.store.hasTokens())) return;
    } catch {
      return; // the database is away; the next tick asks again
    }
    if (this.required) return;
    this.required = true;
    this.close();
    this.log.warn({ auth: 'tokens' }, 'auth: a token exists now; from here on every API request needs one');
  }
}
