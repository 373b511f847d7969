// Runs of a workload: who ran where, its state, progress, and the last value of key metrics.

import { seriesKey } from '../charts/series-source.js';
import { h } from '../dom.js';
import { formatAgo, formatCount, formatTime, formatValue } from '../format.js';
import type { MetricSummary, RunRow } from '../types.js';

const KEY_METRIC = /(^|[/._])(loss|acc|accuracy|lr|learning_rate|grad_norm|ppl|perplexity)$/i;
const MAX_KEY_METRICS = 3;
/** A 512-rank job would bury the charts; the rest is one click away. */
const COLLAPSED_ROWS = 16;
const FIXED_COLUMNS = [
  { title: 'Run' },
  { title: 'Rank', numeric: true },
  { title: 'Host / pod' },
  { title: 'State' },
  { title: 'Step', numeric: true, tip: 'Last step' },
  { title: 'Started' },
  { title: 'Last seen' },
];

/** Loss first, then the other usual suspects, at most three columns. */
export function pickKeyMetrics(metrics: ReadonlyArray<MetricSummary>): string[] {
  const names = metrics.map((m) => m.name).filter((name) => KEY_METRIC.test(name));
  names.sort((a, b) => Number(!/loss$/i.test(a)) - Number(!/loss$/i.test(b)) || a.localeCompare(b));
  return names.slice(0, MAX_KEY_METRICS);
}

export class RunsTable {
  readonly el = h('section', { class: 'panel', id: 'runs-panel' });
  private readonly cells = new Map<string, HTMLElement>();
  /** survives re-renders (every live poll re-renders the table) */
  private readonly lastValues = new Map<string, number | null>();
  private expanded = false;

  render(runs: RunRow[], keyMetrics: string[]): void {
    this.cells.clear();
    const now = Date.now() / 1000;
    if (runs.length === 0) {
      this.el.replaceChildren(h('h2', { text: 'Runs' }), h('p', { class: 'muted', text: 'No runs reported yet.' }));
      return;
    }
    // The exit code lives in the state cell and metric titles may wrap, so a single run fits a
    // 1,400 px window without scrolling sideways (a cut-off column reads as a wrong value).
    const head = [...FIXED_COLUMNS, ...keyMetrics.map((m) => ({ title: m, numeric: true, metric: true }))];
    const rows = runs.map((run) => {
      const key = seriesKey(run.run_id, run.rank ?? -1);
      const metricCells = keyMetrics.map((metric) => {
        const id = `${metric}\u0000${key}`;
        const known = this.lastValues.get(id);
        const cell = h('td', { class: 'num mono', data: { metric }, text: known === undefined ? '…' : formatValue(known) });
        this.cells.set(id, cell);
        return cell;
      });
      return h(
        'tr',
        { class: 'run-row', data: { runId: run.run_id, rank: run.rank ?? -1, state: run.state } },
        h(
          'td',
          { class: 'nowrap' },
          h('div', { text: run.name || run.run_id }),
          h('div', { class: 'mono small muted', text: [run.project, run.run_id].filter(Boolean).join(' · ') }),
        ),
        h('td', { class: 'num nowrap', text: rankText(run) }),
        h('td', { class: 'mono small' }, ...placeLines(run)),
        h(
          'td',
          { class: 'nowrap' },
          h('span', { class: `status-chip run-${run.state}`, text: run.state }),
          run.exit_code === null
            ? ''
            : h('span', { class: `small exit ${run.exit_code ? 'bad' : 'muted'}`, text: ` exit ${run.exit_code}` }),
        ),
        h('td', { class: 'num', text: formatCount(run.last_step) }),
        h('td', {
          class: 'small nowrap',
          title: formatTime(run.started_at),
          text: run.started_at === null ? '–' : formatAgo(run.started_at, now),
        }),
        h('td', { class: 'small nowrap', title: formatTime(run.last_seen), text: formatAgo(run.last_seen, now) }),
        ...metricCells,
      );
    });
    const hiddenRows = this.expanded ? 0 : Math.max(0, rows.length - COLLAPSED_ROWS);
    const more =
      hiddenRows > 0
        ? h(
            'button',
            {
              class: 'btn btn-small',
              on: {
                click: () => {
                  this.expanded = true;
                  this.render(runs, keyMetrics);
                },
              },
            },
            `Show all ${runs.length} rows`,
          )
        : '';
    this.el.replaceChildren(
      h('h2', { text: `Runs (${runs.length})` }),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'table compact', id: 'runs-table' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ...head.map((c) =>
                h('th', {
                  text: c.title,
                  title: 'tip' in c ? c.tip : c.title,
                  class: [c.numeric ? 'num' : '', 'metric' in c ? 'metric-col' : ''].join(' ').trim(),
                }),
              ),
            ),
          ),
          h('tbody', null, ...rows.slice(0, rows.length - hiddenRows)),
        ),
      ),
      more,
    );
  }

  /** Filled from the charts' data, so the table costs no extra request. */
  setLastValue(metric: string, key: string, value: number | null): void {
    const id = `${metric}\u0000${key}`;
    this.lastValues.set(id, value);
    const cell = this.cells.get(id);
    if (cell) cell.textContent = formatValue(value);
  }
}

/** Host and pod on their own lines; once when they are the same name (Kubernetes sets HOSTNAME to the pod name). */
function placeLines(run: RunRow): HTMLElement[] {
  const names = [...new Set([run.host, run.pod_name].filter((n): n is string => Boolean(n)))];
  return names.length === 0 ? [h('div', { text: '–' })] : names.map((n) => h('div', { text: n }));
}

function rankText(run: RunRow): string {
  if (run.rank === null || run.rank < 0) return '–';
  return run.world_size ? `${run.rank} / ${run.world_size}` : String(run.rank);
}
