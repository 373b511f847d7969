// Building indicators: one place decides the layer of a name and how details are clipped.

import type { Framework } from './catalogue.js';
import type { ResolvedName } from './names.js';
import { clip } from './read.js';
import type { Indicator, IndicatorKind, Layer } from './types.js';
import { DECLARED } from './weights.js';

export function indicator(signal: string, framework: Framework, kind: IndicatorKind, weight: number, detail?: string): Indicator {
  return detail === undefined
    ? { signal, framework: framework.name, layer: framework.layer, kind, weight }
    : { signal, framework: framework.name, layer: framework.layer, kind, weight, detail: clip(detail) };
}

/** A declared name: catalogue names get their own layer; others are taken as a base, a little weaker. */
export function declared(signal: string, name: ResolvedName, weight: number, detail: string): Indicator {
  if (name.framework !== undefined) return indicator(signal, name.framework, 'declared', weight, detail);
  const layer: Layer = 'base';
  return {
    signal,
    framework: name.name,
    layer,
    kind: 'declared',
    weight: weight - DECLARED.uncataloguedPenalty,
    detail: clip(detail),
  };
}

/** Context only (which launcher started the job): listed for the reader, never scored. */
export function runtimeFact(signal: string, name: string, detail: string): Indicator {
  return { signal, framework: name, layer: 'runtime', kind: 'declared', weight: 0, detail: clip(detail) };
}
