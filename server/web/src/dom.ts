// A tiny element builder: enough to keep page code declarative without a framework.
type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  class?: string;
  text?: string;
  title?: string;
  data?: Record<string, string | number>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
  [attribute: string]: unknown;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) applyAttrs(el, attrs);
  append(el, ...children);
  return el;
}

function applyAttrs(el: HTMLElement, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'data') {
      for (const [name, v] of Object.entries(value as Record<string, string | number>)) el.dataset[name] = String(v);
    } else if (key === 'on') {
      for (const [event, handler] of Object.entries(value as Record<string, EventListener>)) {
        el.addEventListener(event, handler);
      }
    } else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Explicit page states: the same look everywhere, so operators learn it once. */
export function stateBox(kind: 'loading' | 'empty' | 'error', title: string, detail?: Child, action?: Child): HTMLElement {
  return h(
    'div',
    { class: `state state-${kind}`, role: kind === 'error' ? 'alert' : 'status', data: { state: kind } },
    kind === 'loading' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
    h('div', { class: 'state-title', text: title }),
    detail ? h('div', { class: 'state-detail' }, detail) : null,
    action ?? null,
  );
}
