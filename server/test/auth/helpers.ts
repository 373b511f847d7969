// Shared by the auth tests: tokens made through the admin API (each one noted for the
// suite-end log check), and bodies that put a workload in a namespace.
import assert from 'node:assert/strict';
import { type Answer, get, postJson, send } from '../support/app-server.js';
import { recordSecret } from '../support/suite-logs.js';

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export interface MadeToken {
  id: string;
  token: string;
  name: string;
}

export async function makeToken(base: string, adminToken: string, body: Record<string, unknown>): Promise<MadeToken> {
  const r = await postJson(base, '/api/v1/tokens', body, bearer(adminToken));
  assert.equal(r.status, 201, r.text);
  recordSecret(r.json.token as string);
  return { id: r.json.id as string, token: r.json.token as string, name: r.json.name as string };
}

export async function revoke(base: string, adminToken: string, id: string): Promise<Answer> {
  return send(base, 'DELETE', `/api/v1/tokens/${id}`, undefined, bearer(adminToken));
}

/** A metrics body of workload `uid` reported from `namespace` (omitted when null). */
export function nsMetrics(
  uid: string,
  namespace: string | null,
  metrics: unknown[] = [{ name: 'loss', value: 0.5, step: 1 }],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    source: 'wandb',
    workload_uid: uid,
    pod_uid: `${uid}-pod-uid`,
    pod_name: `${uid}-pod`,
    run_id: `${uid}-run`,
    rank: 0,
    ...(namespace !== null ? { namespace } : {}),
    timestamp: 1_704_067_200,
    metrics,
    ...extra,
  };
}

export function nsDetection(
  uid: string,
  namespace: string | null,
  config: Record<string, unknown> = { framework: 'primus' },
): Record<string, unknown> {
  return {
    source: 'wandb',
    type: 'framework_detection_raw',
    version: '1.0',
    workload_uid: uid,
    pod_uid: `${uid}-pod-uid`,
    pod_name: `${uid}-pod`,
    ...(namespace !== null ? { namespace } : {}),
    rank: 0,
    run_id: `${uid}-run`,
    timestamp: 1_704_067_200,
    evidence: {
      wandb: { project: 'p', name: `${uid}-run-name`, id: `${uid}-run`, config, tags: [] },
      environment: { PRIMUS_CONFIG: '/c.yaml' },
    },
    hints: {
      possible_frameworks: ['primus'],
      confidence: 'high',
      primary_indicators: ['PRIMUS env vars'],
      timestamp: 1_704_067_200,
    },
  };
}

export async function workloadUids(base: string, token: string): Promise<string[]> {
  const r = await get(base, '/api/v1/workloads', bearer(token));
  assert.equal(r.status, 200, r.text);
  return (r.json.workloads as Array<{ workload_uid: string }>).map((w) => w.workload_uid).sort();
}
