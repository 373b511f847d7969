// buildApp wires the HTTP layer around an already opened store and returns a Fastify
// instance that does not listen (tests and main.ts decide that). Loading order follows
// fastify/demo: ecosystem plugins, then cross-cutting concerns, then the route groups.

import type { Server as HttpsServer } from 'node:https';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyHttpsOptions, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import { WorkloadNamespaces } from './auth/namespaces.js';
import { TokenVerifier } from './auth/token-verifier.js';
import { tokenRoutes } from './auth/tokens-routes.js';
import type { Config } from './config.js';
import { registerErrorHandling } from './errors.js';
import { setupHealth } from './health/plugin.js';
import { healthRoutes } from './health/routes.js';
import { registerAuth } from './http/auth.js';
import { registerBodyParsers } from './http/body-parser.js';
import { lensValidatorCompiler } from './http/body-validator.js';
import { QuietRequestLog } from './http/log-controller.js';
import { ingestRateLimit, registerSecurityHeaders } from './http/security.js';
import { readTlsPair, watchTlsFiles } from './http/tls.js';
import { ingestRoutes } from './ingest/routes.js';
import { createMetrics, instrumentRequests } from './ops/prom.js';
import { startRetention } from './ops/retention.js';
import { opsRoutes } from './ops/routes.js';
import { frameworkDetectionRoutes } from './query/framework-detection.js';
import { grafanaRoutes } from './query/grafana.js';
import { workloadRoutes } from './query/workloads.js';
import type { Store } from './store/types.js';
import { webPlugin } from './web/plugin.js';

export interface AppDeps {
  store: Store;
  /** Where pino writes; tests capture the log lines through it. Default: stdout. */
  logStream?: DestinationStream;
  /** Delay before the first retention sweep (default 5 s); tests shorten it. */
  retentionFirstRunDelayMs?: number;
  /** How often the TLS files are checked for a renewed certificate (default 30 s); tests shorten it. */
  tlsReloadCheckMs?: number;
  /** Epoch seconds for health evaluation (stall and lost windows); tests inject a virtual clock. */
  clock?: () => number;
}

/** The deployed original served /v1; the quickstart (docs/quickstart.md) and our exporter use /api/v1. */
export const API_PREFIXES = ['/api/v1', '/v1'] as const;

export const SERVER_VERSION = '0.1.0';

export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const options: FastifyServerOptions = {
    logger: deps.logStream ? { level: config.logLevel, stream: deps.logStream } : { level: config.logLevel },
    logController: new QuietRequestLog(),
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: 60_000,
    keepAliveTimeout: 10_000,
    // Idle keep-alive sockets are closed on shutdown; in-flight requests are drained.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  };
  // HTTPS only changes the listening socket; every route and hook is the same.
  const app = (config.tls !== null
    ? Fastify({ ...options, https: readTlsPair(config.tls) } as FastifyHttpsOptions<HttpsServer>)
    : Fastify(options)) as unknown as FastifyInstance;
  if (config.tls !== null) {
    const stopWatching = watchTlsFiles(app.server as unknown as HttpsServer, config.tls, app.log, deps.tlsReloadCheckMs);
    app.addHook('onClose', async () => stopWatching());
  }
  // One schema library end to end: bodies are validated without type coercion (null must
  // never become 0), query strings are converted ("100" → 100) before validation.
  app.setValidatorCompiler(lensValidatorCompiler);
  registerErrorHandling(app);
  registerBodyParsers(app);

  const metrics = createMetrics(() => deps.store.pressure().queued_points);
  instrumentRequests(app, metrics);

  // Access control comes before every route: each route is checked against its policy as it is
  // registered (see auth/route-policy.ts), and an unknown route stops the start.
  await registerSecurityHeaders(app, config.tls !== null);
  const verifier = new TokenVerifier(deps.store, { bootstrapToken: config.apiToken, log: app.log });
  await verifier.start();
  app.addHook('onClose', async () => verifier.close());
  const namespaces = new WorkloadNamespaces(deps.store);
  registerAuth(app, {
    verifier,
    namespaces,
    apiPrefixes: API_PREFIXES,
    registry: metrics.registry,
    ingestLimiter: await ingestRateLimit(app, config.ingestRateLimit),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Primus Lens telemetry processor',
        version: SERVER_VERSION,
        description: 'Ingest (wandb exporter), query, Grafana-compatible and operations endpoints. See docs/api.md.',
      },
      tags: [
        { name: 'ingest', description: 'Exporter → server (envelope answers)' },
        { name: 'query', description: 'Workloads, runs, metrics and series (plain JSON)' },
        { name: 'detection', description: 'Framework detection' },
        { name: 'health', description: 'Training health: stalled, diverged, slow, lost, finished, failed' },
        { name: 'grafana', description: 'Raw-shaped endpoints for the Grafana JSON API datasource' },
        { name: 'auth', description: 'Tokens (admin) and who the caller is' },
        { name: 'ops', description: 'Health, readiness, Prometheus, this document' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  await app.register(opsRoutes, { store: deps.store, metrics });
  const health = await setupHealth(app, {
    config: config.health,
    store: deps.store,
    registry: metrics.registry,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  for (const prefix of API_PREFIXES) {
    const hidden = prefix !== '/api/v1';
    await app.register(
      async (api) => {
        await api.register(ingestRoutes, {
          store: deps.store,
          metrics,
          hidden,
          namespaces,
          prefix: '/wandb',
          health: health.service,
          ...(deps.clock ? { clock: deps.clock } : {}),
        });
        await api.register(workloadRoutes, { store: deps.store, hidden, clock: health.clock });
        await api.register(frameworkDetectionRoutes, { store: deps.store, hidden });
        await api.register(grafanaRoutes, { store: deps.store, hidden });
        await api.register(tokenRoutes, { store: deps.store, verifier, hidden });
        await api.register(healthRoutes, {
          store: deps.store,
          thresholds: config.health.thresholds,
          clock: health.clock,
          hidden,
        });
      },
      { prefix },
    );
  }
  await app.register(webPlugin);
  startRetention(app, deps.store, config.retentionDays, deps.retentionFirstRunDelayMs);
  return app;
}
