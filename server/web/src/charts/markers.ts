// NaN and ±Inf cannot sit on a value axis, so they are marked on the plot instead of hidden:
// NaN as a red dashed line across the plot, +Inf as a flag at the top, −Inf at the bottom.
// DOM elements (not canvas pixels) so they stay crisp, carry a tooltip, and can be found by tests.
import type uPlot from 'uplot';
import { formatValue } from '../format.js';
import type { NonFiniteMarker } from './series-data.js';

/** Past this many markers per chart the header count still tells the truth; the plot stays readable. */
const MAX_DRAWN = 300;
/** Flags closer than this would overlap; the later one keeps its line and loses its label. */
const FLAG_SPACING_PX = 30;

const LABEL: Record<NonFiniteMarker['kind'], string> = { nan: 'NaN', '+inf': '+Inf', '-inf': '−Inf' };

export function drawMarkers(
  u: uPlot,
  layer: HTMLElement,
  markers: ReadonlyArray<NonFiniteMarker>,
  visible: (seriesIndex: number) => boolean,
  colorOf: (seriesIndex: number) => string,
): void {
  const width = u.over.clientWidth;
  const fragment = document.createDocumentFragment();
  let drawn = 0;
  const lastFlag: Record<string, number> = {};
  // Left to right, so the de-overlap below compares neighbours.
  const ordered = [...markers].sort((a, b) => a.x - b.x);
  for (const marker of ordered) {
    if (drawn >= MAX_DRAWN) break;
    if (!visible(marker.seriesIndex)) continue;
    const left = u.valToPos(marker.x, 'x');
    if (!Number.isFinite(left) || left < -1 || left > width + 1) continue;
    const el = document.createElement('div');
    el.className = `nf-marker nf-${marker.kind === 'nan' ? 'nan' : marker.kind === '+inf' ? 'pinf' : 'ninf'}`;
    el.dataset.kind = marker.kind;
    el.dataset.step = String(marker.step);
    el.style.left = `${left}px`;
    el.style.setProperty('--series-color', colorOf(marker.seriesIndex));
    el.title = `${LABEL[marker.kind]} at step ${formatValue(marker.step)}`;
    const edge = marker.kind === '-inf' ? 'bottom' : 'top';
    if (lastFlag[edge] === undefined || left - (lastFlag[edge] as number) >= FLAG_SPACING_PX) {
      const flag = document.createElement('span');
      flag.className = 'nf-flag';
      flag.textContent = LABEL[marker.kind];
      el.appendChild(flag);
      lastFlag[edge] = left;
    }
    fragment.appendChild(el);
    drawn++;
  }
  layer.replaceChildren(fragment);
}
