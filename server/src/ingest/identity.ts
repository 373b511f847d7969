// Who sent a body: the workload it is filed under, its run and rank, and the pod/host
// details stored on the run. The fallback identity (wire-format "Fallback identity") keeps
// a job without WORKLOAD_UID visible as "pod:<pod_name>" instead of dropping it.
import type { Static } from '@fastify/type-provider-typebox';
import type { FieldError } from '../errors.js';
import type { Identity, RunInfo } from '../store/types.js';
import type { IdentityPart } from './schemas.js';

/** The identity-bearing fields every ingest body may carry, as the schemas define them. */
export type IdentityFields = Static<typeof IdentityPart>;

export interface ResolvedIdentity {
  workloadUid: string;
  runId: string;
  /** -1 when the client did not say. */
  rank: number;
  podName: string | null;
  identity: Identity;
  run: RunInfo | undefined;
}

/** Used when a legacy body has no run id at all, so its points still have a stable key. */
export const UNKNOWN_RUN_ID = 'unknown';

export const MISSING_IDENTITY: FieldError = {
  path: '/workload_uid',
  message: 'either workload_uid or pod_name is required',
};

function text(value: string | null | undefined): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** Resolves identity, or returns the field error when neither workload_uid nor pod_name is set. */
export function resolveIdentity(body: IdentityFields, pointerPrefix = ''): ResolvedIdentity | FieldError {
  const podName = text(body.pod_name);
  let workloadUid = text(body.workload_uid);
  if (workloadUid === '') {
    if (podName === '') return { path: pointerPrefix + MISSING_IDENTITY.path, message: MISSING_IDENTITY.message };
    workloadUid = `pod:${podName}`;
  }
  const runId = text(body.run_id) || text(body.run?.id) || UNKNOWN_RUN_ID;
  const identity: Identity = {};
  if (text(body.pod_uid) !== '') identity.pod_uid = text(body.pod_uid);
  if (podName !== '') identity.pod_name = podName;
  if (text(body.namespace) !== '') identity.namespace = text(body.namespace);
  if (text(body.host) !== '') identity.host = text(body.host);
  if (typeof body.pid === 'number') identity.pid = body.pid;
  if (body.local_rank !== undefined) identity.local_rank = body.local_rank;
  if (body.node_rank !== undefined) identity.node_rank = body.node_rank;
  if (body.world_size !== undefined) identity.world_size = body.world_size;

  let run: RunInfo | undefined;
  const project = text(body.run?.project);
  const name = text(body.run?.name);
  if (project !== '' || name !== '') {
    run = {};
    if (project !== '') run.project = project;
    if (name !== '') run.name = name;
  }
  return {
    workloadUid,
    runId,
    rank: typeof body.rank === 'number' ? body.rank : -1,
    podName: podName === '' ? null : podName,
    identity,
    run,
  };
}

export function isFieldError(value: ResolvedIdentity | FieldError): value is FieldError {
  return (value as FieldError).path !== undefined && (value as ResolvedIdentity).workloadUid === undefined;
}
