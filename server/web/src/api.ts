// Typed client for the query API. Every call can be cancelled, and every failure becomes an
// ApiError that the pages turn into an explicit error state.
import type {
  Detection,
  DetectionOverride,
  MetricSummary,
  RunRow,
  SeriesResponse,
  Whoami,
  WorkloadHealth,
  WorkloadList,
  WorkloadSummary,
} from './types.js';

const API_BASE = '/api/v1';
// The token lives in this browser's storage and travels only in the Authorization header:
// never in a URL (which would land in history, proxy logs and Referer headers).
const TOKEN_KEY = 'primus-lens.api-token';
/** Fired on window whenever the saved token changes (entered, or logged out). */
export const TOKEN_CHANGED = 'primus-lens-token-changed';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
    readonly sentToken = false,
  ) {
    super(message);
  }
  get needsToken(): boolean {
    return this.status === 401;
  }
  /** A 401 to a request that carried a token: the token is wrong, not missing. */
  get tokenRejected(): boolean {
    return this.status === 401 && this.sentToken;
  }
  /** A 403: a valid token without the scope this needs (an ingest token in the dashboard). */
  get forbidden(): boolean {
    return this.status === 403;
  }
  /** The server's own words (e.g. "token rejected: it was revoked"), without the status prefix. */
  get serverMessage(): string {
    const body = this.body as { error?: unknown } | null;
    return body && typeof body.error === 'string' ? body.error : this.message;
  }
}

export function savedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage can be disabled; the dashboard still works without a token
  }
}

export function saveToken(token: string): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: the token lives only as long as this page */
  }
  window.dispatchEvent(new Event(TOKEN_CHANGED));
}

async function request<T>(method: string, path: string, signal?: AbortSignal, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = savedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      headers,
      signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(`Server unreachable (${String(err)})`, 0, null);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!response.ok) throw new ApiError(errorMessage(response.status, parsed), response.status, parsed, Boolean(token));
  return parsed as T;
}

function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    if (typeof record.error === 'string') return `${status}: ${record.error}`;
    if (typeof record.message === 'string') return `${status}: ${record.message}`;
  }
  return `HTTP ${status}`;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const enc = encodeURIComponent;

export interface ListParams {
  q?: string;
  framework?: string;
  status?: string;
  health?: string;
  limit?: number;
  offset?: number;
}

export interface SeriesParams {
  name: string;
  run_id?: string;
  rank?: number;
  from_step?: number;
  to_step?: number;
  from_time?: number;
  to_time?: number;
  max_points?: number;
}

export const api = {
  whoami: (signal?: AbortSignal) => request<Whoami>('GET', '/whoami', signal),
  workloads: (p: ListParams, signal?: AbortSignal) => request<WorkloadList>('GET', `/workloads${query({ ...p })}`, signal),
  workload: (uid: string, signal?: AbortSignal) => request<WorkloadSummary>('GET', `/workloads/${enc(uid)}`, signal),
  runs: (uid: string, signal?: AbortSignal) => request<{ runs: RunRow[] }>('GET', `/workloads/${enc(uid)}/runs`, signal),
  metrics: (uid: string, signal?: AbortSignal) =>
    request<{ metrics: MetricSummary[] }>('GET', `/workloads/${enc(uid)}/metrics`, signal),
  series: (uid: string, p: SeriesParams, signal?: AbortSignal) =>
    request<SeriesResponse>('GET', `/workloads/${enc(uid)}/metrics/series${query({ ...p })}`, signal),
  health: (uid: string, signal?: AbortSignal) => request<WorkloadHealth>('GET', `/workloads/${enc(uid)}/health`, signal),
  detection: (uid: string, signal?: AbortSignal) =>
    request<Detection>('GET', `/workloads/${enc(uid)}/framework-detection`, signal),
  overrideDetection: (uid: string, body: DetectionOverride) =>
    request<Detection>('POST', `/workloads/${enc(uid)}/framework-detection`, undefined, body),
};
