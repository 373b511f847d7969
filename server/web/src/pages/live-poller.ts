// Live updates by polling. Each tick costs one small summary request; only when the workload
// changed do we ask for runs, metric names and each chart's tail (from_step = last seen + 1).
import { api } from '../api.js';
import type { MetricChart } from '../charts/metric-chart.js';
import type { MetricSummary, RunRow, WorkloadSummary } from '../types.js';

const ACTIVE_POLL_MS = 2_000;
/** Idle workloads are still checked, more slowly, so a restarted job shows up without a reload. */
const IDLE_POLL_MS = 10_000;

export interface LiveHandlers {
  summaryChanged: (summary: WorkloadSummary) => void;
  /** returns true when a (run, rank) appeared that the charts do not know yet */
  runsChanged: (runs: RunRow[]) => boolean;
  metricsChanged: (metrics: MetricSummary[]) => void;
  charts: () => Map<string, MetricChart>;
  reloadAll: () => void;
}

export class LivePoller {
  private timer: number | undefined;
  private stopped = false;

  constructor(
    private readonly uid: string,
    private last: WorkloadSummary,
    private readonly signal: AbortSignal,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.last.active_runs > 0 ? ACTIVE_POLL_MS : IDLE_POLL_MS;
    this.timer = window.setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    if (document.hidden) return this.schedule(); // nobody is looking: spare the server
    try {
      const summary = await api.workload(this.uid, this.signal);
      const changed =
        summary.points !== this.last.points ||
        summary.last_seen !== this.last.last_seen ||
        summary.runs !== this.last.runs ||
        JSON.stringify(summary.detection) !== JSON.stringify(this.last.detection);
      this.last = summary;
      if (changed) {
        this.handlers.summaryChanged(summary);
        await this.refresh();
      }
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      // A failed poll is retried on the next tick; the page keeps what it already shows.
      console.warn('live update failed', err);
    }
    this.schedule();
  }

  private async refresh(): Promise<void> {
    const [{ runs }, { metrics }] = await Promise.all([api.runs(this.uid, this.signal), api.metrics(this.uid, this.signal)]);
    const newSeries = this.handlers.runsChanged(runs);
    this.handlers.metricsChanged(metrics);
    if (newSeries) {
      this.handlers.reloadAll();
      return;
    }
    await Promise.all(
      [...this.handlers.charts().values()].map(async (chart) => {
        const ok = await chart.poll(this.signal);
        if (!ok) await chart.load(this.signal);
      }),
    );
  }
}
