/** DOM helpers. User text is ALWAYS set with textContent, never innerHTML. */
import type { JSONValue } from '@lumino/coreutils';

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
  ...children: (Node | null)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) {
    node.className = cls;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  for (const c of children) {
    if (c) {
      node.appendChild(c);
    }
  }
  return node;
}

export function badge(stage: string | null | undefined, extra = ''): HTMLElement | null {
  if (!stage) {
    return null;
  }
  const b = h('span', `jp-lifecycle-badge ${extra}`.trim(), stage);
  b.dataset.stage = stage;
  return b;
}

export function clear(node: HTMLElement): void {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}

/** A key/value table; nested values render recursively, all as text. */
export function kvTable(pairs: [string, JSONValue | Node][]): HTMLTableElement {
  const table = h('table', 'jp-lifecycle-kv');
  for (const [k, v] of pairs) {
    const tr = h('tr');
    tr.appendChild(h('th', undefined, k));
    const td = h('td');
    td.appendChild(v instanceof Node ? v : renderJson(v));
    tr.appendChild(td);
    table.appendChild(tr);
  }
  return table;
}

export function renderJson(value: JSONValue | undefined): Node {
  if (value === null || value === undefined) {
    return h('span', 'jp-lifecycle-muted', '-');
  }
  if (Array.isArray(value)) {
    if (value.every(v => typeof v !== 'object' || v === null)) {
      return h('span', undefined, value.map(v => String(v)).join(', ') || '-');
    }
    const ul = h('ul', 'jp-lifecycle-list');
    for (const v of value) {
      ul.appendChild(h('li', undefined, undefined, renderJson(v)));
    }
    return ul;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value) as [string, JSONValue][];
    return entries.length ? kvTable(entries) : h('span', 'jp-lifecycle-muted', '{}');
  }
  return h('span', undefined, String(value));
}

export function section(title: string, ...children: (Node | null)[]): HTMLElement {
  return h('section', 'jp-lifecycle-section', undefined, h('h3', undefined, title), ...children);
}

export function button(text: string, cls: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', `jp-Button jp-mod-styled ${cls}`.trim(), text);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}
