// NaN and ±Inf cannot sit on a value axis, so they are marked on the plot instead of hidden:
// NaN as a red dashed line across the plot, +Inf as a flag at the top, −Inf at the bottom.
// DOM elements (not canvas pixels) so they stay crisp, carry a tooltip, and can be found by tests.
import type uPlot from "uplot";
import { formatValue } from "../format.js";
import type { NonFiniteMarker } from "./series-data.js";

/** Past this many markers per chart the header count still tells the truth; the plot stays readable. */
const MAX_DRAWN = 300;

const LABEL: Record<NonFiniteMarker["kind"], string> = { nan: "NaN", "+inf": "+Inf", "-inf": "−Inf" };

export function drawMarkers(u: uPlot, layer: HTMLElement, markers: ReadonlyArray<NonFiniteMarker>,
  visible: (seriesIndex: number) => boolean, colorOf: (seriesIndex: number) => string): void {
  const width = u.over.clientWidth;
  const fragment = document.createDocumentFragment();
  let drawn = 0;
  for (const marker of markers) {
    if (drawn >= MAX_DRAWN) break;
    if (!visible(marker.seriesIndex)) continue;
    const left = u.valToPos(marker.x, "x");
    if (!Number.isFinite(left) || left < -1 || left > width + 1) continue;
    const el = document.createElement("div");
    el.className = `nf-marker nf-${marker.kind === "nan" ? "nan" : marker.kind === "+inf" ? "pinf" : "ninf"}`;
    el.dataset.kind = marker.kind;
    el.dataset.step = String(marker.step);
    el.style.left = `${left}px`;
    el.style.setProperty("--series-color", colorOf(marker.seriesIndex));
    el.title = `${LABEL[marker.kind]} at step ${formatValue(marker.step)}`;
    const flag = document.createElement("span");
    flag.className = "nf-flag";
    flag.textContent = LABEL[marker.kind];
    el.appendChild(flag);
    fragment.appendChild(el);
    drawn++;
  }
  layer.replaceChildren(fragment);
}
