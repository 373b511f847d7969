// Audit lines: who (the acting token's name and id, never its secret) did what to which token
// or workload. One pino line each at info, with `audit` as the event, so a log pipeline can
// select them with a single field.
import type { FastifyBaseLogger } from 'fastify';

export type AuditEvent = 'token.created' | 'token.revoked' | 'detection.override';

export interface Actor {
  name: string;
  id: string | null;
}

export function audit(log: FastifyBaseLogger, event: AuditEvent, actor: Actor, details: Record<string, unknown>): void {
  log.info({ audit: event, actor: actor.name, actor_token_id: actor.id, ...details }, `audit: ${event} by ${actor.name}`);
}
