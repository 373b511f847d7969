// Wires health evaluation into the app: the service (when LENS_HEALTH is on) with its sweep
// timer and its webhook, its counters on the server's own /metrics, /metrics/training, and a
// final flush on close. app.ts calls setupHealth once and hands the service to ingest.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Store } from '../store/types.js';
import type { HealthConfig } from './config.js';
import { WebhookNotifier } from './notify.js';
import { trainingMetricsRoute } from './routes.js';
import { type HealthCounters, HealthService } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's health service (null when LENS_HEALTH=off): flush and sweep on demand. */
    lensHealth: HealthService | null;
  }
}

export interface HealthSetup {
  service: HealthService | null;
  clock: () => number;
}

function counters(registry: Registry): HealthCounters {
  const registers = [registry];
  const conflicts = new Counter({
    name: 'lens_health_save_conflicts_total',
    help: 'Health saves that lost to another writer of the same run (then reloaded and applied again)',
    registers,
  });
  const dropped = new Counter({
    name: 'lens_health_observations_dropped_total',
    help: 'Observations not evaluated because the pending queue was full',
    registers,
  });
  const flush = new Histogram({
    name: 'lens_health_flush_duration_seconds',
    help: 'Time to evaluate and save one flush of pending observations',
    registers,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const runs = new Counter({
    name: 'lens_health_runs_evaluated_total',
    help: 'Run evaluations saved (one per run per flush)',
    registers,
  });
  return {
    conflict: () => conflicts.inc(),
    dropped: (n) => dropped.inc(n),
    flushed: (n, seconds) => {
      runs.inc(n);
      flush.observe(seconds);
    },
  };
}

export async function setupHealth(
  app: FastifyInstance,
  opts: { config: HealthConfig; store: Store; registry: Registry; clock?: () => number },
): Promise<HealthSetup> {
  const clock = opts.clock ?? (() => Date.now() / 1_000);
  await app.register(trainingMetricsRoute, { store: opts.store, thresholds: opts.config.thresholds, clock });
  if (!opts.config.enabled) {
    app.decorate('lensHealth', null);
    return { service: null, clock };
  }
  const webhook = opts.config.webhookUrl === null ? null : new WebhookNotifier({ url: opts.config.webhookUrl, log: app.log });
  const service = new HealthService({
    store: opts.store,
    thresholds: opts.config.thresholds,
    clock,
    log: app.log,
    counters: counters(opts.registry),
    onChange: (change) => {
      app.log.info(
        {
          workload_uid: change.workload_uid,
          run_id: change.run_id,
          rank: change.rank,
          status: change.status,
          previous: change.previous,
          event: change.event?.detail,
        },
        `Training health: ${change.workload_uid} run ${change.run_id} rank ${change.rank} is ${change.status}`,
      );
      webhook?.notify(change);
    },
  });
  app.decorate('lensHealth', service);
  app.addHook('onReady', (done) => {
    service.start();
    done();
  });
  app.addHook('onClose', async () => {
    await service.close();
    // Messages already queued get a short chance; a dead receiver must not hold up shutdown.
    await Promise.race([webhook?.flush(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  });
  return { service, clock };
}
