// Operations endpoints, open even when LENS_API_TOKEN is set (probes and Prometheus
// scrape without secrets): /healthz (the process answers), /readyz (the database answers),
// /metrics (Prometheus text) and /api/v1/openapi.json (generated from the route schemas).

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Store } from '../store/types.js';
import type { LensMetrics } from './prom.js';

export interface OpsRoutesOptions {
  store: Store;
  metrics: LensMetrics;
}

const Status = Type.Object({ status: Type.String() });

export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['ops'];

  app.get('/healthz', { schema: { tags, summary: 'Liveness', response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { tags, summary: 'Readiness: the database answers', response: { 200: Status, 503: Status } } },
    async (_request, reply) => {
      let ready = false;
      try {
        ready = await opts.store.ping();
      } catch {
        ready = false;
      }
      if (!ready) return reply.code(503).send({ status: 'database unavailable' });
      return { status: 'ready' };
    },
  );

  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics (text format)' } }, async (_request, reply) => {
    const text = await opts.metrics.registry.metrics();
    return reply.type(opts.metrics.registry.contentType).send(text);
  });

  app.get('/api/v1/openapi.json', { schema: { tags, summary: 'This OpenAPI document' } }, async () => fastify.swagger());
};
