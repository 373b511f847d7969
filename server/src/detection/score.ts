// Indicators → one scored candidate per framework → a winner per layer → the result.
//
// Scoring: indicators fall into evidence groups. Declarations (env, config) are one group: a user
// who sets PRIMUS_CONFIG usually also writes config.framework=primus, so they are not independent
// and the group counts its strongest member only. What the process loaded or initialised is a second,
// independent group. Independent groups combine by noisy-OR (1 − Π(1 − wᵢ)), so agreement raises
// confidence. Installed packages, metric names, project words, hints and discounted evidence are
// weak: they only speak when no strong group does.
//
// Under a wrapper, a base is named only when it is in use (initialised, configured, declared, or
// loaded by the wrapper's dispatch to it), not merely loaded: wrappers load bases for their own
// plumbing. Plain pytorch is exempt: every wrapper here runs on it.

import { frameworkByName, priorityOf } from './catalogue.js';
import type { Conflict, Indicator, IndicatorKind } from './types.js';
import { CONFLICT_FLOOR, CONFLICT_PENALTY, MAX_DETECTED_CONFIDENCE, STRONG } from './weights.js';

type Group = 'declaration' | 'runtime' | 'installed' | 'metrics' | 'name' | 'hint' | 'discounted';

const GROUP_OF: Readonly<Record<IndicatorKind, Group>> = {
  declared: 'declaration',
  initialized: 'runtime',
  imported: 'runtime',
  installed: 'installed',
  metrics: 'metrics',
  name: 'name',
  hint: 'hint',
  discounted: 'discounted',
};
/** Signals of loaded modules that are loaded only when their framework is in use. */
const IN_USE_SIGNALS: ReadonlySet<string> = new Set(['backend_modules']);
const STRONG_GROUPS: ReadonlySet<Group> = new Set(['declaration', 'runtime']);

export interface Candidate {
  framework: string;
  layer: 'wrapper' | 'base';
  score: number;
  /** Evidence from a declaration or from the running process, not only installed/name/hint. */
  strong: boolean;
  /** Initialised, configured or declared, not only loaded: what a base under a wrapper needs. */
  inUse: boolean;
  method: string;
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function scoreOne(framework: string, layer: 'wrapper' | 'base', indicators: Indicator[]): Candidate {
  const best = new Map<Group, Indicator>();
  for (const ind of indicators) {
    const group = GROUP_OF[ind.kind];
    const current = best.get(group);
    if (current === undefined || ind.weight > current.weight) best.set(group, ind);
  }
  const strongOnes = [...best].filter(([g]) => STRONG_GROUPS.has(g)).map(([, ind]) => ind);
  let used: Indicator[];
  let score: number;
  if (strongOnes.length > 0) {
    used = strongOnes;
    score = 1 - strongOnes.reduce((miss, ind) => miss * (1 - ind.weight), 1);
  } else {
    const weakest = [...best.values()].sort((a, b) => b.weight - a.weight)[0];
    used = weakest === undefined ? [] : [weakest];
    score = weakest?.weight ?? 0;
  }
  const method = [...new Set(used.sort((a, b) => b.weight - a.weight).map((i) => i.signal))].join('+');
  const inUse = indicators.some((i) => i.kind === 'initialized' || i.kind === 'declared' || IN_USE_SIGNALS.has(i.signal));
  return { framework, layer, score: Math.min(score, MAX_DETECTED_CONFIDENCE), strong: strongOnes.length > 0, inUse, method };
}

export function candidatesOf(indicators: Indicator[]): Candidate[] {
  const byFramework = new Map<string, { layer: 'wrapper' | 'base'; list: Indicator[] }>();
  for (const ind of indicators) {
    if (ind.layer === 'runtime' || ind.weight <= 0) continue;
    const entry = byFramework.get(ind.framework) ?? { layer: ind.layer, list: [] };
    entry.list.push(ind);
    byFramework.set(ind.framework, entry);
  }
  return [...byFramework].map(([name, { layer, list }]) => scoreOne(name, layer, list));
}

function byRank(a: Candidate, b: Candidate): number {
  return b.score - a.score || priorityOf(a.framework) - priorityOf(b.framework) || a.framework.localeCompare(b.framework);
}

export interface LayerOutcome {
  winner: Candidate | undefined;
  conflict: Conflict | undefined;
}

/** Picks a layer's winner; two strongly evidenced rivals that do not stack on each other are a conflict. */
export function resolveLayer(layer: 'wrapper' | 'base', all: Candidate[]): LayerOutcome {
  let pool = all.filter((c) => c.layer === layer);
  // Plain pytorch is underneath nearly everything: it only wins when nothing else is there.
  if (pool.some((c) => frameworkByName(c.framework)?.fallback !== true)) {
    pool = pool.filter((c) => frameworkByName(c.framework)?.fallback !== true);
  }
  // A strongly evidenced framework explains the ones it imports itself (NeMo → Lightning).
  const outer = pool.filter((c) => c.score >= STRONG);
  pool = pool.filter((c) => !outer.some((o) => o !== c && (frameworkByName(o.framework)?.buildsOn ?? []).includes(c.framework)));
  const ranked = [...pool].sort(byRank);
  const winner = ranked[0];
  if (winner === undefined || winner.score < STRONG) return { winner, conflict: undefined };
  const rivals = ranked.slice(1).filter((c) => c.score >= STRONG);
  if (rivals.length === 0) return { winner, conflict: undefined };
  const tie = round2(rivals[0]?.score ?? 0) === round2(winner.score);
  return {
    winner,
    conflict: {
      layer,
      candidates: [winner, ...rivals].map((c) => ({ framework: c.framework, score: round2(c.score) })),
      resolution: tie ? `${winner.framework} chosen on a tie by catalogue priority` : `${winner.framework} chosen: highest score`,
    },
  };
}

export interface Decision {
  wrapper: Candidate | undefined;
  base: Candidate | undefined;
  top: Candidate | undefined;
  confidence: number;
  conflicts: Conflict[];
}

export function decide(indicators: Indicator[]): Decision {
  const candidates = candidatesOf(indicators);
  const w = resolveLayer('wrapper', candidates);
  let b = resolveLayer('base', candidates);
  // A weak wrapper (say, transformers merely installed) must not outrank a real base.
  const wrapper =
    w.winner !== undefined && (w.winner.score >= STRONG || b.winner === undefined || w.winner.score > b.winner.score)
      ? w.winner
      : undefined;
  if (wrapper !== undefined) {
    // Under a wrapper only bases in use compete (plain pytorch always is), and they need more
    // than installed/name/hint evidence to be named.
    b = resolveLayer(
      'base',
      candidates.filter((c) => c.layer !== 'base' || (c.strong && (c.inUse || frameworkByName(c.framework)?.fallback === true))),
    );
  }
  const base = b.winner !== undefined && (wrapper === undefined || b.winner.strong) ? b.winner : undefined;
  const top = wrapper ?? base;
  const conflicts = [w.conflict, b.conflict].filter((c): c is Conflict => c !== undefined);
  let confidence = top?.score ?? 0;
  if (top !== undefined && conflicts.some((c) => c.layer === top.layer)) {
    confidence = Math.max(CONFLICT_FLOOR, confidence - CONFLICT_PENALTY);
  }
  return { wrapper, base, top, confidence: round2(confidence), conflicts };
}
