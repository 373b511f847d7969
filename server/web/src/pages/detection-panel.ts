// "Why do we think this is Megatron?": the merged detection, each source with its indicators,
// the conflicts, and a manual override (POST framework-detection, source "user", highest priority).
// Sources are the exporter's reports (`wandb`), the server's reading of each run's first metric
// names (`metrics`), and the override (`user`).
import { api } from '../api.js';
import { frameworkBadge } from '../badges.js';
import { h } from '../dom.js';
import { formatConfidence, formatTime } from '../format.js';
import type { Detection, DetectionSource } from '../types.js';
import { reporterLines } from './source-reporter.js';

const KNOWN = [
  'primus',
  'megatron',
  'deepspeed',
  'torchtitan',
  'fsdp',
  'lightning',
  'transformers',
  'accelerate',
  'jax',
  'maxtext',
  'nemo',
  'colossalai',
  'pytorch',
];

export interface DetectionPanel {
  el: HTMLElement;
  update(detection: Detection | null): void;
}

export function detectionPanel(uid: string, onOverride: (detection: Detection) => void): DetectionPanel {
  const body = h('div', { class: 'detection-body' });
  const el = h(
    'section',
    { class: 'panel', id: 'detection-panel' },
    h('h2', { text: 'Framework detection' }),
    body,
    overrideForm(uid, (d) => {
      update(d);
      onOverride(d);
    }),
  );

  // The workload summary carries the merged detection without who reported each source; the
  // detection route adds it, so it is fetched once per change of the detection, not per poll.
  let fetched: { version: string; detection: Detection | null } | null = null;
  function update(detection: Detection | null): void {
    const version = detection ? `${detection.updated_at ?? ''}|${(detection.sources ?? []).length}` : '';
    if (fetched?.version === version && fetched.detection) {
      render(fetched.detection);
      return;
    }
    render(detection);
    if (!detection || fetched?.version === version) return;
    const mine = { version, detection: null as Detection | null };
    fetched = mine;
    api.detection(uid).then(
      (full) => {
        mine.detection = full;
        if (fetched === mine) render(full);
      },
      () => undefined,
    ); // the summary's copy stays on screen
  }

  function render(detection: Detection | null): void {
    if (!detection) {
      body.replaceChildren(
        h('p', {
          class: 'muted',
          text:
            'No detection yet. The exporter sends a report at wandb.init, ' +
            'and the server reads the first metric names of every run.',
        }),
      );
      return;
    }
    const sources = detection.sources ?? [];
    const conflicts = detection.conflicts ?? [];
    const namesOnly = sources.length > 0 && sources.every((s) => s.source === 'metrics');
    body.replaceChildren(
      namesOnly
        ? h('p', {
            class: 'muted',
            id: 'detection-names-only',
            role: 'note',
            text:
              "No detection report arrived: the framework is read from the run's metric names only, " +
              'which cannot tell the base under a wrapper.',
          })
        : '',
      h(
        'div',
        { class: 'kv' },
        h('span', { class: 'kv-item' }, frameworkBadge(detection)),
        kv('method', detection.method ?? '–'),
        kv('updated', formatTime(detection.updated_at ?? null)),
      ),
      conflicts.length
        ? h(
            'div',
            { class: 'conflicts', role: 'note' },
            h('strong', { text: `${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ` }),
            ...conflicts.map((c) => h('div', { class: 'conflict', text: describeConflict(c) })),
          )
        : '',
      sources.length ? sourcesList(sources) : h('p', { class: 'muted', text: 'No sources recorded.' }),
    );
  }

  return { el, update };
}

/** One block per source: who reported, what it concluded, then the indicators that matched. */
function sourcesList(sources: DetectionSource[]): HTMLElement {
  return h(
    'div',
    { class: 'sources', id: 'detection-sources' },
    h('div', { class: 'muted small', text: `${sources.length} source${sources.length === 1 ? '' : 's'}` }),
    ...sources.map((s) =>
      h(
        'div',
        { class: 'source', data: { source: String(s.source ?? '') } },
        h(
          'div',
          { class: 'source-head' },
          h('span', { class: 'chip mono', text: String(s.source ?? 'source') }),
          ...reporterLines(s).slice(0, 1),
          h('strong', {
            text: [s.wrapper_framework, s.base_framework].filter(Boolean).join(' / ') || String(s.framework ?? 'unknown'),
          }),
          h('span', {
            class: 'mono small',
            title: 'confidence',
            text: formatConfidence(typeof s.confidence === 'number' ? s.confidence : null),
          }),
          h('span', { class: 'muted small', text: String(s.method ?? '') }),
          h('span', { class: 'muted small source-time', text: formatTime(sourceTime(s)) }),
        ),
        ...reporterLines(s).slice(1),
        s.source === 'metrics' ? metricNames(s) : h('div', { class: 'indicators' }, ...indicatorChips(s.indicators)),
      ),
    ),
  );
}

/** A `metrics` source: the names of the run that are the framework's own, as chips. */
function metricNames(s: DetectionSource): HTMLElement {
  const list = Array.isArray(s.indicators) ? (s.indicators as Indicator[]) : [];
  return h(
    'div',
    { class: 'metric-names' },
    h('span', { class: 'muted small', text: "the run's first metric names, as these frameworks log them by default: " }),
    ...list.map((ind) =>
      h(
        'div',
        { class: 'metric-name-row', data: { framework: String(ind.framework ?? '') } },
        h('span', {
          class: 'chip mono ind-metrics',
          text: String(ind.framework ?? '?'),
          title: `${ind.layer ?? '?'} · weight ${ind.weight ?? '?'}: names are weaker evidence than what a report shows running`,
        }),
        ...String(ind.detail ?? '')
          .split(', ')
          .filter(Boolean)
          .map((name) => h('span', { class: 'chip mono metric-name', text: name })),
      ),
    ),
  );
}

function sourceTime(s: DetectionSource): number | null {
  return s.reported_at ?? null;
}

function indicatorChips(indicators: unknown): HTMLElement[] {
  const list = Array.isArray(indicators)
    ? indicators
    : indicators && typeof indicators === 'object'
      ? Object.entries(indicators).map(([k, v]) => `${k}=${describe(v)}`)
      : indicators
        ? [indicators]
        : [];
  return list.map((item) => {
    if (item && typeof item === 'object' && typeof (item as Indicator).signal === 'string') {
      const ind = item as Indicator;
      // "imported" beats "declared" beats "installed": colour says how strong the evidence is.
      return h('span', {
        class: `chip mono ind-${String(ind.kind ?? 'other')}`,
        title: `${ind.framework ?? '?'} (${ind.layer ?? '?'}) · ${ind.kind ?? ''} · weight ${ind.weight ?? '?'}`,
        text: `${ind.signal}: ${ind.detail ?? ind.framework ?? ''}`,
      });
    }
    return h('span', { class: 'chip mono', text: describe(item) });
  });
}

interface Indicator {
  signal: string;
  framework?: string;
  layer?: string;
  kind?: string;
  weight?: number;
  detail?: string;
}

/** "wrapper: primus 0.94 vs deepspeed 0.94 (primus chosen: …)"; unknown shapes fall back to JSON. */
function describeConflict(conflict: unknown): string {
  if (conflict && typeof conflict === 'object') {
    const c = conflict as { layer?: string; candidates?: Array<{ framework?: string; score?: number }>; resolution?: string };
    if (Array.isArray(c.candidates)) {
      const vs = c.candidates
        .map((k) => `${k.framework ?? '?'}${typeof k.score === 'number' ? ` ${k.score.toFixed(2)}` : ''}`)
        .join(' vs ');
      return `${c.layer ? `${c.layer}: ` : ''}${vs}${c.resolution ? ` (${c.resolution})` : ''}`;
    }
  }
  return describe(conflict);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.message === 'string') return record.message;
    if (typeof record.description === 'string') return record.description;
  }
  return JSON.stringify(value);
}

function kv(key: string, value: string): HTMLElement {
  return h('span', { class: 'kv-item' }, h('span', { class: 'muted', text: `${key} ` }), value);
}

function overrideForm(uid: string, onSaved: (detection: Detection) => void): HTMLElement {
  const framework = h('input', {
    class: 'input',
    name: 'framework',
    list: 'known-frameworks',
    required: true,
    placeholder: 'framework (e.g. megatron)',
    'aria-label': 'Framework',
  });
  const wrapper = h('input', {
    class: 'input',
    name: 'wrapper',
    list: 'known-frameworks',
    placeholder: 'wrapper (optional)',
    'aria-label': 'Wrapper framework',
  });
  const base = h('input', {
    class: 'input',
    name: 'base',
    list: 'known-frameworks',
    placeholder: 'base (optional)',
    'aria-label': 'Base framework',
  });
  const note = h('input', { class: 'input', name: 'note', placeholder: 'why (optional)', 'aria-label': 'Note' });
  const message = h('span', { class: 'form-message', role: 'status' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Set framework');
  const form = h(
    'form',
    { class: 'override-form', id: 'override-form' },
    h('datalist', { id: 'known-frameworks' }, ...KNOWN.map((f) => h('option', { value: f }))),
    framework,
    wrapper,
    base,
    note,
    submit,
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = {
      framework: framework.value.trim(),
      ...(wrapper.value.trim() ? { wrapper_framework: wrapper.value.trim() } : {}),
      ...(base.value.trim() ? { base_framework: base.value.trim() } : {}),
      ...(note.value.trim() ? { note: note.value.trim() } : {}),
    };
    if (!body.framework) return;
    submit.disabled = true;
    message.className = 'form-message';
    message.textContent = 'Saving…';
    api
      .overrideDetection(uid, body)
      .then(
        (detection) => {
          message.textContent = 'Saved as a manual override.';
          onSaved(detection);
        },
        (err: unknown) => {
          message.className = 'form-message error';
          message.textContent = `Override failed: ${err instanceof Error ? err.message : String(err)}`;
        },
      )
      .finally(() => {
        submit.disabled = false;
      });
  });
  return h('details', { class: 'override' }, h('summary', { text: 'Set the framework manually' }), form);
}
