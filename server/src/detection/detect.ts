// detectFromReport: one /wandb/detection body (v0.1, v0.2 or ours) → an explainable result;
// detectFromMetricNames: a run's first metric names → the same kind of result.

import { readEvidence } from './evidence.js';
import { clip } from './read.js';
import { wandbIndicators } from './rules-config.js';
import { discountIndicators } from './rules-discount.js';
import { envIndicators } from './rules-env.js';
import { metricIndicators } from './rules-metrics.js';
import { runtimeIndicators } from './rules-runtime.js';
import { decide } from './score.js';
import type { DetectionResult, Indicator } from './types.js';

/** Bump when a rule or weight changes, so stored results can be told apart and re-evaluated. */
export const DETECTOR_VERSION = 'lens-detect/1.2.0';

const MAX_DETAILS_PER_INDICATOR = 3;

/** One indicator per (framework, signal, kind): the strongest weight, a few example details. */
function collapse(indicators: Indicator[]): Indicator[] {
  const merged = new Map<string, { ind: Indicator; details: string[] }>();
  for (const ind of indicators) {
    const key = `${ind.framework}\u0000${ind.signal}\u0000${ind.kind}`;
    const entry = merged.get(key);
    if (entry === undefined) {
      merged.set(key, { ind: { ...ind }, details: ind.detail === undefined ? [] : [ind.detail] });
      continue;
    }
    entry.ind.weight = Math.max(entry.ind.weight, ind.weight);
    if (ind.detail !== undefined && !entry.details.includes(ind.detail)) entry.details.push(ind.detail);
  }
  return [...merged.values()]
    .map(({ ind, details }) => {
      const { detail: _dropped, ...rest } = ind;
      // Sorted, so the same evidence listed in another order explains itself the same way.
      const shown = [...details].sort().slice(0, MAX_DETAILS_PER_INDICATOR);
      return shown.length > 0 ? { ...rest, detail: clip(shown.join(', ')) } : rest;
    })
    .sort((a, b) => b.weight - a.weight || a.framework.localeCompare(b.framework) || a.signal.localeCompare(b.signal));
}

export function detectFromReport(report: unknown): DetectionResult {
  const evidence = readEvidence(report);
  const raw = [...envIndicators(evidence), ...wandbIndicators(evidence), ...runtimeIndicators(evidence)];
  return resultOf(collapse(discountIndicators(raw, evidence)));
}

/** A run's metric names → a result shaped like a report's, with the same layer rules. */
export function detectFromMetricNames(names: readonly string[]): DetectionResult {
  return resultOf(metricIndicators(names));
}

function resultOf(indicators: Indicator[]): DetectionResult {
  const decision = decide(indicators);
  return {
    framework: decision.top?.framework ?? 'unknown',
    wrapper_framework: decision.wrapper?.framework ?? null,
    base_framework: decision.base?.framework ?? null,
    confidence: decision.confidence,
    method: decision.top?.method ?? 'none',
    indicators,
    conflicts: decision.conflicts,
    detector_version: DETECTOR_VERSION,
  };
}
