// Creating, listing and revoking tokens: the rules shared by the admin API and the command
// line, so both accept and refuse exactly the same things.
import type { FieldError } from '../errors.js';
import { TOKEN_SCOPES, type TokenRecord, type TokenScope } from '../store/access-types.js';
import type { Store } from '../store/types.js';
import { newSecret } from './secret.js';
import { MAX_NAME_LENGTH, MAX_NAMESPACES } from './token-schemas.js';

/** A Kubernetes namespace name (RFC 1123 label). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface TokenRequest {
  name: unknown;
  scope: unknown;
  namespaces?: unknown;
  /** Epoch seconds, or an ISO 8601 / RFC 3339 date-time string. */
  expires_at?: unknown;
}

export interface ValidTokenRequest {
  name: string;
  scope: TokenScope;
  namespaces: string[];
  expires_at: number | null;
}

/** Parses epoch seconds or an ISO 8601 date-time; null when it is neither. */
export function parseExpiry(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  // Date.parse also takes loose forms ("March 7"); demand a real date-time with a date part.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

export function validateTokenRequest(req: TokenRequest, nowS: number): ValidTokenRequest | FieldError[] {
  const problems: FieldError[] = [];
  const name = typeof req.name === 'string' ? req.name.trim() : '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what a token name must not hold
  if (name === '' || name.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    problems.push({ path: '/name', message: `must be 1 to ${MAX_NAME_LENGTH} printable characters` });
  }
  const scope = TOKEN_SCOPES.find((s) => s === req.scope);
  if (scope === undefined) problems.push({ path: '/scope', message: `must be one of ${TOKEN_SCOPES.join(', ')}` });

  const namespaces: string[] = [];
  if (req.namespaces !== undefined && req.namespaces !== null) {
    if (!Array.isArray(req.namespaces)) {
      problems.push({ path: '/namespaces', message: 'must be a list of namespace names' });
    } else {
      if (req.namespaces.length > MAX_NAMESPACES) problems.push({ path: '/namespaces', message: `at most ${MAX_NAMESPACES}` });
      req.namespaces.forEach((ns: unknown, i: number) => {
        if (typeof ns !== 'string' || !NAMESPACE.test(ns)) {
          problems.push({
            path: `/namespaces/${i}`,
            message: 'must be a Kubernetes namespace name (lower-case letters, digits, "-", at most 63)',
          });
        } else if (!namespaces.includes(ns)) {
          namespaces.push(ns);
        }
      });
    }
  }
  // Token management and overrides are cluster-wide, so an admin token that claimed to be
  // limited to a namespace would be a false promise.
  if (scope === 'admin' && namespaces.length > 0) {
    problems.push({
      path: '/namespaces',
      message: 'admin tokens cover every namespace; give namespaces to ingest and read tokens only',
    });
  }

  let expiresAt: number | null = null;
  if (req.expires_at !== undefined && req.expires_at !== null) {
    expiresAt = parseExpiry(req.expires_at);
    if (expiresAt === null) {
      problems.push({
        path: '/expires_at',
        message: 'must be epoch seconds or an ISO 8601 date-time such as 2030-01-31T00:00:00Z',
      });
    } else if (expiresAt <= nowS) {
      problems.push({ path: '/expires_at', message: 'is in the past' });
    }
  }
  if (problems.length > 0 || scope === undefined) return problems;
  return { name, scope, namespaces: namespaces.sort(), expires_at: expiresAt };
}

export async function createToken(
  store: Store,
  req: ValidTokenRequest,
  createdBy: string,
  nowS: number,
): Promise<{ record: TokenRecord; token: string }> {
  const secret = newSecret();
  const record = await store.createToken({
    id: secret.id,
    hash: secret.hash,
    name: req.name,
    scope: req.scope,
    namespaces: req.namespaces,
    created_at: nowS,
    created_by: createdBy,
    expires_at: req.expires_at,
  });
  return { record, token: secret.token };
}

export type TokenState = 'active' | 'revoked' | 'expired';

/** What the API and the command line show of a token: everything but the hash. */
export interface TokenView {
  id: string;
  name: string;
  scope: TokenScope;
  namespaces: string[];
  state: TokenState;
  created_at: number;
  created_by: string | null;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

export function tokenView(r: TokenRecord, nowS: number): TokenView {
  const state: TokenState =
    r.revoked_at !== null ? 'revoked' : r.expires_at !== null && r.expires_at <= nowS ? 'expired' : 'active';
  return {
    id: r.id,
    name: r.name,
    scope: r.scope,
    namespaces: r.namespaces,
    state,
    created_at: r.created_at,
    created_by: r.created_by,
    expires_at: r.expires_at,
    last_used_at: r.last_used_at,
    revoked_at: r.revoked_at,
    revoked_by: r.revoked_by,
  };
}
