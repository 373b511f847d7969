// Rules over the other rules' output: evidence that the same report contradicts is kept, with
// the reason, as a `discounted` indicator, so it can no longer outvote what the process runs.
//
// 1. Stale image env. A framework named only by the image's environment (a path or config
//    variable baked into the image) that the report shows is not loaded, while another
//    framework is loaded, initialised or wrote its own keys into wandb.config: images carry
//    the variables of every framework they were ever built for, but a framework that drives a
//    job has to be imported to do it.
// 2. Plumbing. A module a running wrapper imports for its own plumbing (Lightning imports
//    torch.distributed.fsdp whether or not FSDP is used) says nothing about the base.

import { CATALOGUE, type Framework, frameworkByName } from './catalogue.js';
import type { Evidence } from './evidence.js';
import { frameworksOfModule, resolveKnown, underModule } from './names.js';
import { clip } from './read.js';
import type { Indicator } from './types.js';
import { KIND_WEIGHT, STRONG } from './weights.js';

/** Signals that read the image's environment. Not `accelerate_env`: `accelerate launch` writes those per launch. */
export const IMAGE_ENV_SIGNALS: ReadonlySet<string> = new Set(['env_vars', 'env_framework', 'env_backend']);

/** Frameworks the v0.2 exporter probed by importing them: absent from its lists means not installed at all. */
const V02_PROBED: ReadonlySet<string> = new Set(['primus', 'lightning', 'transformers', 'megatron', 'deepspeed', 'jax']);

/** Evidence that a framework is running, not merely present: the process shows it, or it wrote its own config keys. */
export function showsRunning(ind: Indicator): boolean {
  if (ind.kind === 'initialized') return true;
  if (ind.kind === 'imported') return ind.weight >= STRONG;
  return ind.signal === 'modules_configured';
}

/** A running framework that imports `f` itself (NeMo → Lightning) may simply not have got to it yet. */
function importsItself(running: Framework, f: Framework): boolean {
  return running.buildsOn.includes(f.name);
}

/** Whether the report says the framework is not loaded (and could say so if it were). */
function knownNotLoaded(f: Framework, ev: Evidence): boolean {
  // Ours lists every catalogued module it finds in sys.modules.
  if (ev.ours) return f.modules.length > 0;
  const flagged = (names: string[]): boolean =>
    names.some((m) => frameworksOfModule(m, 0).some((match) => match.framework === f));
  if (flagged(ev.detectedModules)) return false;
  if (flagged(ev.absentModules)) return true;
  if (!ev.legacyProbed || !V02_PROBED.has(f.name)) return false;
  return ![...ev.legacyWrappers, ...ev.legacyBases].some((e) => resolveKnown(e.name) === f);
}

function discount(ind: Indicator, reason: string): Indicator {
  const detail = ind.detail === undefined ? reason : `${ind.detail}: ${reason}`;
  return { ...ind, kind: 'discounted', weight: KIND_WEIGHT.discounted, detail: clip(detail) };
}

/** Frameworks (not the pytorch fallback) the indicators show running, in catalogue order. */
function runningFrameworks(indicators: Indicator[]): Framework[] {
  const names = new Set(indicators.filter(showsRunning).map((i) => i.framework));
  return CATALOGUE.filter((f) => names.has(f.name) && f.fallback !== true);
}

function staleEnv(indicators: Indicator[], ev: Evidence, running: Framework[]): Indicator[] {
  const byFramework = new Map<string, Indicator[]>();
  for (const ind of indicators) byFramework.set(ind.framework, [...(byFramework.get(ind.framework) ?? []), ind]);
  const stale = new Map<string, string>();
  for (const [name, list] of byFramework) {
    const f = frameworkByName(name);
    if (f === undefined || f.fallback === true) continue;
    const strong = list.filter((i) => i.kind === 'declared' || i.kind === 'initialized' || i.kind === 'imported');
    const onlyImageEnv = strong.length > 0 && strong.every((i) => i.kind === 'declared' && IMAGE_ENV_SIGNALS.has(i.signal));
    if (!onlyImageEnv || !knownNotLoaded(f, ev)) continue;
    const runner = running.find((g) => g !== f && !importsItself(g, f));
    if (runner !== undefined) stale.set(name, `stale, ${name} is not loaded while ${runner.name} runs`);
  }
  return indicators.map((ind) => {
    const reason = stale.get(ind.framework);
    return reason !== undefined && ind.kind === 'declared' && IMAGE_ENV_SIGNALS.has(ind.signal) ? discount(ind, reason) : ind;
  });
}

const MODULE_SIGNALS: ReadonlySet<string> = new Set(['modules_imported', 'pytorch_modules']);

function plumbing(indicators: Indicator[], running: Framework[]): Indicator[] {
  const wrappers = running.filter((f) => f.layer === 'wrapper' && f.plumbing.length > 0);
  return indicators.map((ind) => {
    if (ind.kind !== 'imported' || !MODULE_SIGNALS.has(ind.signal) || ind.detail === undefined) return ind;
    const module = ind.detail;
    // Only the evidence the module is for (fsdp), not plain torch, which every job loads anyway.
    if (frameworkByName(ind.framework)?.fallback === true) return ind;
    for (const w of wrappers) {
      if (w.name === ind.framework) continue;
      const hit = w.plumbing.find((p) => (p.exact === true ? module === p.module : underModule(module, p.module)));
      if (hit !== undefined) return discount(ind, `${w.name} loads it itself (${hit.reason})`);
    }
    return ind;
  });
}

/** Applied to the raw (uncollapsed) indicators of one report. */
export function discountIndicators(indicators: Indicator[], ev: Evidence): Indicator[] {
  const running = runningFrameworks(indicators);
  if (running.length === 0) return indicators;
  return plumbing(staleEnv(indicators, ev, running), running);
}
