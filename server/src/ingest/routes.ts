// POST /wandb/{detection,metrics,logs,batch}. Registered with prefix /wandb under /api/v1 and
// again under /v1 (the deployed original's prefix; hidden from the OpenAPI document). Errors
// here, unknown paths under /wandb included, answer in the envelope the original's clients
// parse. Validation errors are attached, not thrown, so the handlers can reject single items
// and keep the rest.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { WorkloadNamespaces } from '../auth/namespaces.js';
import { errors, type FieldError, LensError, useEnvelopeErrors } from '../errors.js';
import type { HealthObserver } from '../health/observer.js';
import type { IngestEndpoint, LensMetrics } from '../ops/prom.js';
import type { Store } from '../store/types.js';
import { type IngestContext, ingestDetection, ingestLogs, ingestMetrics } from './handlers.js';
import {
  BatchAnswer,
  BatchBody,
  DetectionAnswer,
  DetectionBody,
  IngestError,
  LogsBody,
  MetricsAnswer,
  MetricsBody,
  type PartResultT,
} from './schemas.js';
import { bodyFieldErrors, isUnder } from './validation.js';

export interface IngestRoutesOptions {
  store: Store;
  metrics: LensMetrics;
  /** True for the /v1 alias: same routes, left out of the OpenAPI document. */
  hidden: boolean;
  /** Files each workload under its namespace and checks the token may write there. */
  namespaces: WorkloadNamespaces;
  /** Training health evaluation, told about what ingest stored; null when LENS_HEALTH=off. */
  health?: HealthObserver | null;
  /** Epoch seconds for received_at (tests inject the app's virtual clock). */
  clock?: () => number;
}

/** Seconds a client is told to wait when the write queue is full before the body is read. */
const SATURATED_RETRY_AFTER_S = 1;

const errorResponses = {
  400: IngestError,
  401: IngestError,
  403: IngestError,
  413: IngestError,
  415: IngestError,
  429: IngestError,
  503: IngestError,
};

type PartName = 'detection' | 'metrics' | 'logs';
type PartHandler = (ctx: IngestContext, body: unknown, errs: FieldError[], pointer: string) => Promise<object>;
const PARTS: Array<[PartName, PartHandler]> = [
  ['detection', ingestDetection],
  ['metrics', ingestMetrics],
  ['logs', ingestLogs],
];

export const ingestRoutes: FastifyPluginAsync<IngestRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useEnvelopeErrors(fastify, { notFound: true });
  // Refuse before reading the body: a saturated pipeline must not buffer more bodies.
  app.addHook('onRequest', (_request, _reply, done) => {
    if (opts.store.pressure().saturated) done(errors.overloaded(SATURATED_RETRY_AFTER_S));
    else done();
  });

  const context = (request: FastifyRequest): IngestContext => ({
    store: opts.store,
    metrics: opts.metrics,
    log: request.log,
    now: opts.clock ?? (() => Date.now() / 1_000),
    health: opts.health ?? null,
    authorizeWrite: (resolved, at) =>
      opts.namespaces.authorizeWrite(request.principal, resolved.workloadUid, resolved.identity.namespace ?? null, at),
  });
  /** Runs a handler under the ingest latency histogram and wraps its result in the envelope. */
  const answer = async <T>(
    endpoint: IngestEndpoint,
    work: () => Promise<T>,
  ): Promise<{ meta: { code: number; message: string }; data: T }> => {
    const end = opts.metrics.ingestSeconds.startTimer({ endpoint });
    try {
      return { meta: { code: 2000, message: 'OK' }, data: await work() };
    } finally {
      end();
    }
  };
  const common = { tags: ['ingest'], hide: opts.hidden };

  app.post(
    '/metrics',
    {
      attachValidation: true,
      schema: {
        ...common,
        summary: 'Report metric points of one run',
        body: MetricsBody,
        response: { 200: MetricsAnswer, ...errorResponses },
      },
    },
    async (request) =>
      answer('metrics', () => ingestMetrics(context(request), request.body as unknown, bodyFieldErrors(request))),
  );

  app.post(
    '/logs',
    {
      attachValidation: true,
      schema: {
        ...common,
        summary: "Report logged rows (the original exporter's row body)",
        body: LogsBody,
        response: { 200: MetricsAnswer, ...errorResponses },
      },
    },
    async (request) => answer('logs', () => ingestLogs(context(request), request.body as unknown, bodyFieldErrors(request))),
  );

  app.post(
    '/detection',
    {
      attachValidation: true,
      schema: {
        ...common,
        summary: 'Report framework-detection evidence',
        body: DetectionBody,
        response: { 200: DetectionAnswer, ...errorResponses },
      },
    },
    async (request) =>
      answer('detection', () => ingestDetection(context(request), request.body as unknown, bodyFieldErrors(request))),
  );

  app.post(
    '/batch',
    {
      attachValidation: true,
      schema: {
        ...common,
        summary: 'Report detection, metrics and logs in one body',
        body: BatchBody,
        response: { 200: BatchAnswer, ...errorResponses },
      },
    },
    async (request) =>
      answer('batch', async () => {
        const errs = bodyFieldErrors(request);
        const body = request.body as unknown as Record<string, unknown> | null;
        const outside = errs.filter((e) => !PARTS.some(([part]) => isUnder(e.path, `/${part}`)));
        const present = PARTS.filter(([part]) => body !== null && typeof body === 'object' && body[part] !== undefined);
        if (outside.length > 0) throw errors.invalidRequest(errs);
        if (present.length === 0) {
          throw errors.invalidRequest([{ path: '/', message: 'at least one of detection, metrics, logs is required' }]);
        }
        const results: Partial<Record<PartName, PartResultT>> = {};
        let success = true;
        for (const [part, handle] of present) {
          const pointer = `/${part}`;
          try {
            const data = await handle(
              context(request),
              (body as Record<string, unknown>)[part],
              errs.filter((e) => isUnder(e.path, pointer)),
              pointer,
            );
            results[part] = { success: true, ...data };
          } catch (err) {
            // A bad part fails alone; storage trouble (503/500) still fails the whole request.
            if (!(err instanceof LensError) || err.statusCode !== 400) throw err;
            success = false;
            results[part] = { success: false, error: err.message, errors: err.fieldErrors };
          }
        }
        return { success, results };
      }),
  );
};
