// Training health on the workload page: each run's status with its progress and the
// framework's own performance figures (each named by the metric it came from), and the events,
// newest first. Refreshed on its own timer; hands the events to the charts for their markers.
import { ApiError, api } from '../api.js';
import { healthBadge } from '../badges.js';
import { h } from '../dom.js';
import { decodeNumber, formatAgo, formatCount, formatTime, formatValue } from '../format.js';
import type { HealthEvent, RunHealth, WorkloadHealth } from '../types.js';

const REFRESH_MS = 5_000;
const EVENTS_SHOWN = 50;
const RUNS_SHOWN = 16;

const PERF_LABEL: Record<string, [string, (v: number) => string]> = {
  iteration_time_s: ['step', (v) => `${formatValue(v)} s`],
  tokens_per_second: ['tokens/s', formatValue],
  samples_per_second: ['samples/s', formatValue],
  steps_per_second: ['steps/s', formatValue],
  throughput: ['throughput', formatValue],
  tflops: ['TFLOP/s', formatValue],
  mfu: ['MFU', (v) => `${(v * 100).toFixed(1)}%`],
  gpu_memory_gib: ['GPU mem', (v) => `${formatValue(v)} GiB`],
};

export class HealthPanel {
  readonly el = h(
    'section',
    { class: 'panel health-panel', id: 'health-panel' },
    h('h2', { text: 'Health' }),
    h('p', { class: 'muted', text: 'Loading…' }),
  );
  private timer: number | undefined;
  private controller: AbortController | null = null;

  constructor(
    private readonly uid: string,
    private readonly labelFor: (runId: string, rank: number) => string,
    private readonly onEvents: (events: HealthEvent[]) => void,
  ) {}

  start(): void {
    void this.load();
  }

  stop(): void {
    window.clearTimeout(this.timer);
    this.controller?.abort();
  }

  private async load(): Promise<void> {
    this.controller?.abort();
    this.controller = new AbortController();
    try {
      const health = await api.health(this.uid, this.controller.signal);
      this.render(health);
      this.onEvents(health.runs.flatMap((r) => r.events));
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      this.el.replaceChildren(
        h('h2', { text: 'Health' }),
        h('p', { class: 'muted', text: `Could not load health: ${err instanceof ApiError ? err.message : String(err)}` }),
      );
    }
    this.timer = window.setTimeout(() => void this.load(), REFRESH_MS);
  }

  private render(w: WorkloadHealth): void {
    const now = w.evaluated_at;
    const events = w.runs.flatMap((r) => r.events).sort((a, b) => b.at - a.at);
    const runs = [...w.runs].sort((a, b) => severity(a) - severity(b) || a.rank - b.rank).slice(0, RUNS_SHOWN);
    this.el.replaceChildren(
      h(
        'div',
        { class: 'health-head' },
        h('h2', { text: 'Health' }),
        healthBadge(w.status),
        w.runs.length > RUNS_SHOWN
          ? h('span', { class: 'muted small', text: `worst ${RUNS_SHOWN} of ${w.runs.length} runs` })
          : '',
      ),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'table compact', id: 'health-runs' },
          h(
            'thead',
            null,
            h('tr', null, ...['Run', 'Health', 'Progress', 'Speed', 'Performance (source)'].map((t) => h('th', { text: t }))),
          ),
          h('tbody', null, ...runs.map((r) => runRow(r, now, this.labelFor(r.run_id, r.rank)))),
        ),
      ),
      events.length === 0
        ? h('p', { class: 'muted small', id: 'health-events-empty', text: 'No events: nothing went wrong so far.' })
        : h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'table compact', id: 'health-events' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  ...['When', 'Run', 'Event', 'Metric', 'Step', 'Value', 'What happened'].map((t) =>
                    h('th', { text: t, class: t === 'Step' || t === 'Value' ? 'num' : '' }),
                  ),
                ),
              ),
              h('tbody', null, ...events.slice(0, EVENTS_SHOWN).map((e) => eventRow(e, now, this.labelFor(e.run_id, e.rank)))),
            ),
          ),
    );
  }
}

const ORDER = ['failed', 'diverged', 'stalled', 'lost', 'slow', 'healthy', 'unknown', 'finished'];
function severity(r: RunHealth): number {
  return ORDER.indexOf(r.status);
}

function runRow(r: RunHealth, now: number, label: string): HTMLElement {
  const p = r.progress;
  const total = p.total_steps === null ? '' : ` / ${formatCount(p.total_steps)}`;
  const eta = p.eta_seconds === null ? '' : ` · ETA ${duration(p.eta_seconds)}`;
  const perf = Object.entries(r.performance)
    .filter(([, v]) => v !== undefined)
    .map(([key, v]) => {
      const [name, fmt] = PERF_LABEL[key] ?? [key, formatValue];
      return h(
        'span',
        { class: 'chip', title: `from ${v.source} at step ${v.step}`, data: { perf: key } },
        `${name} ${fmt(v.value)}`,
      );
    });
  return h(
    'tr',
    { class: 'health-run', data: { runId: r.run_id, rank: r.rank, health: r.status } },
    h('td', { class: 'nowrap', text: label }),
    h(
      'td',
      { class: 'nowrap' },
      healthBadge(r.status),
      r.since === null
        ? ''
        : h('span', { class: 'muted small', title: formatTime(r.since), text: ` ${formatAgo(r.since, now)}` }),
    ),
    h(
      'td',
      { class: 'nowrap small' },
      `step ${formatCount(p.last_step)}${total}${eta}`,
      p.seconds_since_last_step === null ? '' : h('div', { class: 'muted', text: `last step ${formatAgo(p.last_step_at, now)}` }),
    ),
    h(
      'td',
      { class: 'nowrap small', title: p.step_time_source ? `step time from ${p.step_time_source}` : '' },
      p.steps_per_second === null ? '–' : `${formatValue(p.steps_per_second)} steps/s`,
    ),
    h('td', { class: 'small' }, ...(perf.length > 0 ? perf : [h('span', { class: 'muted', text: 'none logged' })])),
  );
}

function eventRow(e: HealthEvent, now: number, label: string): HTMLElement {
  return h(
    'tr',
    { class: `health-event ev-row-${e.kind}`, data: { kind: e.kind, step: e.step ?? '' } },
    h('td', { class: 'nowrap small', title: formatTime(e.at), text: formatAgo(e.at, now) }),
    h('td', { class: 'nowrap small', text: label }),
    h('td', null, h('span', { class: `ev-chip ev-${e.kind}`, text: e.kind.replace('_', '-') })),
    h('td', { class: 'mono small', text: e.metric ?? '–' }),
    h('td', { class: 'num', text: formatCount(e.step) }),
    h('td', { class: 'num mono', text: e.value === null ? '–' : formatValue(decodeNumber(e.value)) }),
    h('td', { class: 'small', text: e.detail }),
  );
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5_400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3_600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}
