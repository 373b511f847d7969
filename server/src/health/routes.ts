// GET /workloads/{uid}/health (under the API prefixes, behind the API token when one is set)
// and GET /metrics/training (the per-run Prometheus page; it names workloads, so it asks for the
// token as well when LENS_API_TOKEN is set: give Prometheus the token as a bearer credential).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errors } from '../errors.js';
import { bearerAuth } from '../http/auth.js';
import { QueryError, UidParams } from '../query/schemas.js';
import type { Store } from '../store/types.js';
import { renderTrainingMetrics } from './prometheus.js';
import { workloadHealthAnswer } from './read.js';
import { WorkloadHealthAnswer } from './schemas.js';
import type { Thresholds } from './thresholds.js';

export interface HealthRoutesOptions {
  store: Store;
  thresholds: Thresholds;
  clock: () => number;
  hidden: boolean;
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/workloads/:uid/health', {
    schema: {
      tags: ['health'], hide: opts.hidden,
      summary: "Training health of a workload's runs: status (the workload's is its worst run's), progress, performance, events",
      params: UidParams, response: { 200: WorkloadHealthAnswer, 404: QueryError },
    },
  }, async (request) => {
    const answer = await workloadHealthAnswer(opts.store, request.params.uid, opts.clock());
    if (answer === null) throw errors.workloadNotFound(request.params.uid);
    return answer;
  });
};

export interface TrainingMetricsOptions {
  store: Store;
  thresholds: Thresholds;
  clock: () => number;
  apiToken: string | null;
}

export const trainingMetricsRoute: FastifyPluginAsync<TrainingMetricsOptions> = async (fastify, opts) => {
  if (opts.apiToken !== null) fastify.addHook('onRequest', bearerAuth(opts.apiToken));
  fastify.get('/metrics/training', {
    schema: { tags: ['health'], summary: 'Prometheus: one series per live run (lens_run_*), labelled workload, run, rank, namespace' },
  }, async (_request, reply) => {
    const { text, contentType } = await renderTrainingMetrics(opts.store, opts.clock(), opts.thresholds);
    return reply.type(contentType).send(text);
  });
};
