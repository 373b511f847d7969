// mergeWorkload: many reports about one workload (pods × ranks × runs × re-reports, plus a
// user override) → one answer with a status.
//
// Status thresholds, and why:
//   verified  ≥ 0.85 with agreeing sources from at least two origins (pods or hosts, see
//             agreement.ts), or a user override. One report can be wrong in ways it cannot see (a
//             stale env var baked into an image), and so can its re-runs on the same pod; two
//             independent origins agreeing at high confidence, or a person saying so, is as good as it gets.
//   confirmed ≥ 0.60: a framework-specific declaration (0.80) or a loaded module (0.70) backs it,
//             so the quickstart's case (PRIMUS_CONFIG alone, 0.80) is confirmed, as in the original.
//   suspected ≥ 0.30: only weak evidence (installed package, project name) points at it.
//   conflict  strongly evidenced (≥ 0.50) sources, or one source's own rules, disagree on the top choice.
//   unknown   nothing above: no signal, or only hints.

import { independentOrigins } from './agreement.js';
import { frameworkByName, priorityOf } from './catalogue.js';
import { round2 } from './score.js';
import type { Conflict, DetectionStatus, SourceResult, WorkloadDetection } from './types.js';
import { CONFLICT_FLOOR, CONFLICT_PENALTY, MAX_DETECTED_CONFIDENCE, STRONG } from './weights.js';

export const STATUS_THRESHOLDS = { verified: 0.85, confirmed: 0.6, suspected: 0.3 } as const;
/** Each further agreeing origin adds this, at most AGREEMENT_MAX_BONUS in all: pods of one job share an image. */
const AGREEMENT_BONUS = 0.05;
const AGREEMENT_MAX_BONUS = 0.1;

function safeConfidence(c: unknown): number {
  return typeof c === 'number' && Number.isFinite(c) ? Math.min(1, Math.max(0, c)) : 0;
}

function timeOf(s: SourceResult): number {
  return typeof s.reported_at === 'number' && Number.isFinite(s.reported_at) ? s.reported_at : 0;
}

/** Newer first; the user before the telemetry. */
function bySourceOrder(a: SourceResult, b: SourceResult): number {
  const user = (s: SourceResult): number => (s.source === 'user' ? 0 : 1);
  return user(a) - user(b) || timeOf(b) - timeOf(a) || String(a.source_key).localeCompare(String(b.source_key));
}

/** Stored sources come back from JSON; a damaged one must not break the merge of the others. */
function conflictsOf(s: SourceResult): Conflict[] {
  return Array.isArray(s.conflicts) ? s.conflicts.filter((c) => Array.isArray(c?.candidates)) : [];
}

/** The caller replaces re-reports already; if a key still appears twice, the newest wins. */
function latestPerKey(sources: SourceResult[]): SourceResult[] {
  const latest = new Map<string, SourceResult>();
  for (const s of sources) {
    const key = `${s.source}\u0000${s.source_key}`;
    const seen = latest.get(key);
    if (seen === undefined || timeOf(s) >= timeOf(seen)) latest.set(key, s);
  }
  return [...latest.values()].sort(bySourceOrder);
}

function layerOf(s: SourceResult): 'wrapper' | 'base' {
  if (s.wrapper_framework === s.framework) return 'wrapper';
  if (s.base_framework === s.framework) return 'base';
  return frameworkByName(s.framework)?.layer ?? 'base';
}

function statusFor(confidence: number, agreeing: number): DetectionStatus {
  if (confidence >= STATUS_THRESHOLDS.verified && agreeing >= 2) return 'verified';
  if (confidence >= STATUS_THRESHOLDS.confirmed) return 'confirmed';
  if (confidence >= STATUS_THRESHOLDS.suspected) return 'suspected';
  return 'unknown';
}

function uniqueConflicts(list: Conflict[]): Conflict[] {
  const seen = new Set<string>();
  return list.filter((c) => {
    const key = JSON.stringify(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function fromUser(user: SourceResult, sources: SourceResult[]): WorkloadDetection {
  const dissent = sources.filter(
    (s) =>
      s.source !== 'user' &&
      s.framework !== 'unknown' &&
      s.framework !== user.framework &&
      safeConfidence(s.confidence) >= STRONG,
  );
  const conflicts: Conflict[] =
    dissent.length === 0
      ? []
      : [
          {
            layer: layerOf(user),
            candidates: [user, ...dissent]
              .map((s) => ({ framework: s.framework, score: round2(safeConfidence(s.confidence)) }))
              .filter((c, i, all) => all.findIndex((o) => o.framework === c.framework) === i),
            resolution: `${user.framework} chosen: user override`,
          },
        ];
  return {
    framework: user.framework,
    wrapper_framework: user.wrapper_framework,
    base_framework: user.base_framework,
    confidence: round2(safeConfidence(user.confidence)),
    status: 'verified',
    method: 'user_override',
    sources,
    conflicts,
  };
}

interface Group {
  framework: string;
  members: SourceResult[];
  best: SourceResult;
}

/** Two stacks are compatible when one's top framework is a layer of the other (primus/megatron vs megatron). */
function compatible(a: SourceResult, b: SourceResult): boolean {
  return (
    a.framework === b.wrapper_framework ||
    a.framework === b.base_framework ||
    b.framework === a.wrapper_framework ||
    b.framework === a.base_framework
  );
}

export function mergeWorkload(input: SourceResult[]): WorkloadDetection {
  const sources = latestPerKey(
    Array.isArray(input) ? input.filter((s) => typeof s === 'object' && s !== null && typeof s.framework === 'string') : [],
  );
  const user = sources.find((s) => s.source === 'user');
  if (user !== undefined) return fromUser(user, sources);

  const groups = new Map<string, Group>();
  for (const s of sources) {
    if (s.framework === 'unknown') continue;
    const g = groups.get(s.framework);
    if (g === undefined) groups.set(s.framework, { framework: s.framework, members: [s], best: s });
    else {
      g.members.push(s);
      if (safeConfidence(s.confidence) > safeConfidence(g.best.confidence)) g.best = s;
    }
  }
  const ranked = [...groups.values()].sort(
    (a, b) =>
      safeConfidence(b.best.confidence) - safeConfidence(a.best.confidence) ||
      b.members.length - a.members.length ||
      priorityOf(a.framework) - priorityOf(b.framework),
  );
  const winner = ranked[0];
  if (winner === undefined) {
    return {
      framework: 'unknown',
      wrapper_framework: null,
      base_framework: null,
      confidence: 0,
      status: 'unknown',
      method: 'none',
      sources,
      conflicts: [],
    };
  }

  const bestConfidence = safeConfidence(winner.best.confidence);
  // Only sources that are at least "suspected" on their own count as agreement, once per origin.
  const agreeing = independentOrigins(winner.members.filter((s) => safeConfidence(s.confidence) >= STATUS_THRESHOLDS.suspected));
  let confidence = Math.min(
    MAX_DETECTED_CONFIDENCE,
    bestConfidence + Math.min(AGREEMENT_MAX_BONUS, AGREEMENT_BONUS * Math.max(0, agreeing - 1)),
  );

  const rivals =
    bestConfidence < STRONG
      ? []
      : ranked.slice(1).filter((g) => safeConfidence(g.best.confidence) >= STRONG && !compatible(g.best, winner.best));
  const conflicts: Conflict[] = [];
  if (rivals.length > 0) {
    conflicts.push({
      layer: layerOf(winner.best),
      candidates: [winner, ...rivals].map((g) => ({ framework: g.framework, score: round2(safeConfidence(g.best.confidence)) })),
      resolution: `${winner.framework} chosen: highest confidence across ${sources.length} sources`,
    });
    confidence = Math.max(CONFLICT_FLOOR, confidence - CONFLICT_PENALTY);
  }
  // A source's own conflict counts when it is about the framework we chose (its penalty is already in its confidence).
  const own = conflictsOf(winner.best).filter((c) => c.candidates.some((k) => k.framework === winner.framework));
  conflicts.push(...own);
  const all = uniqueConflicts([...conflicts, ...conflictsOf(winner.best)]);
  const status: DetectionStatus = conflicts.length > 0 ? 'conflict' : statusFor(confidence, agreeing);
  return {
    framework: winner.framework,
    wrapper_framework: winner.best.wrapper_framework,
    base_framework: winner.best.base_framework,
    confidence: round2(confidence),
    status,
    method: winner.best.method,
    sources,
    conflicts: all,
  };
}
