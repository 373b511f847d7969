// GET /workloads/{uid}/health (under the API prefixes) and GET /metrics/training (the per-run
// Prometheus page). Both name workloads, so both need a read token (auth/route-policy.ts); a
// namespaced token's scrape holds only the runs of its namespaces.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { coversAll } from '../auth/namespaces.js';
import { errors } from '../errors.js';
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
  app.get(
    '/workloads/:uid/health',
    {
      schema: {
        tags: ['health'],
        hide: opts.hidden,
        summary:
          "Training health of a workload's runs: status (the workload's is its worst run's), progress, performance, events",
        params: UidParams,
        response: { 200: WorkloadHealthAnswer, 404: QueryError },
      },
    },
    async (request) => {
      const answer = await workloadHealthAnswer(opts.store, request.params.uid, opts.clock());
      if (answer === null) throw errors.workloadNotFound(request.params.uid);
      return answer;
    },
  );
};

export interface TrainingMetricsOptions {
  store: Store;
  thresholds: Thresholds;
  clock: () => number;
}

export const trainingMetricsRoute: FastifyPluginAsync<TrainingMetricsOptions> = async (fastify, opts) => {
  fastify.get(
    '/metrics/training',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus: one series per live run (lens_run_*), labelled workload, run, rank, namespace',
      },
    },
    async (request, reply) => {
      const only = coversAll(request.principal) ? null : new Set(request.principal.namespaces);
      const { text, contentType } = await renderTrainingMetrics(opts.store, opts.clock(), opts.thresholds, only);
      return reply.type(contentType).send(text);
    },
  );
};
