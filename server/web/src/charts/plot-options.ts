// uPlot options for one metric chart: dark axes, a faint raw line under each smoothed line,
// drag-to-zoom handled by us (so the server can be re-queried), no built-in legend.
import type uPlot from 'uplot';
import { formatValue } from '../format.js';
import { faint } from './palette.js';
import type { XAxisMode } from './series-data.js';

export interface PlotSpec {
  width: number;
  height: number;
  mode: XAxisMode;
  logScale: boolean;
  labels: string[];
  colors: string[];
  onDraw: (u: uPlot) => void;
  onCursor: (u: uPlot) => void;
  onSelect: (u: uPlot) => void;
  /** the x ticks drawn, so the page can say which steps its axis shows */
  onXTicks?: (ticks: number[]) => void;
}

/** Steps are integers: tick spacing 1, 2, 5 × 10^k, never 0.5 (uPlot's default set has fractions). */
export const STEP_INCREMENTS: readonly number[] = Array.from({ length: 16 }, (_, k) => [1, 2, 5].map((m) => m * 10 ** k)).flat();

const AXIS = '#8b95a7';
const GRID = 'rgba(139, 149, 167, 0.14)';
const LINEAR = 1 as uPlot.Scale.Distr;
const LOG = 3 as uPlot.Scale.Distr;

export function plotOptions(spec: PlotSpec): uPlot.Options {
  const series: uPlot.Series[] = [{ label: spec.mode }];
  spec.labels.forEach((label, i) => {
    const color = spec.colors[i] as string;
    series.push({ label: `${label} (raw)`, stroke: faint(color), width: 1, spanGaps: true, points: { show: false } });
    series.push({ label, stroke: color, width: 1.6, spanGaps: true, points: { show: false } });
  });
  return {
    width: spec.width,
    height: spec.height,
    legend: { show: false },
    cursor: {
      drag: { x: true, y: false, setScale: false },
      points: { show: false },
    },
    scales: {
      x: { time: spec.mode === 'time' },
      y: { distr: spec.logScale ? LOG : LINEAR },
    },
    axes: [
      {
        stroke: AXIS,
        grid: { stroke: GRID, width: 1 },
        ticks: { stroke: GRID, width: 1 },
        font: '11px system-ui, sans-serif',
        ...(spec.mode === 'step' ? stepAxis(spec) : {}),
      },
      {
        stroke: AXIS,
        grid: { stroke: GRID, width: 1 },
        ticks: { stroke: GRID, width: 1 },
        size: 64,
        font: '11px system-ui, sans-serif',
        values: (_u, ticks) => ticks.map((t) => formatValue(t)),
      },
    ],
    series,
    hooks: { draw: [spec.onDraw], setCursor: [spec.onCursor], setSelect: [spec.onSelect] },
  };
}

function stepAxis(spec: PlotSpec): Partial<uPlot.Axis> {
  return {
    incrs: [...STEP_INCREMENTS],
    values: (_u, ticks) => {
      spec.onXTicks?.(ticks);
      return ticks.map((t) => t.toLocaleString('en-US'));
    },
  };
}

/** uPlot series index of the raw and smoothed lines of logical series `i`. */
export function rawIndex(i: number): number {
  return 1 + 2 * i;
}

export function smoothIndex(i: number): number {
  return 2 + 2 * i;
}
