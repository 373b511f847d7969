// Who reported a detection source, in words: "pod vm · no rank · run 1df54ebl" instead of the
// key "vm/-1/1df54ebl", and the POD_UID, namespace and host the job set, which the key leaves out.
import { h } from '../dom.js';
import type { DetectionSource, SourceReporter } from '../types.js';

/** The key's parts when the server sent no reporter (a source stored before reporters were kept). */
function fromKey(key: string): SourceReporter {
  const [pod, rank, run] = key.split('/');
  const out: SourceReporter = {};
  if (pod && pod !== 'unknown-pod') out.pod_name = pod;
  if (rank !== undefined && /^\d+$/.test(rank)) out.rank = Number(rank);
  if (run) out.run_id = run;
  return out;
}

function value(text: string): HTMLElement {
  return h('span', { class: 'mono', text });
}

export function reporterLines(s: DetectionSource): HTMLElement[] {
  const key = typeof s.source_key === 'string' ? s.source_key : '';
  if (s.source === 'user') return [h('span', { class: 'source-where', text: 'set by hand', title: key })];
  const r: SourceReporter = s.reporter && typeof s.reporter === 'object' ? s.reporter : fromKey(key);
  const pod = r.pod_name ?? r.host;
  const where = h(
    'span',
    { class: 'source-where', title: key ? `source key ${key}` : '' },
    ...(pod ? ['pod ', value(pod)] : ['unknown pod']),
    ' · ',
    ...(typeof r.rank === 'number' ? ['rank ', value(String(r.rank))] : ['no rank']),
    ...(r.run_id ? [' · run ', value(r.run_id)] : []),
  );
  const ids: Array<string | HTMLElement> = [];
  const add = (label: string, text: string | undefined): void => {
    if (!text) return;
    if (ids.length) ids.push(' · ');
    ids.push(`${label} `, value(text));
  };
  add('POD_UID', r.pod_uid);
  add('namespace', r.namespace);
  if (r.host && r.host !== pod) add('host', r.host);
  return ids.length ? [where, h('div', { class: 'source-ids muted small' }, ...ids)] : [where];
}
