// The top bar's account area: whose token the dashboard holds (its name, scope and namespaces,
// so a team sees why the list holds only its workloads), and "Log out", which forgets the
// token and returns to the list, where the server asks for one again.
import { ApiError, api, savedToken, saveToken, TOKEN_CHANGED } from './api.js';
import { h } from './dom.js';
import { navigate } from './router.js';
import type { Whoami } from './types.js';

export function mountSession(root: HTMLElement): void {
  let controller: AbortController | null = null;

  const render = (who: Whoami | null): void => {
    if (who === null || (who.mode === 'open' && !savedToken())) {
      root.replaceChildren(
        who?.mode === 'open'
          ? h('span', { class: 'muted small', id: 'session-open', text: 'open server: no token required' })
          : '',
      );
      return;
    }
    const where = who.namespaces.length > 0 ? who.namespaces.join(', ') : 'all namespaces';
    root.replaceChildren(
      h(
        'span',
        { class: 'session-who', id: 'session-who', title: who.id ? `token id ${who.id}` : '' },
        h('span', { class: 'session-name', text: who.name }),
        h('span', { class: 'scope-chip', id: 'session-scope', text: who.scope }),
        h('span', { class: 'muted', id: 'session-namespaces', text: where }),
      ),
      h('button', { class: 'btn', id: 'logout', on: { click: logout } }, 'Log out'),
    );
  };

  const refresh = async (): Promise<void> => {
    controller?.abort();
    controller = new AbortController();
    try {
      render(await api.whoami(controller.signal));
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      // 401: the page itself shows the token form; nothing to show here.
      if (err instanceof ApiError) render(null);
    }
  };

  window.addEventListener(TOKEN_CHANGED, () => void refresh());
  void refresh();
}

function logout(): void {
  saveToken('');
  navigate('/');
}
