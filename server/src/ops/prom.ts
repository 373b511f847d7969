// The server's own Prometheus metrics. One registry per app instance (tests build many
// apps in one process). Labels are bounded sets only: route templates, endpoint names,
// rejection reasons. Never workload_uid: it grows without bound (one series per job ever seen).

import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type IngestEndpoint = 'detection' | 'metrics' | 'logs' | 'batch';

export interface LensMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestSeconds: Histogram<'method' | 'route'>;
  pointsIngested: Counter<'endpoint'>;
  pointsRejected: Counter<'reason'>;
  batchSize: Histogram<'endpoint'>;
  ingestSeconds: Histogram<'endpoint'>;
  dbWriteSeconds: Histogram<'operation'>;
  detections: Counter<'framework'>;
}

/** queueDepth is read at scrape time, so it is always the store's current figure. */
export function createMetrics(queueDepth: () => number): LensMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lens_process_' });
  const registers = [registry];
  new Gauge({
    name: 'lens_write_queue_points',
    help: 'Points accepted but not yet committed (group-commit queue depth)',
    registers,
    collect() {
      this.set(queueDepth());
    },
  });
  return {
    registry,
    requests: new Counter({
      name: 'lens_http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'lens_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    pointsIngested: new Counter({
      name: 'lens_points_ingested_total',
      help: 'Metric points stored',
      labelNames: ['endpoint'],
      registers,
    }),
    pointsRejected: new Counter({
      name: 'lens_points_rejected_total',
      help: 'Items rejected, by reason',
      labelNames: ['reason'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'lens_ingest_batch_points',
      help: 'Points per ingest body',
      labelNames: ['endpoint'],
      buckets: [1, 5, 10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000],
      registers,
    }),
    ingestSeconds: new Histogram({
      name: 'lens_ingest_duration_seconds',
      help: 'Ingest handler time, from parsed body to committed answer',
      labelNames: ['endpoint'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    dbWriteSeconds: new Histogram({
      name: 'lens_db_write_duration_seconds',
      help: 'Time a store write took to commit, as the handler saw it',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    detections: new Counter({
      name: 'lens_detections_total',
      help: 'Detection reports by detected framework',
      labelNames: ['framework'],
      registers,
    }),
  };
}

/** Counts every answered request under its route template (unmatched URLs share one label). */
export function instrumentRequests(app: FastifyInstance, metrics: LensMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.requestSeconds.observe({ method: request.method, route }, reply.elapsedTime / 1_000);
    done();
  });
}

/** Measures an async store call into dbWriteSeconds. */
export async function timed<T>(metrics: LensMetrics, operation: string, work: () => Promise<T>): Promise<T> {
  const end = metrics.dbWriteSeconds.startTimer({ operation });
  try {
    return await work();
  } finally {
    end();
  }
}
