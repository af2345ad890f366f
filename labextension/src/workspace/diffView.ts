/**
 * A diff (`GET diff`) rendered as in the notebook: typed dataset changes, schema changes with `retroactive`
 * marks, params/metrics deltas and the source diff -- never as nested JSON. All user text via textContent.
 */
import type { JSONObject, JSONValue } from '@lumino/coreutils';

import { h, renderJson } from '../widgets/dom';

type Obj = Record<string, JSONValue>;

function obj(v: JSONValue | undefined): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

function arr(v: JSONValue | undefined): JSONValue[] {
  return Array.isArray(v) ? v : [];
}

function text(v: JSONValue | undefined): string {
  if (v === null || v === undefined) {
    return '-';
  }
  if (typeof v === 'number') {
    return String(Number(v.toPrecision(6)));
  }
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A chip: `old` (removed / before), `new` (added / after) or `changed`. Colours from the theme's variables. */
export function chip(value: string, role: 'old' | 'new' | 'changed'): HTMLElement {
  const c = h('span', `jp-lifecycle-chip jp-lifecycle-chip-${role}`, value);
  c.dataset.role = role;
  return c;
}

function table(headers: string[], rows: (string | Node)[][], cls = ''): HTMLTableElement {
  const t = h('table', `jp-lifecycle-grid ${cls}`.trim());
  const head = h('tr');
  for (const x of headers) {
    head.appendChild(h('th', undefined, x));
  }
  t.appendChild(h('thead', undefined, undefined, head));
  const body = h('tbody');
  for (const r of rows) {
    const tr = h('tr');
    for (const cell of r) {
      tr.appendChild(typeof cell === 'string' ? h('td', undefined, cell) : h('td', undefined, undefined, cell));
    }
    body.appendChild(tr);
  }
  t.appendChild(body);
  return t;
}

function block(title: string, key: string, ...children: (Node | null)[]): HTMLElement {
  const s = h('section', 'jp-lifecycle-diff-block', undefined, h('h4', undefined, title), ...children);
  s.dataset.section = key;
  return s;
}

function dictChanges(d: Obj, a: string, b: string): HTMLElement | null {
  const rows: (string | Node)[][] = [];
  for (const [k, v] of Object.entries(obj(d.added))) {
    rows.push([k, '-', chip(text(v), 'new')]);
  }
  for (const [k, v] of Object.entries(obj(d.removed))) {
    rows.push([k, chip(text(v), 'old'), '-']);
  }
  for (const [k, v] of Object.entries(obj(d.changed))) {
    const [o, n] = arr(v);
    rows.push([k, chip(text(o), 'old'), chip(text(n), 'new')]);
  }
  return rows.length ? table(['key', a, b], rows) : null;
}

export function renderDiff(diff: JSONValue): HTMLElement {
  const d = obj(diff);
  const s = obj(d.sections);
  const a = String(d.a ?? 'A');
  const b = String(d.b ?? 'B');
  const root = h('div', 'jp-lifecycle-typed-diff');
  root.dataset.kind = String(d.kind ?? '');
  const types = arr(s.types).map(t => String(t));
  const head = h('div', 'jp-lifecycle-row', undefined, h('span', 'jp-lifecycle-muted', `${a} \u2192 ${b}`));
  for (const t of types) {
    head.appendChild(chip(t, 'changed'));
  }
  if (!types.length && !s.summary_changed) {
    head.appendChild(h('span', 'jp-lifecycle-muted', 'no differences'));
  }
  root.appendChild(head);

  if (s.rows !== undefined) {
    const rows = obj(s.rows);
    const counts: (string | Node)[][] = [['rows', `${text(rows.before)} \u2192 ${text(rows.after)}`]];
    const add = obj(s.additive);
    if (Number(add.count ?? 0) > 0) {
      counts.push(['added rows', chip(`+${text(add.count)}`, 'new')]);
    }
    const rm = obj(s.removal);
    if (Number(rm.count ?? 0) > 0) {
      counts.push(['removed rows', chip(`-${text(rm.count)}`, 'old')]);
    }
    const co = obj(s.corrective);
    if (Number(co.count ?? 0) > 0) {
      counts.push(['corrected labels', chip(text(co.count), 'changed')]);
    }
    for (const [col, n] of Object.entries(obj(s.feature_edits))) {
      counts.push([`feature edit: ${col}`, `${text(n)} cells`]);
    }
    root.appendChild(block('Dataset changes', 'dataset', table(['change', 'count'], counts)));
    for (const [col, rowsOf] of Object.entries(obj(obj(s.samples).changed))) {
      const sample = arr(rowsOf).map(r => {
        const [k, o, n] = arr(r);
        return [text(k), chip(text(o), 'old'), chip(text(n), 'new')] as (string | Node)[];
      });
      root.appendChild(block(`Sample changes: ${col}`, 'samples', table(['key', 'old', 'new'], sample)));
    }
    const sch = obj(s.schema);
    if (Object.values(sch).some(v => (Array.isArray(v) ? v.length : v && Object.keys(obj(v)).length))) {
      root.appendChild(block('Schema', 'schema', renderJson(sch as JSONObject)));
    }
  }
  const classChanges = arr(s.class_changes);
  if (classChanges.length) {
    const rows = classChanges.map(c => {
      const o = obj(c);
      const effect = o.retroactive
        ? h('span', 'jp-lifecycle-retroactive', 'retroactive')
        : h('span', 'jp-lifecycle-muted', 'additive');
      return [
        text(o.type),
        arr(o.old).map(x => String(x)).join(', ') || '-',
        arr(o.new).map(x => String(x)).join(', ') || '-',
        effect,
        text(o.detail ?? '')
      ] as (string | Node)[];
    });
    root.appendChild(block('Class changes', 'classes', table(['change', 'old', 'new', 'effect', 'detail'], rows)));
  }
  const metrics = arr(s.metrics);
  if (metrics.length) {
    const rows = metrics.map(m => {
      const o = obj(m);
      const better = o.better;
      const arrow = o.direction === 'up' ? '\u25b2' : o.direction === 'down' ? '\u25bc' : '=';
      const delta = o.delta === null || o.delta === undefined ? '' : `${arrow} ${text(o.delta)}`;
      return [
        text(o.metric),
        text(o.old),
        text(o.new),
        better === true ? chip(delta, 'new') : better === false ? chip(delta, 'old') : delta
      ] as (string | Node)[];
    });
    root.appendChild(block('Metrics', 'metrics', table(['metric', a, b, 'delta'], rows)));
  }
  for (const [title, key] of [
    ['Params', 'params'],
    ['Metadata', 'metadata'],
    ['Environment', 'env'],
    ['Summary', 'summary']
  ]) {
    const t = dictChanges(obj(s[key]), a, b);
    if (t) {
      root.appendChild(block(title, key, t));
    }
  }
  const inputs = arr(s.inputs);
  if (inputs.length) {
    const rows = inputs.map(i => {
      const o = obj(i);
      return [text(o.asset), text(o.change), text(o.old), text(o.new)];
    });
    root.appendChild(block('Inputs', 'inputs', table(['asset', 'change', a, b], rows)));
  }
  if (typeof s.source === 'string' && s.source) {
    const pre = h('pre', 'jp-lifecycle-source-diff');
    for (const line of s.source.split('\n')) {
      const cls = line.startsWith('+') && !line.startsWith('+++') ? 'new' : line.startsWith('-') && !line.startsWith('---') ? 'old' : '';
      const span = h('span', cls ? `jp-lifecycle-line-${cls}` : undefined, `${line}\n`);
      pre.appendChild(span);
    }
    root.appendChild(block('Source', 'source', pre));
  }
  if (s.chunks !== undefined) {
    const c = obj(s.chunks);
    root.appendChild(block('Stored chunks', 'chunks', h('span', undefined, `${text(c.changed)} of ${text(c.total)} changed`)));
  }
  return root;
}
