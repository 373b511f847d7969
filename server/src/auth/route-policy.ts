// Every route's access policy, in one table. The server refuses to start when a route has no
// entry here (http/auth.ts checks each route as it is registered), and the authorization
// matrix test walks the same table, so a new route can be neither unprotected by accident nor
// untested.
import type { Access } from './scopes.js';

/** How a route's workload is found, for namespaced tokens. */
export type WorkloadRef =
  /** `:uid` in the path: a workload outside the token's namespaces answers 404. */
  | 'param'
  /** The list: filtered to the token's namespaces. */
  | 'list'
  /** An ingest body: its namespace must be one of the token's (checked in ingest/handlers.ts). */
  | 'body';

export interface RoutePolicy {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's URL pattern; for `api` routes without the /api/v1 or /v1 prefix. */
  path: string;
  /** Registered under every API prefix. */
  api: boolean;
  access: Access;
  workload?: WorkloadRef;
  /** Not in the OpenAPI document: @fastify/static hides its file route, which is not an API. */
  undocumented?: true;
  why: string;
}

const ingest = (path: string): RoutePolicy => ({
  method: 'POST',
  path,
  api: true,
  access: 'ingest',
  workload: 'body',
  why: 'exporters write; an ingest token reads nothing',
});
const read = (path: string, why: string): RoutePolicy => ({
  method: 'GET',
  path,
  api: true,
  access: 'read',
  workload: 'param',
  why,
});

export const ROUTE_POLICIES: readonly RoutePolicy[] = [
  ingest('/wandb/metrics'),
  ingest('/wandb/logs'),
  ingest('/wandb/detection'),
  ingest('/wandb/batch'),
  {
    method: 'GET',
    path: '/workloads',
    api: true,
    access: 'read',
    workload: 'list',
    why: "the list shows only the token's namespaces, and counts only those",
  },
  read('/workloads/:uid', 'workload data'),
  read('/workloads/:uid/runs', 'run configs often name datasets and models'),
  read('/workloads/:uid/metrics', 'workload data'),
  read('/workloads/:uid/metrics/series', 'workload data'),
  read('/workloads/:uid/framework-detection', 'evidence names pods, hosts and config paths'),
  read('/workloads/:uid/health', 'workload data'),
  {
    method: 'POST',
    path: '/workloads/:uid/framework-detection',
    api: true,
    access: 'admin',
    workload: 'param',
    why: 'an override outranks every detector, for everyone who reads the workload',
  },
  read('/workloads/:uid/metrics/sources', 'Grafana datasource'),
  read('/workloads/:uid/metrics/available', 'Grafana datasource'),
  read('/workloads/:uid/metrics/data', 'Grafana datasource'),
  read('/workloads/:uid/metrics/iteration-times', 'Grafana datasource'),
  { method: 'GET', path: '/whoami', api: true, access: 'any', why: 'the dashboard shows whose token it holds' },
  { method: 'GET', path: '/tokens', api: true, access: 'tokens', why: 'token names and namespaces map the cluster' },
  { method: 'POST', path: '/tokens', api: true, access: 'tokens', why: 'creating a token grants access' },
  { method: 'DELETE', path: '/tokens/:id', api: true, access: 'tokens', why: 'revoking can stop every job' },
  { method: 'GET', path: '/healthz', api: false, access: 'public', why: 'liveness probe; no data' },
  { method: 'GET', path: '/readyz', api: false, access: 'public', why: 'readiness probe; no data' },
  {
    method: 'GET',
    path: '/metrics',
    api: false,
    access: 'public',
    why: 'Prometheus scrape; server counters only, no workload labels',
  },
  {
    method: 'GET',
    path: '/metrics/training',
    api: false,
    access: 'read',
    workload: 'list',
    why: "names workloads, runs and namespaces; a namespaced token sees only its namespaces' runs",
  },
  { method: 'GET', path: '/api/v1/openapi.json', api: false, access: 'public', why: 'the API description holds no data' },
  {
    method: 'GET',
    path: '/',
    api: false,
    access: 'public',
    why: 'dashboard shell; it asks for a token and reads through the API',
  },
  { method: 'GET', path: '/workloads', api: false, access: 'public', why: 'dashboard deep link (the shell only)' },
  { method: 'GET', path: '/workloads/*', api: false, access: 'public', why: 'dashboard deep link (the shell only)' },
  { method: 'GET', path: '/assets/*', api: false, access: 'public', undocumented: true, why: 'dashboard code and styles' },
];

/** The policy of a registered route, or undefined when the table lacks it. HEAD follows GET. */
export function policyFor(method: string, url: string, apiPrefixes: readonly string[]): RoutePolicy | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTE_POLICIES.find(
    (p) => p.method === m && (p.api ? apiPrefixes.some((prefix) => prefix + p.path === url) : p.path === url),
  );
}

/** Every (policy, concrete URL pattern) pair the server registers. */
export function expandPolicies(apiPrefixes: readonly string[]): Array<{ policy: RoutePolicy; url: string }> {
  return ROUTE_POLICIES.flatMap((policy) =>
    policy.api ? apiPrefixes.map((prefix) => ({ policy, url: prefix + policy.path })) : [{ policy, url: policy.path }],
  );
}
