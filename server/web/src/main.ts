// Dashboard entry: the shell (top bar) and the router that swaps pages.
import 'uplot/dist/uPlot.min.css';
import '../styles.css';
import { h, stateBox } from './dom.js';
import { renderList } from './pages/list.js';
import { renderWorkload } from './pages/workload.js';
import { interceptLinks, onNavigate, parseRoute } from './router.js';
import { mountSession } from './session.js';

const app = document.getElementById('app') as HTMLElement;
const main = h('main', { class: 'content' });
const session = h('div', { class: 'session', id: 'session' });
app.replaceChildren(
  h(
    'header',
    { class: 'topbar' },
    h('a', { href: '/', 'data-link': true, class: 'brand' }, h('span', { class: 'brand-mark', text: '◆' }), 'Primus Lens'),
    h('span', { class: 'muted', text: 'training telemetry' }),
    session,
  ),
  main,
);
mountSession(session);

let dispose: () => void = () => undefined;

function show(): void {
  dispose();
  const route = parseRoute();
  window.scrollTo(0, 0);
  if (route.page === 'list') {
    document.title = 'Workloads · Primus Lens';
    dispose = renderList(main, route.params);
  } else if (route.page === 'workload') {
    document.title = `${route.uid} · Primus Lens`;
    dispose = renderWorkload(main, route.uid, route.params);
  } else {
    document.title = 'Not found · Primus Lens';
    main.replaceChildren(
      stateBox(
        'empty',
        `No page at ${route.path}.`,
        undefined,
        h('a', { href: '/', 'data-link': true, class: 'btn' }, 'All workloads'),
      ),
    );
    dispose = () => undefined;
  }
}

interceptLinks(document.body);
onNavigate(show);
show();
