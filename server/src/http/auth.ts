// Bearer-token check for ingest and query routes (ops routes stay open so probes and
// Prometheus need no secret). Registered as an onRequest hook inside the protected
// plugin contexts only, so the policy is visible where the routes are composed.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { errors, sendError } from '../errors.js';

function digest(value: string): Buffer {
  // Hashing first gives equal-length buffers, so the comparison time says nothing about the token.
  return createHash('sha256').update(value).digest();
}

export function bearerAuth(token: string): onRequestHookHandler {
  const expected = digest(token);
  return function checkBearer(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match !== null && timingSafeEqual(digest(match[1] as string), expected)) {
      done();
      return;
    }
    // No token and a wrong one are fixed in different places (add the setting, or correct its
    // value), so each gets its own message, and RFC 6750's invalid_token for the wrong one.
    if (match === null) {
      reply.header('www-authenticate', 'Bearer');
      sendError(request, reply, errors.tokenMissing());
      return;
    }
    reply.header('www-authenticate', 'Bearer error="invalid_token"');
    sendError(request, reply, errors.tokenRejected());
  };
}
