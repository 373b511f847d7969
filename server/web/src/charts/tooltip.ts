// Hover tooltip: the x under the cursor and, per visible series, the raw and smoothed values.
import type uPlot from 'uplot';
import { h } from '../dom.js';
import { formatTime, formatValue } from '../format.js';
import type { XAxisMode } from './series-data.js';

export interface TooltipSource {
  mode: XAxisMode;
  labels: string[];
  colors: string[];
  raw: Array<Array<number | null>>;
  smoothed: Array<Array<number | null>>;
  visible: (seriesIndex: number) => boolean;
}

/** How far to look left/right for a series' nearest point when it has none exactly at the cursor. */
const NEAREST_SCAN = 2_000;

export function updateTooltip(u: uPlot, tip: HTMLElement, src: TooltipSource): void {
  const idx = u.cursor.idx;
  const left = u.cursor.left ?? -1;
  if (idx === null || idx === undefined || left < 0) {
    tip.hidden = true;
    return;
  }
  const xs = u.data[0];
  const x = xs[idx] as number;
  // Built as nodes, not HTML text: the page's Content-Security-Policy refuses inline style
  // attributes, and labels are user data.
  const rows: HTMLElement[] = [];
  for (let s = 0; s < src.raw.length; s++) {
    if (!src.visible(s)) continue;
    const at = nearest(src.raw[s] as Array<number | null>, idx);
    if (at === null) continue;
    const raw = src.raw[s]?.[at] ?? null;
    const smooth = src.smoothed[s]?.[at] ?? null;
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = src.colors[s] ?? '';
    rows.push(
      h(
        'div',
        { class: 'tt-row' },
        swatch,
        h('span', { class: 'tt-label', text: src.labels[s] ?? '' }),
        h('span', { class: 'tt-val', text: formatValue(smooth) }),
        h('span', { class: 'tt-raw', text: formatValue(raw) }),
      ),
    );
  }
  if (rows.length === 0) {
    tip.hidden = true;
    return;
  }
  const head = src.mode === 'step' ? `step ${formatValue(x)}` : formatTime(x);
  tip.replaceChildren(h('div', { class: 'tt-head' }, head, h('span', { class: 'tt-cols', text: 'smoothed · raw' })), ...rows);
  tip.hidden = false;
  const width = u.over.clientWidth;
  const tipWidth = tip.offsetWidth;
  const placeLeft = left + 16 + tipWidth > width;
  tip.style.left = `${placeLeft ? Math.max(0, left - tipWidth - 16) : left + 16}px`;
  tip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - 10)}px`;
}

/**
 * The series' point at the cursor, else its closer neighbour, but only inside the series' own
 * x-range: a run that stopped at step 9 has no value to show at step 30.
 */
function nearest(column: Array<number | null>, idx: number): number | null {
  if (column[idx] !== null && column[idx] !== undefined) return idx;
  let left: number | null = null;
  let right: number | null = null;
  for (let d = 1; d <= NEAREST_SCAN && (left === null || right === null); d++) {
    if (left === null && idx - d >= 0 && column[idx - d] !== null && column[idx - d] !== undefined) left = idx - d;
    if (right === null && idx + d < column.length && column[idx + d] !== null && column[idx + d] !== undefined) right = idx + d;
    if (idx - d < 0 && idx + d >= column.length) break;
  }
  if (left === null || right === null) return null;
  return idx - left <= right - idx ? left : right;
}
