// One chart per metric: runs × ranks overlaid, debiased EMA, log toggle, drag-to-zoom that
// re-queries the server, hover tooltip, non-finite markers, and a live tail fetch.
import uPlot from 'uplot';
import { h } from '../dom.js';
import { formatCount } from '../format.js';
import { debiasedEma, defaultSmoothing } from './ema.js';
import { type ChartEvent, drawEventMarkers } from './event-markers.js';
import { renderLegend } from './legend.js';
import { drawMarkers } from './markers.js';
import { colorFor } from './palette.js';
import { plotOptions, rawIndex, smoothIndex } from './plot-options.js';
import { type AlignedColumns, alignSeries, appendNewer, drawable, type XAxisMode } from './series-data.js';
import { fetchOverview, fetchRange, fetchTail, type LoadedSeries, OVERVIEW_POINTS } from './series-source.js';
import { updateTooltip } from './tooltip.js';

export interface ChartContext {
  uid: string;
  /** The user's smoothing, or null for the default by number of points. */
  smoothing: () => number | null;
  mode: () => XAxisMode;
  labelFor: (runId: string, rank: number) => string;
  /** called after each load with the full-range series, e.g. to fill the runs table */
  onLoaded: (metric: string, series: ReadonlyArray<LoadedSeries>) => void;
  onFirstDraw: (metric: string) => void;
  onError: (metric: string, err: unknown) => void;
  /** Health events to mark on this chart (spikes, stalls, slowdowns). */
  events?: () => ReadonlyArray<ChartEvent>;
}

const PLOT_HEIGHT = 220;

export class MetricChart {
  readonly card: HTMLElement;
  private readonly plotEl = h('div', { class: 'plot' });
  private readonly legendEl = h('div', { class: 'legend' });
  private readonly statsEl = h('span', { class: 'chart-stats muted' });
  private readonly smoothingEl = h('span', { class: 'chart-smoothing muted small' });
  private readonly zoomEl = h(
    'button',
    { class: 'btn btn-small zoom-reset', hidden: true, title: 'Show the whole run' },
    'Reset zoom',
  );
  private readonly logBtn = h(
    'button',
    { class: 'btn btn-small log-toggle', 'aria-pressed': 'false', title: 'Logarithmic y axis' },
    'log',
  );
  private readonly markerLayer = h('div', { class: 'nf-layer' });
  private readonly eventLayer = h('div', { class: 'ev-layer' });
  private readonly tip = h('div', { class: 'tooltip', hidden: true });
  private full: LoadedSeries[] = [];
  private zoom: { from: number; to: number; series: LoadedSeries[] } | null = null;
  private readonly hidden = new Set<string>();
  private plot: uPlot | null = null;
  private structure = '';
  private aligned: AlignedColumns = { x: [], raw: [], markers: [] };
  private smoothed: Array<Array<number | null>> = [];
  private logScale = false;
  private loading = false;
  private drawnOnce = false;
  private zoomAbort: AbortController | null = null;
  private readonly resize = new ResizeObserver(() => this.fitWidth());

  constructor(
    readonly metric: string,
    private readonly ctx: ChartContext,
  ) {
    this.card = h(
      'section',
      { class: 'chart-card', id: chartId(metric), data: { metric, state: 'loading' } },
      h(
        'header',
        { class: 'chart-head' },
        h('h3', { class: 'chart-title mono', text: metric, title: metric }),
        this.statsEl,
        this.smoothingEl,
        this.zoomEl,
        this.logBtn,
      ),
      this.plotEl,
      this.legendEl,
    );
    this.plotEl.append(h('div', { class: 'plot-placeholder', text: 'Loading…' }));
    this.logBtn.addEventListener('click', () => this.toggleLog());
    this.zoomEl.addEventListener('click', () => this.resetZoom());
    this.resize.observe(this.plotEl);
  }

  async load(signal: AbortSignal): Promise<void> {
    this.loading = true;
    try {
      this.full = await fetchOverview(this.ctx.uid, this.metric, signal);
      this.zoom = null;
      this.ctx.onLoaded(this.metric, this.full);
      this.render();
    } catch (err) {
      if (isAbort(err)) return;
      this.card.dataset.state = 'error';
      this.plotEl.replaceChildren(
        h('div', { class: 'plot-placeholder error', text: `Could not load: ${String((err as Error).message ?? err)}` }),
      );
      this.ctx.onError(this.metric, err);
    } finally {
      this.loading = false;
    }
  }

  /** Fetch only steps after the oldest series' last step. Returns false when a full reload is needed. */
  async poll(signal: AbortSignal): Promise<boolean> {
    if (this.loading) return true; // the load in flight brings the newest points anyway
    if (this.full.length === 0) return false;
    const fromStep = Math.min(...this.full.map((s) => (s.steps.length ? (s.steps[s.steps.length - 1] as number) : -1))) + 1;
    const tail = await fetchTail(this.ctx.uid, this.metric, fromStep, signal);
    const byKey = new Map(this.full.map((s) => [s.key, s]));
    let added = 0;
    for (const series of tail) {
      const known = byKey.get(series.key);
      if (!known) return false; // a new run or rank: its early steps are below fromStep
      added += appendNewer(known, series.steps, series.values, series.times);
      known.totalPoints = Math.max(known.totalPoints, series.totalPoints);
    }
    // Appending keeps every live point; once that outgrows the overview budget, re-bucket server-side.
    if (this.full.some((s) => s.steps.length > 3 * OVERVIEW_POINTS)) return false;
    if (added > 0) {
      this.ctx.onLoaded(this.metric, this.full);
      if (!this.zoom) this.render();
    }
    return true;
  }

  /** Smoothing changed: recompute the smoothed columns only. */
  applySmoothing(): void {
    if (!this.plot) return;
    this.smooth();
    this.plot.setData(this.columns(), !this.zoom);
    this.restoreZoomScale();
  }

  /** The user's weight, else the default for the whole run's longest series (zooming must not change it). */
  private smooth(): void {
    const longest = Math.max(0, ...this.full.map((s) => Math.max(s.totalPoints, s.steps.length)));
    const weight = this.ctx.smoothing() ?? defaultSmoothing(longest);
    this.card.dataset.smoothing = String(weight);
    this.smoothingEl.textContent = weight === 0 ? 'raw' : `smoothed ${weight.toFixed(2)}`;
    this.smoothingEl.title = this.ctx.smoothing() === null ? 'default for this many points' : 'set by the slider';
    this.smoothed = this.aligned.raw.map((column) => debiasedEma(column, weight));
  }

  /** The health events changed: redraw the markers only. */
  applyEvents(): void {
    if (this.plot) drawEventMarkers(this.plot, this.eventLayer, this.ctx.events?.() ?? [], this.ctx.mode() === 'step');
  }

  /** X axis mode changed: the zoom range is in the old unit, so drop it. */
  applyMode(): void {
    this.zoom = null;
    this.render();
  }

  destroy(): void {
    this.resize.disconnect();
    this.zoomAbort?.abort();
    this.plot?.destroy();
    this.plot = null;
  }

  private current(): LoadedSeries[] {
    return this.zoom ? this.zoom.series : this.full;
  }

  private render(): void {
    const series = this.current();
    const mode = this.ctx.mode();
    this.aligned = alignSeries(series, mode);
    this.smooth();
    this.updateHeader(series);
    if (series.length === 0) {
      this.plot?.destroy();
      this.plot = null;
      this.structure = '';
      this.card.dataset.state = 'empty';
      this.plotEl.replaceChildren(
        h('div', { class: 'plot-placeholder', text: this.zoom ? 'No points in this range.' : 'No points yet.' }),
      );
      this.markDrawn();
      return;
    }
    const structure = `${mode}|${this.logScale}|${series.map((s) => s.key).join(',')}`;
    if (this.plot && structure === this.structure) {
      this.plot.setData(this.columns(), true);
    } else {
      this.build(series, mode);
      this.structure = structure;
    }
    this.restoreZoomScale();
    this.renderLegend(series);
  }

  private build(series: LoadedSeries[], mode: XAxisMode): void {
    this.plot?.destroy();
    const labels = series.map((s) => this.ctx.labelFor(s.runId, s.rank));
    const colors = series.map((_s, i) => colorFor(i));
    const options = plotOptions({
      width: Math.max(200, this.plotEl.clientWidth),
      height: PLOT_HEIGHT,
      mode,
      logScale: this.logScale,
      labels,
      colors,
      onDraw: (u) => {
        drawMarkers(
          u,
          this.markerLayer,
          this.aligned.markers,
          (i) => !this.hidden.has(this.current()[i]?.key ?? ''),
          (i) => colorFor(i),
        );
        drawEventMarkers(u, this.eventLayer, this.ctx.events?.() ?? [], this.ctx.mode() === 'step');
        this.card.dataset.state = 'ready';
        this.markDrawn();
      },
      onCursor: (u) =>
        updateTooltip(u, this.tip, {
          mode: this.ctx.mode(),
          labels,
          colors,
          raw: this.aligned.raw,
          smoothed: this.smoothed,
          visible: (i) => !this.hidden.has(this.current()[i]?.key ?? ''),
        }),
      onSelect: (u) => this.onSelect(u),
      onXTicks: (ticks) => {
        this.card.dataset.xTicks = ticks.join(',');
      },
    });
    this.plotEl.replaceChildren();
    this.plot = new uPlot(options, this.columns(), this.plotEl);
    this.plot.over.append(this.markerLayer, this.eventLayer, this.tip);
    this.plot.over.addEventListener('dblclick', () => this.resetZoom());
    this.plot.over.addEventListener('mouseleave', () => {
      this.tip.hidden = true;
    });
    series.forEach((s, i) => {
      if (this.hidden.has(s.key)) this.setShown(i, false);
    });
  }

  private columns(): uPlot.AlignedData {
    const data: Array<ArrayLike<number | null>> = [this.aligned.x];
    this.aligned.raw.forEach((column, i) => {
      data.push(drawable(column, this.logScale));
      data.push(drawable(this.smoothed[i] ?? column, this.logScale));
    });
    return data as uPlot.AlignedData;
  }

  private onSelect(u: uPlot): void {
    const { left, width } = u.select;
    if (width < 3) return;
    const from = u.posToVal(left, 'x');
    const to = u.posToVal(left + width, 'x');
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    void this.zoomTo(from, to);
  }

  private async zoomTo(from: number, to: number): Promise<void> {
    this.zoomAbort?.abort();
    this.zoomAbort = new AbortController();
    this.card.dataset.zoom = 'loading';
    try {
      const series = await fetchRange(this.ctx.uid, this.metric, this.ctx.mode(), from, to, this.zoomAbort.signal);
      this.zoom = { from, to, series };
      this.card.dataset.zoom = 'zoomed';
      this.render();
    } catch (err) {
      if (!isAbort(err)) this.ctx.onError(this.metric, err);
    }
  }

  private resetZoom(): void {
    this.zoomAbort?.abort();
    if (!this.zoom) return;
    this.zoom = null;
    delete this.card.dataset.zoom;
    this.render();
  }

  private restoreZoomScale(): void {
    if (this.plot && this.zoom) this.plot.setScale('x', { min: this.zoom.from, max: this.zoom.to });
    this.zoomEl.hidden = !this.zoom;
  }

  private toggleLog(): void {
    this.logScale = !this.logScale;
    this.logBtn.setAttribute('aria-pressed', String(this.logScale));
    this.logBtn.classList.toggle('active', this.logScale);
    this.render();
  }

  private toggleSeries(key: string): void {
    if (this.hidden.has(key)) this.hidden.delete(key);
    else this.hidden.add(key);
    const index = this.current().findIndex((s) => s.key === key);
    if (index >= 0) this.setShown(index, !this.hidden.has(key));
    this.renderLegend(this.current());
  }

  private setShown(index: number, show: boolean): void {
    this.plot?.batch(() => {
      this.plot?.setSeries(rawIndex(index), { show });
      this.plot?.setSeries(smoothIndex(index), { show });
    });
  }

  private renderLegend(series: LoadedSeries[]): void {
    renderLegend(
      this.legendEl,
      series.map((s, i) => ({ key: s.key, label: this.ctx.labelFor(s.runId, s.rank), color: colorFor(i) })),
      this.hidden,
      (key) => this.toggleSeries(key),
    );
  }

  private updateHeader(series: LoadedSeries[]): void {
    const drawn = series.reduce((n, s) => n + s.steps.length, 0);
    const total = series.reduce((n, s) => n + s.totalPoints, 0);
    const nonFinite = this.aligned.markers.length;
    this.card.dataset.seriesCount = String(series.length);
    this.card.dataset.points = String(drawn);
    this.card.dataset.nonfinite = String(nonFinite);
    this.card.dataset.lastStep = String(Math.max(-1, ...series.map((s) => s.steps[s.steps.length - 1] ?? -1)));
    const parts = [
      `${series.length} series`,
      drawn < total ? `${formatCount(drawn)} of ${formatCount(total)} pts` : `${formatCount(drawn)} pts`,
    ];
    if (nonFinite > 0) parts.push(`${nonFinite} non-finite`);
    this.statsEl.textContent = parts.join(' · ');
    this.statsEl.classList.toggle('has-nonfinite', nonFinite > 0);
  }

  private fitWidth(): void {
    const width = this.plotEl.clientWidth;
    if (this.plot && width > 0 && Math.abs(width - this.plot.width) > 1) {
      this.plot.setSize({ width, height: PLOT_HEIGHT });
    }
  }

  private markDrawn(): void {
    if (this.drawnOnce) return;
    this.drawnOnce = true;
    this.ctx.onFirstDraw(this.metric);
  }
}

export function chartId(metric: string): string {
  return `chart-${metric.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
