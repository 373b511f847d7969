// Framework / status / liveness badges, shared by the list and the workload page.
import { h } from "./dom.js";
import { LIVE_WINDOW_SECONDS, formatConfidence, type WorkloadState } from "./format.js";

export interface FrameworkFields {
  framework: string | null;
  wrapper_framework: string | null;
  base_framework: string | null;
  confidence: number | null;
  status: string | null;
}

/** "primus / megatron" when there are two layers, else the single framework. */
export function frameworkLabel(f: FrameworkFields): string {
  const wrapper = f.wrapper_framework;
  const base = f.base_framework;
  if (wrapper && base && wrapper !== base) return `${wrapper} / ${base}`;
  return wrapper || base || f.framework || "unknown";
}

export function frameworkBadge(f: FrameworkFields): HTMLElement {
  const label = frameworkLabel(f);
  const top = (f.wrapper_framework || f.framework || f.base_framework || "unknown").toLowerCase();
  const status = (f.status || "unknown").toLowerCase();
  return h("span", {
    class: "fw-badge",
    data: { framework: label, status, confidence: formatConfidence(f.confidence) },
    title: `framework ${label} · confidence ${formatConfidence(f.confidence)} · ${status}`,
  },
  h("span", { class: `fw-name fw-${cssToken(top)}`, text: label }),
  h("span", { class: "fw-conf", text: formatConfidence(f.confidence) }),
  statusChip(status));
}

export function statusChip(status: string): HTMLElement {
  return h("span", { class: `status-chip status-${cssToken(status)}`, text: status });
}

const STATE_TITLES: Record<WorkloadState, string> = {
  running: "a run is reporting",
  silent: `a run says it is running but nothing arrived for ${LIVE_WINDOW_SECONDS / 60} minutes; it may have died`,
  finished: "every run has finished",
  "no runs": "only a detection report arrived; no run has reported yet",
};

export function stateDot(state: WorkloadState): HTMLElement {
  return h("span", { class: `live-dot state-${cssToken(state)}`, data: { state }, title: STATE_TITLES[state] },
    h("span", { class: "dot", "aria-hidden": "true" }), state);
}

function cssToken(text: string): string {
  return text.replace(/[^a-z0-9-]/gi, "-").toLowerCase();
}
