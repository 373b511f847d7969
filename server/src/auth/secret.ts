// Token secrets: 32 random bytes behind a recognisable prefix, so secret scanners and people
// can tell a Primus Lens token from other strings. Only the SHA-256 of a secret is stored: a
// secret has 256 bits of entropy, so a fast hash cannot be brute-forced and lookups stay cheap.
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'plens_';

export interface NewSecret {
  /** Public identifier (12 hex digits), not derived from the secret. */
  id: string;
  /** What the client sends as `Authorization: Bearer <token>`; shown once, never stored. */
  token: string;
  hash: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newSecret(): NewSecret {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { id: randomBytes(6).toString('hex'), token, hash: hashToken(token) };
}
