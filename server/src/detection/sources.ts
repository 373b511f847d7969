// Helpers for callers that turn a request into a SourceResult for mergeWorkload.

import { frameworkByName } from './catalogue.js';
import { DETECTOR_VERSION, detectFromMetricNames, detectFromReport } from './detect.js';
import { resolveName } from './names.js';
import { asRecord, clip, own, ownRecord, ownString } from './read.js';
import type { Reporter, SourceResult } from './types.js';

function firstText(...values: Array<string | undefined>): string {
  for (const v of values) if (v !== undefined && v.trim() !== '') return clip(v.trim());
  return '';
}

/**
 * What a re-report replaces: `pod/rank/run`. Our exporter re-reports per (pod, rank, run) as the
 * module snapshot grows; legacy bodies without rank use -1, as metric points do.
 */
export function sourceKey(report: unknown): string {
  const body = asRecord(report);
  const evidence = ownRecord(body, 'evidence');
  const pod = firstText(ownString(body, 'pod_name'), ownString(body, 'pod_uid'), ownString(body, 'host')) || 'unknown-pod';
  const rank = own(body, 'rank');
  const rankText = typeof rank === 'number' && Number.isInteger(rank) ? String(rank) : '-1';
  const run = firstText(
    ownString(body, 'run_id'),
    ownString(ownRecord(body, 'run'), 'id'),
    ownString(ownRecord(evidence, 'wandb'), 'id'),
  );
  return `${pod}/${rankText}/${run}`;
}

/**
 * A wandb report as a source. `receivedAt` (server clock, epoch s) orders re-reports: client
 * clocks across nodes disagree, the server's does not.
 */
export function sourceFromReport(report: unknown, receivedAt: number): SourceResult {
  return {
    ...detectFromReport(report),
    reporter: reporterOf(report),
    source: 'wandb',
    source_key: sourceKey(report),
    reported_at: receivedAt,
  };
}

/** The identity fields of a report as sent; the key keeps only one of them. */
export function reporterOf(report: unknown): Reporter {
  const body = asRecord(report);
  const out: Reporter = {};
  for (const field of ['pod_name', 'pod_uid', 'namespace', 'host'] as const) {
    const value = firstText(ownString(body, field));
    if (value !== '') out[field] = value;
  }
  const rank = own(body, 'rank');
  if (typeof rank === 'number' && Number.isInteger(rank) && rank >= 0) out.rank = rank;
  const run = firstText(
    ownString(body, 'run_id'),
    ownString(ownRecord(body, 'run'), 'id'),
    ownString(ownRecord(ownRecord(body, 'evidence'), 'wandb'), 'id'),
  );
  if (run !== '') out.run_id = run;
  return out;
}

export interface UserOverride {
  framework: string;
  wrapper_framework?: string | null;
  base_framework?: string | null;
  confidence?: number;
  reason?: string;
}

/**
 * A manual override as a source (source `user`, highest priority). Names go through the same
 * aliases as reports (pytorch_lightning → lightning). Returns undefined when `framework` names nothing.
 */
export function userOverrideSource(body: UserOverride, reportedAt: number, key = 'user'): SourceResult | undefined {
  const top = resolveName(body.framework);
  if (top === undefined) return undefined;
  const layer = frameworkByName(top.name)?.layer ?? 'base';
  const wrapper = resolveName(body.wrapper_framework)?.name ?? (layer === 'wrapper' ? top.name : null);
  const base = resolveName(body.base_framework)?.name ?? (layer === 'base' ? top.name : null);
  const confidence =
    typeof body.confidence === 'number' && Number.isFinite(body.confidence)
      ? Math.min(1, Math.max(0, Math.round(body.confidence * 100) / 100))
      : 1;
  const reason = typeof body.reason === 'string' && body.reason !== '' ? clip(body.reason) : undefined;
  return {
    framework: top.name,
    wrapper_framework: wrapper,
    base_framework: base,
    confidence,
    method: 'user_override',
    indicators: [
      {
        signal: 'user_override',
        framework: top.name,
        layer,
        kind: 'declared',
        weight: 1,
        ...(reason === undefined ? {} : { detail: reason }),
      },
    ],
    conflicts: [],
    detector_version: DETECTOR_VERSION,
    source: 'user',
    source_key: key,
    reported_at: reportedAt,
  };
}

/** Who logged the metrics, in the same terms as a report, so the merge and the key treat both alike. */
export interface MetricsReporter {
  pod_name?: string;
  pod_uid?: string;
  namespace?: string;
  host?: string;
  /** -1 when the body had none. */
  rank: number;
  run_id: string;
}

/**
 * The fingerprint of a run's first metric names as a source (`metrics`). Its key is the report's
 * key for the same pod, rank and run, so a re-computation replaces it and the merge counts it
 * from the same origin as that pod's reports.
 */
export function metricsSource(names: readonly string[], who: MetricsReporter, receivedAt: number): SourceResult {
  const body = { ...who, rank: who.rank >= 0 ? who.rank : undefined };
  return {
    ...detectFromMetricNames(names),
    reporter: reporterOf(body),
    source: 'metrics',
    source_key: sourceKey(body),
    reported_at: receivedAt,
  };
}
