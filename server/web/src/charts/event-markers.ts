// Health events on the step axis: a spike, the step where a run stalled, where a slowdown began,
// where it was lost or failed, as a labelled vertical line. DOM elements over the plot (like the
// NaN markers), so they carry a tooltip and tests can find them. NaN and ±Inf already have
// their own markers from the data, so non_finite events are not drawn twice.
import type uPlot from 'uplot';
import type { HealthEvent } from '../types.js';

export interface ChartEvent {
  kind: HealthEvent['kind'];
  step: number;
  label: string;
  title: string;
}

const LABEL: Partial<Record<HealthEvent['kind'], string>> = {
  spike: 'spike',
  stall: 'stall',
  lost: 'lost',
  slowdown: 'slow',
  failed: 'failed',
};
/** Events about the whole run, drawn on every chart; the others only on their metric's chart. */
const RUN_WIDE = new Set<HealthEvent['kind']>(['stall', 'lost', 'slowdown', 'failed']);
const MAX_DRAWN = 100;

/** The events a chart of `metric` marks, with the run label the legend uses. */
export function eventsForChart(
  metric: string,
  events: ReadonlyArray<HealthEvent>,
  labelFor: (runId: string, rank: number) => string,
): ChartEvent[] {
  const out: ChartEvent[] = [];
  for (const e of events) {
    const label = LABEL[e.kind];
    if (label === undefined || e.step === null) continue;
    if (!RUN_WIDE.has(e.kind) && e.metric !== metric) continue;
    out.push({ kind: e.kind, step: e.step, label, title: `${labelFor(e.run_id, e.rank)}: ${e.detail}` });
  }
  return out;
}

export function drawEventMarkers(u: uPlot, layer: HTMLElement, events: ReadonlyArray<ChartEvent>, stepAxis: boolean): void {
  const fragment = document.createDocumentFragment();
  if (stepAxis) {
    const width = u.over.clientWidth;
    for (const e of events.slice(0, MAX_DRAWN)) {
      const left = u.valToPos(e.step, 'x');
      if (!Number.isFinite(left) || left < -1 || left > width + 1) continue;
      const el = document.createElement('div');
      el.className = `ev-marker ev-${e.kind}`;
      el.dataset.kind = e.kind;
      el.dataset.step = String(e.step);
      el.style.left = `${left}px`;
      el.title = e.title;
      const flag = document.createElement('span');
      flag.className = 'ev-flag';
      flag.textContent = e.label;
      el.appendChild(flag);
      fragment.appendChild(el);
    }
  }
  layer.replaceChildren(fragment);
}
