// URL ⇄ page. Every page state worth sharing lives in the URL, so deep links work:
//   /                         workloads list   (?q=&framework=&status=&offset=)
//   /workloads/<uid>          workload page    (?metric=loss&smoothing=0.6&x=step)
export type Route =
  | { page: 'list'; params: URLSearchParams }
  | { page: 'workload'; uid: string; params: URLSearchParams }
  | { page: 'not-found'; path: string };

export function parseRoute(loc: Location = window.location): Route {
  const params = new URLSearchParams(loc.search);
  const path = loc.pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/workloads') return { page: 'list', params };
  const match = /^\/workloads\/(.+)$/.exec(path);
  if (match?.[1]) {
    try {
      return { page: 'workload', uid: decodeURIComponent(match[1]), params };
    } catch {
      return { page: 'not-found', path };
    }
  }
  return { page: 'not-found', path };
}

export function workloadHref(uid: string, params?: Record<string, string>): string {
  const search = params ? new URLSearchParams(params).toString() : '';
  return `/workloads/${encodeURIComponent(uid)}${search ? `?${search}` : ''}`;
}

type Listener = () => void;
const listeners: Listener[] = [];

export function onNavigate(listener: Listener): void {
  listeners.push(listener);
}

export function navigate(href: string): void {
  history.pushState(null, '', href);
  for (const listener of listeners) listener();
}

/** Update the query string in place (no new history entry, no re-render). */
export function replaceParams(update: Record<string, string | null>): void {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(update)) {
    if (value === null || value === '') url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  history.replaceState(null, '', url.pathname + url.search);
}

/** Same-origin links marked data-link navigate without a page load. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a[data-link]');
    if (!(anchor instanceof HTMLAnchorElement)) return;
    event.preventDefault();
    navigate(anchor.getAttribute('href') || '/');
  });
  window.addEventListener('popstate', () => {
    for (const listener of listeners) listener();
  });
}
