// Which agreeing sources count as independent confirmation. A source is one (pod, rank, run);
// only reports from different origins can confirm each other, because everything one origin
// reports comes from the same environment, image and files: a re-run of the job there, or
// another rank in the same pod, repeats the evidence instead of checking it.

import type { SourceResult } from './types.js';

/** The pod part of a `pod/rank/run` key: the pod name, else the pod uid, else the host (see sourceKey). */
export function originOf(s: SourceResult): string {
  const key = typeof s.source_key === 'string' ? s.source_key : '';
  const cut = key.indexOf('/');
  return cut === -1 ? key : key.slice(0, cut);
}

export interface AgreementRule {
  name: string;
  /** Whether two sources of the winning framework come from one origin. */
  sameOrigin: (a: SourceResult, b: SourceResult) => boolean;
  reason: string;
}

export const SAME_ORIGIN_RULES: readonly AgreementRule[] = [
  {
    name: 'one pod or host',
    sameOrigin: (a, b) => originOf(a) === originOf(b),
    reason:
      'ranks and re-runs in one pod, or on one host (the pod name defaults to HOSTNAME), read one ' +
      'environment and one image: a repeated report is not a second opinion',
  },
  {
    name: 'one machine',
    sameOrigin: (a, b) => a.reporter?.host !== undefined && a.reporter.host === b.reporter?.host,
    reason:
      'processes that name themselves differently (POD_NAME set by hand, host-network pods) but run on ' +
      'one machine share its files and image as much as ranks of one pod do',
  },
];

/** How many independent origins the sources come from (sources joined by any rule are one origin). */
export function independentOrigins(sources: readonly SourceResult[]): number {
  const origins: SourceResult[][] = [];
  for (const s of sources) {
    const joined = origins.filter((group) => group.some((o) => SAME_ORIGIN_RULES.some((r) => r.sameOrigin(o, s))));
    const merged = joined.flat();
    merged.push(s);
    for (const group of joined) origins.splice(origins.indexOf(group), 1);
    origins.push(merged);
  }
  return origins.length;
}
