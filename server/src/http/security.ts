// Security headers (@fastify/helmet) on every answer, and the per-token ingest rate limit
// (@fastify/rate-limit).
//
// The Content-Security-Policy allows scripts, styles, fonts and fetches from this origin only,
// no inline script or style attribute, and no framing; the dashboard needs nothing else.
// HSTS and upgrade-insecure-requests are sent only when this server itself serves HTTPS:
// over plain HTTP they would send browsers to a port that does not speak TLS.
//
// The rate limit counts ingest requests per token (per client address in open mode) in
// one-second windows on each replica and answers 429 with Retry-After when a window is full.
// It runs in onRequest, after the token check and before the body is read, so a refused
// request never reaches the group-commit queue; accepted ones are untouched by it.
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { errors } from '../errors.js';

export async function registerSecurityHeaders(app: FastifyInstance, servesTls: boolean): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(servesTls ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: servesTls ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  });
}

const WINDOW_MS = 1_000;

/** The rate-limit key: the token, or the client address when the server is open. */
function clientKey(request: FastifyRequest): string {
  const p = request.principal;
  if (p !== null && p.kind === 'token' && p.id !== null) return `token:${p.id}`;
  if (p !== null && p.kind === 'bootstrap') return 'token:LENS_API_TOKEN';
  return `ip:${request.ip}`;
}

/**
 * Returns the onRequest handler to put on ingest routes (null when the limit is off). One
 * handler serves every ingest route under every prefix, so they share one budget.
 */
export async function ingestRateLimit(app: FastifyInstance, perSecond: number): Promise<onRequestAsyncHookHandler | null> {
  if (perSecond <= 0) return null;
  await app.register(rateLimit, { global: false });
  return app.rateLimit({
    max: perSecond,
    timeWindow: WINDOW_MS,
    keyGenerator: clientKey,
    errorResponseBuilder: (_request, context) => errors.rateLimited(Math.max(1, Math.ceil(context.ttl / 1000)), perSecond),
  }) as onRequestAsyncHookHandler;
}
