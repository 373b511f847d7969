// Framework / status / liveness badges, shared by the list and the workload page.
import { h } from './dom.js';
import { formatConfidence, LIVE_WINDOW_SECONDS, type WorkloadState } from './format.js';
import type { HealthStatus } from './types.js';

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
  return wrapper || base || f.framework || 'unknown';
}

export function frameworkBadge(f: FrameworkFields): HTMLElement {
  const label = frameworkLabel(f);
  const top = (f.wrapper_framework || f.framework || f.base_framework || 'unknown').toLowerCase();
  const status = (f.status || 'unknown').toLowerCase();
  return h(
    'span',
    {
      class: 'fw-badge',
      data: { framework: label, status, confidence: formatConfidence(f.confidence) },
      title: `framework ${label} · confidence ${formatConfidence(f.confidence)} · ${status}`,
    },
    h('span', { class: `fw-name fw-${cssToken(top)}`, text: label }),
    h('span', { class: 'fw-conf', text: formatConfidence(f.confidence) }),
    statusChip(status),
  );
}

export function statusChip(status: string): HTMLElement {
  return h('span', { class: `status-chip status-${cssToken(status)}`, text: status });
}

const STATE_TITLES: Record<WorkloadState, string> = {
  running: 'a run is reporting',
  silent: `a run says it is running but nothing arrived for ${LIVE_WINDOW_SECONDS / 60} minutes; it may have died`,
  finished: 'every run has finished',
  'no runs': 'only a detection report arrived; no run has reported yet',
};

export function stateDot(state: WorkloadState): HTMLElement {
  return h(
    'span',
    { class: `live-dot state-${cssToken(state)}`, data: { state }, title: STATE_TITLES[state] },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    state,
  );
}

function cssToken(text: string): string {
  return text.replace(/[^a-z0-9-]/gi, '-').toLowerCase();
}

/** What each health status means, as the server's README says it (shown as the badge's tooltip). */
export const HEALTH_TITLES: Record<HealthStatus, string> = {
  failed: 'a run ended with a non-zero exit code',
  diverged: 'a loss became NaN or ±Inf, or spiked far above its recent level, and has not recovered',
  stalled: 'a run should be running but no new step arrived for longer than its stall threshold',
  lost: 'nothing arrived from a run for the lost window and it never said it finished',
  slow: "a run's step time stays well above its own earlier median",
  healthy: 'making progress, nothing wrong found',
  unknown: 'too little data to judge yet',
  finished: 'every run ended with exit code 0',
};

export const HEALTH_ORDER = Object.keys(HEALTH_TITLES) as HealthStatus[];

export function healthBadge(status: HealthStatus): HTMLElement {
  return h(
    'span',
    { class: `health-badge health-${cssToken(status)}`, data: { health: status }, title: HEALTH_TITLES[status] ?? status },
    status,
  );
}
