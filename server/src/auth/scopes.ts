// What each token scope may do, as data. A route names the access it needs (route-policy.ts);
// this table says which scopes grant it. Admin grants everything, the other two are disjoint on
// purpose: the token every training pod carries in its environment must not read anyone's data,
// and a dashboard or Grafana token must not be able to write.
import type { TokenScope } from '../store/access-types.js';

export type Access =
  /** No token needed: probes, Prometheus, the dashboard shell, the OpenAPI document. */
  | 'public'
  /** Any valid token (who am I). */
  | 'any'
  | 'ingest'
  | 'read'
  /** Admin actions on data (detection overrides); open when the server runs without tokens. */
  | 'admin'
  /** Token management: needs an admin token even in open mode (see README: bootstrap). */
  | 'tokens';

export const GRANTED_BY: Readonly<Record<Exclude<Access, 'public'>, readonly TokenScope[]>> = {
  any: ['ingest', 'read', 'admin'],
  ingest: ['ingest', 'admin'],
  read: ['read', 'admin'],
  admin: ['admin'],
  tokens: ['admin'],
};

/** The scope to name in a 403: the least one that would do. */
export const NEEDED_SCOPE: Readonly<Record<Exclude<Access, 'public'>, TokenScope>> = {
  any: 'read',
  ingest: 'ingest',
  read: 'read',
  admin: 'admin',
  tokens: 'admin',
};

export function grants(scope: TokenScope, access: Exclude<Access, 'public'>): boolean {
  return GRANTED_BY[access].includes(scope);
}
