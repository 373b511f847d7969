// The closed set of health statuses, each with what it means, ordered by how urgently an
// operator must look: a workload shows its worst run's status, and the list sorts and
// filters by it. The SQL of both store backends builds its CASE from this table.

export const HEALTH_STATUSES = ['failed', 'diverged', 'stalled', 'lost', 'slow', 'healthy', 'unknown', 'finished'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** What each status means, in the words the API, the dashboard and the README use. */
export const STATUS_MEANING: Readonly<Record<HealthStatus, string>> = {
  failed: 'the run ended with a non-zero exit code',
  diverged: 'a loss-like metric became NaN or ±Inf, or spiked far above its recent robust level, and has not recovered',
  stalled: 'the run is still supposed to be running but no new step arrived for longer than its stall threshold',
  lost: 'nothing at all arrived from the run for the lost window and it never said it finished',
  slow: "the run's step time has stayed well above its own earlier median",
  healthy: 'the run is making progress with nothing wrong found',
  unknown: 'too little data to judge yet (no step logged), or no run reported',
  finished: 'the run ended with exit code 0 (or without an exit code)',
};

/** 0 is the worst. */
export const SEVERITY: Readonly<Record<HealthStatus, number>> = Object.fromEntries(
  HEALTH_STATUSES.map((s, i) => [s, i]),
) as Record<HealthStatus, number>;

export function isHealthStatus(value: unknown): value is HealthStatus {
  return typeof value === 'string' && (HEALTH_STATUSES as readonly string[]).includes(value);
}

/** The worst of several statuses; `unknown` when there are none. */
export function worstStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus | null = null;
  for (const s of statuses) if (worst === null || SEVERITY[s] < SEVERITY[worst]) worst = s;
  return worst ?? 'unknown';
}

export const TERMINAL_STATUSES: ReadonlySet<HealthStatus> = new Set(['finished', 'failed']);

/** Event kinds: what happened, at which step. */
export const EVENT_KINDS = ['non_finite', 'spike', 'stall', 'lost', 'slowdown', 'recovered', 'finished', 'failed'] as const;
export type HealthEventKind = (typeof EVENT_KINDS)[number];
