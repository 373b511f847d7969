// GET/POST /workloads/{uid}/framework-detection. GET answers the
// merged detection; POST is the user's manual override (source "user", highest priority).

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { audit } from '../auth/audit.js';
import { userOverrideSource } from '../detection/index.js';
import { errors } from '../errors.js';
import { readDetection, recordSource } from '../services/detection-service.js';
import { DetectionAnswer, DetectionOverride, QueryError, UidParams } from './schemas.js';
import { withReporters } from './source-reporters.js';
import type { QueryRoutesOptions } from './workloads.js';

export const frameworkDetectionRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['detection'], hide: opts.hidden };

  app.get(
    '/workloads/:uid/framework-detection',
    {
      schema: {
        ...common,
        summary: 'The merged framework detection of a workload',
        params: UidParams,
        response: { 200: DetectionAnswer, 404: QueryError },
      },
    },
    async (request) => {
      const detection = await readDetection(opts.store, request.params.uid);
      if (detection === null) throw errors.detectionNotFound(request.params.uid);
      return withReporters(opts.store, detection);
    },
  );

  app.post(
    '/workloads/:uid/framework-detection',
    {
      schema: {
        ...common,
        summary: 'Manual override: state the framework (source "user", ranked above every detector)',
        params: UidParams,
        body: DetectionOverride,
        response: { 200: DetectionAnswer, 400: QueryError, 415: QueryError },
      },
    },
    async (request) => {
      const b = request.body;
      const now = Date.now() / 1_000;
      const source = userOverrideSource(
        {
          framework: b.framework,
          ...(b.wrapper_framework !== undefined ? { wrapper_framework: b.wrapper_framework } : {}),
          ...(b.base_framework !== undefined ? { base_framework: b.base_framework } : {}),
          ...(b.confidence !== undefined ? { confidence: b.confidence } : {}),
          ...(b.note !== undefined ? { reason: b.note } : {}),
        },
        now,
      );
      if (source === undefined)
        throw errors.invalidRequest([{ path: '/framework', message: `${JSON.stringify(b.framework)} names no framework` }]);
      const merged = await recordSource(
        opts.store,
        request.params.uid,
        source,
        b.note !== undefined ? { note: b.note } : null,
        null,
        now,
      );
      audit(request.log, 'detection.override', request.principal, {
        workload_uid: request.params.uid,
        framework: b.framework,
        wrapper_framework: b.wrapper_framework ?? null,
        base_framework: b.base_framework ?? null,
      });
      return merged;
    },
  );
};
