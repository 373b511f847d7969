// Workload page: summary header, detection explained, runs, and the metric charts, kept live.
import { ApiError, api } from '../api.js';
import { frameworkBadge, stateDot } from '../badges.js';
import type { LoadedSeries } from '../charts/series-source.js';
import { seriesKey } from '../charts/series-source.js';
import { h, stateBox } from '../dom.js';
import { formatAgo, formatCount, formatTime, workloadState } from '../format.js';
import type { MetricSummary, RunRow, WorkloadSummary } from '../types.js';
import { ChartGrid } from './chart-grid.js';
import { detectionPanel } from './detection-panel.js';
import { errorState } from './error-state.js';
import { HealthPanel } from './health-panel.js';
import { LivePoller } from './live-poller.js';
import { pickKeyMetrics, RunsTable } from './runs-table.js';
import { seriesLabeler } from './series-labels.js';

export function renderWorkload(root: HTMLElement, uid: string, params: URLSearchParams): () => void {
  const controller = new AbortController();
  let poller: LivePoller | null = null;
  let grid: ChartGrid | null = null;
  let health: HealthPanel | null = null;
  root.replaceChildren(stateBox('loading', `Loading workload ${uid}…`));

  async function start(): Promise<void> {
    let summary: WorkloadSummary;
    let runs: RunRow[];
    let metrics: MetricSummary[];
    try {
      [summary, { runs }, { metrics }] = await Promise.all([
        api.workload(uid, controller.signal),
        api.runs(uid, controller.signal),
        api.metrics(uid, controller.signal),
      ]);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      if (err instanceof ApiError && err.status === 404) {
        root.replaceChildren(
          stateBox(
            'empty',
            `Workload ${uid} not found.`,
            'It has not reported anything to this server.',
            h('a', { href: '/', 'data-link': true, class: 'btn' }, 'All workloads'),
          ),
        );
        return;
      }
      root.replaceChildren(errorState(`Could not load workload ${uid}`, err, () => void start()));
      return;
    }

    let labeler = seriesLabeler(runs);
    const setRuns = (list: RunRow[]): void => {
      labeler = seriesLabeler(list);
    };
    const labelFor = (runId: string, rank: number): string => labeler(runId, rank);

    const header = h('div', { class: 'page-head workload-head' });
    const renderHeader = (s: WorkloadSummary): void => {
      const now = Date.now() / 1000;
      header.replaceChildren(
        h(
          'div',
          null,
          h('a', { href: '/', 'data-link': true, class: 'crumb', text: 'Workloads' }),
          h('h1', { class: 'mono', text: s.workload_uid }),
        ),
        h(
          'div',
          { class: 'kv' },
          frameworkBadge(s),
          stateDot(workloadState(s.runs, s.active_runs, s.last_seen, now)),
          kvItem('runs', formatCount(s.runs)),
          kvItem('pods', formatCount(s.pods)),
          kvItem('points', formatCount(s.points)),
          kvItem('last step', formatCount(s.last_step)),
          h(
            'span',
            { class: 'kv-item', title: formatTime(s.last_seen) },
            h('span', { class: 'muted', text: 'last seen ' }),
            formatAgo(s.last_seen, now),
          ),
          kvItem('first seen', formatTime(s.first_seen)),
        ),
      );
    };
    renderHeader(summary);

    const runsTable = new RunsTable();
    let keyMetrics = pickKeyMetrics(metrics);
    runsTable.render(runs, keyMetrics);
    const detection = detectionPanel(uid, (d) => renderHeader({ ...summary, ...pickFramework(d) }));
    detection.update(summary.detection);

    const onLoaded = (metric: string, series: ReadonlyArray<LoadedSeries>): void => {
      if (!keyMetrics.includes(metric)) return;
      for (const s of series) runsTable.setLastValue(metric, s.key, s.values[s.values.length - 1] ?? null);
    };
    grid = new ChartGrid({ uid, params, labelFor, onLoaded }, controller.signal);
    const charts = grid;
    health = new HealthPanel(uid, labelFor, (events) => charts.setEvents(events));
    root.replaceChildren(header, health.el, h('div', { class: 'two-col' }, detection.el, runsTable.el), grid.el);
    health.start();
    if (metrics.length === 0) {
      grid.el.append(stateBox('empty', 'No metrics yet.', 'Charts appear as soon as the run calls wandb.log.'));
    }
    grid.addMetrics(metrics.map((m) => m.name));

    const chartGrid = grid;
    poller = new LivePoller(uid, summary, controller.signal, {
      summaryChanged: (s) => {
        summary = s;
        renderHeader(s);
        detection.update(s.detection);
      },
      runsChanged: (list) => {
        const known = new Set(runs.map((r) => seriesKey(r.run_id, r.rank ?? -1)));
        const added = list.some((r) => !known.has(seriesKey(r.run_id, r.rank ?? -1)));
        runs = list;
        setRuns(list);
        runsTable.render(list, keyMetrics);
        return added;
      },
      metricsChanged: (list) => {
        keyMetrics = pickKeyMetrics(list);
        grid?.el.querySelector(':scope > .state')?.remove();
        chartGrid.addMetrics(list.map((m) => m.name));
      },
      charts: () => chartGrid.charts,
      reloadAll: () => chartGrid.reloadAll(),
    });
    poller.start();
  }

  void start();
  return () => {
    controller.abort();
    poller?.stop();
    health?.stop();
    grid?.destroy();
  };
}

function kvItem(key: string, value: string): HTMLElement {
  return h('span', { class: 'kv-item' }, h('span', { class: 'muted', text: `${key} ` }), value);
}

function pickFramework(d: {
  framework: string | null;
  wrapper_framework: string | null;
  base_framework: string | null;
  confidence: number | null;
  status: string | null;
}) {
  return {
    framework: d.framework,
    wrapper_framework: d.wrapper_framework,
    base_framework: d.base_framework,
    confidence: d.confidence,
    status: d.status,
  };
}
