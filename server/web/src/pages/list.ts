// Workloads list: one row per workload with its framework badge, liveness and training progress.
import { type ApiError, api } from '../api.js';
import { frameworkBadge, HEALTH_ORDER, healthBadge, stateDot } from '../badges.js';
import { clear, h, stateBox } from '../dom.js';
import { decodeNumber, formatAgo, formatCount, formatTime, formatValue, workloadState } from '../format.js';
import { replaceParams, workloadHref } from '../router.js';
import type { WorkloadList, WorkloadRow } from '../types.js';
import { errorState } from './error-state.js';

const PAGE_SIZE = 100;
const REFRESH_MS = 5_000;
const FRAMEWORKS = [
  'primus',
  'megatron',
  'deepspeed',
  'torchtitan',
  'fsdp',
  'lightning',
  'transformers',
  'accelerate',
  'jax',
  'maxtext',
  'nemo',
  'colossalai',
  'pytorch',
  'unknown',
];
const STATUSES = ['verified', 'confirmed', 'suspected', 'conflict', 'unknown'];
/** Numeric columns are right-aligned, header included, so each title sits over its digits. */
const COLUMNS = [
  { title: 'Workload' },
  { title: 'Framework' },
  { title: 'Health' },
  { title: 'State' },
  { title: 'Last seen' },
  { title: 'Runs', numeric: true },
  { title: 'Pods', numeric: true },
  { title: 'Last step', numeric: true },
  { title: 'Last loss', numeric: true },
];

export function renderList(root: HTMLElement, params: URLSearchParams): () => void {
  const filters = {
    q: params.get('q') ?? '',
    framework: params.get('framework') ?? '',
    status: params.get('status') ?? '',
    health: params.get('health') ?? '',
    offset: Math.max(0, Number(params.get('offset')) || 0),
  };
  let controller: AbortController | null = null;
  let timer: number | undefined;
  let lastData: WorkloadList | null = null;

  const search = h('input', {
    type: 'search',
    class: 'input',
    placeholder: 'Search workload, pod, run…',
    value: filters.q,
    'aria-label': 'Search workloads',
    id: 'workload-search',
  });
  const frameworkSelect = select('framework-filter', 'All frameworks', FRAMEWORKS, filters.framework);
  const statusSelect = select('status-filter', 'All statuses', STATUSES, filters.status);
  const healthSelect = select('health-filter', 'All health', HEALTH_ORDER, filters.health);
  const summary = h('span', { class: 'muted', id: 'list-summary' });
  const body = h('div', { class: 'list-body' }, stateBox('loading', 'Loading workloads…'));

  mount(
    root,
    h('div', { class: 'page-head' }, h('h1', { text: 'Workloads' }), summary),
    h('div', { class: 'toolbar' }, search, frameworkSelect, statusSelect, healthSelect),
    body,
  );

  let debounce: number | undefined;
  search.addEventListener('input', () => {
    window.clearTimeout(debounce);
    debounce = window.setTimeout(() => update({ q: search.value.trim(), offset: 0 }), 250);
  });
  frameworkSelect.addEventListener('change', () => update({ framework: frameworkSelect.value, offset: 0 }));
  statusSelect.addEventListener('change', () => update({ status: statusSelect.value, offset: 0 }));
  healthSelect.addEventListener('change', () => update({ health: healthSelect.value, offset: 0 }));

  function update(change: Partial<typeof filters>): void {
    Object.assign(filters, change);
    replaceParams({
      q: filters.q,
      framework: filters.framework,
      status: filters.status,
      health: filters.health,
      offset: filters.offset ? String(filters.offset) : null,
    });
    void load(true);
  }

  async function load(showLoading: boolean): Promise<void> {
    window.clearTimeout(timer);
    controller?.abort();
    controller = new AbortController();
    if (showLoading && !lastData) body.replaceChildren(stateBox('loading', 'Loading workloads…'));
    try {
      const data = await api.workloads(
        {
          q: filters.q,
          framework: filters.framework,
          status: filters.status,
          health: filters.health,
          limit: PAGE_SIZE,
          offset: filters.offset,
        },
        controller.signal,
      );
      lastData = data;
      renderRows(data);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      body.replaceChildren(errorState('Could not load workloads', err as ApiError, () => void load(true)));
    }
    timer = window.setTimeout(() => void load(false), REFRESH_MS);
  }

  function renderRows(data: WorkloadList): void {
    const now = Date.now() / 1000;
    const first = data.total === 0 ? 0 : filters.offset + 1;
    summary.textContent = `${formatCount(first)}–${formatCount(filters.offset + data.workloads.length)} of ${formatCount(data.total)}`;
    if (data.workloads.length === 0) {
      const filtered = filters.q || filters.framework || filters.status || filters.health;
      body.replaceChildren(
        filtered
          ? stateBox(
              'empty',
              'No workload matches these filters.',
              'Clear the search or pick another framework, status or health.',
            )
          : stateBox(
              'empty',
              'No workloads yet.',
              h(
                'span',
                null,
                'Point an exporter at this server: ',
                h('code', { text: `PRIMUS_LENS_API_BASE_URL=${window.location.origin}/api/v1` }),
              ),
            ),
      );
      return;
    }
    const table = h(
      'table',
      { class: 'table', id: 'workloads-table' },
      h('thead', null, h('tr', null, ...COLUMNS.map((c) => h('th', { text: c.title, class: c.numeric ? 'num' : '' })))),
      h('tbody', null, ...data.workloads.map((row) => rowFor(row, now))),
    );
    const pager = h(
      'div',
      { class: 'pager' },
      h(
        'button',
        {
          class: 'btn',
          disabled: filters.offset === 0,
          on: { click: () => update({ offset: Math.max(0, filters.offset - PAGE_SIZE) }) },
        },
        '← Newer',
      ),
      h(
        'button',
        {
          class: 'btn',
          disabled: filters.offset + PAGE_SIZE >= data.total,
          on: { click: () => update({ offset: filters.offset + PAGE_SIZE }) },
        },
        'Older →',
      ),
    );
    body.replaceChildren(table, data.total > PAGE_SIZE ? pager : '');
  }

  void load(true);
  return () => {
    window.clearTimeout(timer);
    window.clearTimeout(debounce);
    controller?.abort();
  };
}

function rowFor(row: WorkloadRow, now: number): HTMLElement {
  return h(
    'tr',
    { class: 'workload-row', data: { uid: row.workload_uid } },
    h(
      'td',
      null,
      h('a', { href: workloadHref(row.workload_uid), 'data-link': true, class: 'mono uid', text: row.workload_uid }),
      row.namespace ? h('span', { class: 'ns muted small', title: 'Kubernetes namespace', text: row.namespace }) : null,
    ),
    h('td', null, frameworkBadge(row)),
    h('td', { class: 'health-cell' }, healthBadge(row.health ?? 'unknown')),
    h('td', null, stateDot(workloadState(row.runs, row.active_runs, row.last_seen, now))),
    h('td', { title: formatTime(row.last_seen), text: formatAgo(row.last_seen, now) }),
    h('td', { class: 'num', text: formatCount(row.runs) }),
    h('td', { class: 'num', text: formatCount(row.pods) }),
    h('td', { class: 'num', text: formatCount(row.last_step) }),
    h('td', { class: 'num mono last-loss', text: formatValue(decodeNumber(row.last_loss)) }),
  );
}

function select(id: string, allLabel: string, options: string[], value: string): HTMLSelectElement {
  const el = h(
    'select',
    { class: 'input', id, 'aria-label': allLabel },
    h('option', { value: '', text: allLabel }),
    ...options.map((option) => h('option', { value: option, text: option })),
  );
  if (value && !options.includes(value)) el.appendChild(h('option', { value, text: value }));
  el.value = value;
  return el;
}

function mount(root: HTMLElement, ...children: HTMLElement[]): void {
  clear(root);
  root.append(...children);
}
