// Enforcement on every route. Each route gets its policy from auth/route-policy.ts as it is
// registered (a route without one stops the server from starting), and one onRequest hook,
// which runs before any body is read, checks the token against it:
// - missing, unknown, revoked or expired token: 401 (WWW-Authenticate: Bearer);
// - a valid token whose scope does not grant the route: 403 naming the scope it would need;
// - a `:uid` route for a workload outside a namespaced token's namespaces: 404, exactly as for a
//   workload that does not exist.
// The list filters by namespace in its handler and ingest checks the body's namespace in
// ingest/handlers.ts; both read `request.principal`, set here.
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { WorkloadNamespaces } from '../auth/namespaces.js';
import { policyFor, type RoutePolicy } from '../auth/route-policy.js';
import { grants, NEEDED_SCOPE } from '../auth/scopes.js';
import { OPEN_PRINCIPAL, type Principal, type TokenVerifier } from '../auth/token-verifier.js';
import { errors } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set for every route by registerAuth from the route-policy table. */
    access?: RoutePolicy;
  }
  interface FastifyRequest {
    /** Who sent the request; set before the handler runs on every non-public route. */
    principal: Principal;
  }
}

export interface AuthDeps {
  verifier: TokenVerifier;
  namespaces: WorkloadNamespaces;
  apiPrefixes: readonly string[];
  registry: Registry;
  /** Put on ingest routes after the token check (http/security.ts); null: no limit. */
  ingestLimiter: onRequestAsyncHookHandler | null;
}

type DenialReason = 'missing' | 'rejected' | 'scope' | 'open_mode';

/** Must be called before any route is registered. */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  const denied = new Counter({
    name: 'lens_auth_denied_total',
    help: 'Requests refused by the token check, by reason (missing, rejected, scope, open_mode)',
    labelNames: ['reason'],
    registers: [deps.registry],
  });
  app.decorateRequest('principal', null as unknown as Principal);

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const found = methods.map((m) => policyFor(m, route.url, deps.apiPrefixes));
    const policy = found[0];
    if (policy === undefined || found.some((p) => p !== policy)) {
      throw new Error(`route ${methods.join(',')} ${route.url} has no access policy: add it to server/src/auth/route-policy.ts`);
    }
    route.config = { ...(route.config ?? {}), access: policy } as typeof route.config;
    // The OpenAPI document (built from the same route options) says which routes need a token.
    route.schema = {
      ...(route.schema ?? {}),
      security: policy.access === 'public' ? [] : [{ bearer: [] }],
    } as typeof route.schema;
    // Route hooks run after the app's, so the limiter sees the principal set below.
    if (policy.access === 'ingest' && deps.ingestLimiter !== null) {
      const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
      route.onRequest = [...own, deps.ingestLimiter];
    }
  });

  const deny = (reason: DenialReason): void => {
    // The WWW-Authenticate header travels with the catalogue error that follows.
    denied.inc({ reason });
  };

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const policy = request.routeOptions.config.access;
    // No policy: the not-found handler (a 404 names no data).
    if (policy === undefined || policy.access === 'public') return;
    let principal: Principal;
    if (deps.verifier.open) {
      if (policy.access === 'tokens') {
        deny('open_mode');
        throw errors.forbidden(
          'managing tokens needs an admin token: set LENS_API_TOKEN on the server, or create ' +
            'the first admin token with `npm run tokens -- create --scope admin --name <name>`',
        );
      }
      principal = OPEN_PRINCIPAL;
    } else {
      const result = await deps.verifier.verify(request.headers.authorization);
      if ('reason' in result) {
        deny(result.reason);
        throw result.reason === 'missing' ? errors.tokenMissing() : errors.tokenRejected(result.why);
      }
      principal = result;
      if (policy.access !== 'any' && !grants(principal.scope, policy.access)) {
        deny('scope');
        const needed = NEEDED_SCOPE[policy.access];
        throw errors.forbidden(
          `token "${principal.name}" has the ${principal.scope} scope; ${request.method} ${policy.path} ` +
            `needs ${needed === 'read' ? 'a' : 'an'} ${needed} token`,
        );
      }
    }
    request.principal = principal;
    if (policy.workload === 'param') {
      const uid = (request.params as { uid?: string }).uid;
      if (uid !== undefined && !(await deps.namespaces.visible(principal, uid))) throw errors.workloadNotFound(uid);
    }
  });
}
