// Bearer-token check for ingest and query routes (ops routes stay open so probes and
// Prometheus need no secret). Registered as an onRequest hook inside the protected
// plugin contexts only, so the policy is visible where the routes are composed. A refusal
// is passed on as an error, so each route plugin answers it in its own shape.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { errors } from '../errors.js';

function digest(value: string): Buffer {
  // Hashing first gives equal-length buffers, so the comparison time says nothing about the token.
  return createHash('sha256').update(value).digest();
}

export function bearerAuth(token: string): onRequestHookHandler {
  const expected = digest(token);
  return function checkBearer(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match === null) done(errors.tokenMissing());
    else if (!timingSafeEqual(digest(match[1] as string), expected)) done(errors.tokenRejected());
    else done();
  };
}
