/**
 * The version page's lineage graph, drawn as SVG: nodes layered left to right by depth from the version (the
 * server's `columns`: upstream data and label schemas on the left, downstream models on the right), edges as
 * curves with arrowheads. Every colour is a JupyterLab CSS variable (see style/base.css), so the graph reads in
 * the light and dark themes. Nodes other than the version itself open that version's page. User text goes in
 * through textContent only.
 */
import { ILineage } from '../tokens';
import { h } from '../widgets/dom';

const SVG = 'http://www.w3.org/2000/svg';
/** Node box size and the gaps between columns and rows (px). */
export const NODE_W = 200;
export const NODE_H = 44;
const GAP_X = 64;
const GAP_Y = 12;
const PAD = 8;
/** Nodes drawn per column; the rest are counted in a "+N more" box (a popular dataset has many users). */
export const MAX_PER_COLUMN = 12;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, String(v));
  }
  return node;
}

function clip(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}\u2026`;
}

/** Layers: the server's columns, or (from an older server) upstream | root | downstream. */
function layers(lin: ILineage): string[][] {
  if (Array.isArray(lin.columns) && lin.columns.length) {
    return lin.columns;
  }
  return [lin.upstream ?? [], [lin.root], lin.downstream ?? []].filter(c => c.length);
}

export function lineageGraph(lin: ILineage, open: (ref: string) => void): HTMLElement {
  const wrap = h('div', 'jp-lifecycle-lineage-graph');
  wrap.dataset.root = lin.root;
  const cols = layers(lin).map(col => {
    const shown = col.slice(0, MAX_PER_COLUMN);
    return { shown, more: col.length - shown.length };
  });
  const pos = new Map<string, { x: number; y: number; col: number }>();
  let rows = 1;
  cols.forEach((c, i) => {
    c.shown.forEach((ref, j) => pos.set(ref, { x: PAD + i * (NODE_W + GAP_X), y: PAD + j * (NODE_H + GAP_Y), col: i }));
    rows = Math.max(rows, c.shown.length + (c.more ? 1 : 0));
  });
  const width = PAD * 2 + cols.length * (NODE_W + GAP_X) - GAP_X;
  const height = PAD * 2 + rows * (NODE_H + GAP_Y) - GAP_Y;
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'group' });
  svg.setAttribute('aria-label', `Lineage of ${lin.root}`);
  svg.classList.add('jp-lifecycle-lineage-svg');
  const defs = el('defs');
  const marker = el('marker', {
    id: 'jp-lifecycle-arrow',
    viewBox: '0 0 10 10',
    refX: 10,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse'
  });
  marker.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'jp-lifecycle-lineage-arrow' }));
  defs.appendChild(marker);
  svg.appendChild(defs);

  // edges first, under the nodes: right side of the input to the left side of the output
  for (const [a, b] of lin.edges) {
    const p = pos.get(a);
    const q = pos.get(b);
    if (!p || !q) {
      continue;
    }
    let d: string;
    if (q.col > p.col) {
      const x1 = p.x + NODE_W;
      const y1 = p.y + NODE_H / 2;
      const x2 = q.x;
      const y2 = q.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
    } else {
      // both in one layer (an input of an input also used directly): a loop on the left side
      const x = p.x;
      const y1 = p.y + NODE_H / 2;
      const y2 = q.y + NODE_H / 2;
      d = `M${x},${y1} C${x - GAP_X / 2},${y1} ${x - GAP_X / 2},${y2} ${x},${y2}`;
    }
    const path = el('path', { d, class: 'jp-lifecycle-lineage-edge', 'marker-end': 'url(#jp-lifecycle-arrow)' });
    path.dataset.from = a;
    path.dataset.to = b;
    svg.appendChild(path);
  }

  for (const [ref, { x, y }] of pos) {
    const info = lin.nodes[ref];
    const root = ref === lin.root;
    const g = el('g', { transform: `translate(${x},${y})` });
    g.classList.add('jp-lifecycle-ws-node', 'jp-lifecycle-lineage-node');
    if (root) {
      g.classList.add('jp-mod-root');
    }
    g.dataset.ref = ref;
    g.dataset.kind = info?.kind ?? ref.split(':')[0];
    const title = el('title');
    title.textContent = root ? `${ref} (this version)` : `${ref}: open its page`;
    g.appendChild(title);
    g.appendChild(el('rect', { width: NODE_W, height: NODE_H, rx: 6, class: 'jp-lifecycle-lineage-box' }));
    const kind = el('text', { x: 8, y: 15, class: 'jp-lifecycle-lineage-kind' });
    kind.textContent = info?.kind ?? ref.split(':')[0];
    g.appendChild(kind);
    const name = el('text', { x: 8, y: 34, class: 'jp-lifecycle-lineage-name' });
    name.textContent = clip(ref.slice(ref.indexOf(':') + 1), 26);
    g.appendChild(name);
    const stage = info?.retired ? 'retired' : info?.stage;
    if (stage) {
      const label = clip(stage, 12);
      const w = 8 + label.length * 6.2;
      const badge = el('g', { class: 'jp-lifecycle-lineage-stage' });
      badge.dataset.stage = stage;
      badge.appendChild(el('rect', { x: NODE_W - w - 6, y: 4, width: w, height: 15, rx: 7 }));
      const t = el('text', { x: NODE_W - 6 - w / 2, y: 15, 'text-anchor': 'middle' });
      t.textContent = label;
      badge.appendChild(t);
      g.appendChild(badge);
    }
    if (!root) {
      g.setAttribute('role', 'link');
      g.setAttribute('tabindex', '0');
      g.setAttribute('aria-label', `Open ${ref}`);
      g.addEventListener('click', () => open(ref));
      g.addEventListener('keydown', e => {
        if (e.key === 'Enter') {
          open(ref);
        }
      });
    } else {
      g.setAttribute('aria-current', 'page');
    }
    svg.appendChild(g);
  }
  cols.forEach((c, i) => {
    if (c.more) {
      const t = el('text', {
        x: PAD + i * (NODE_W + GAP_X) + 8,
        y: PAD + c.shown.length * (NODE_H + GAP_Y) + 18,
        class: 'jp-lifecycle-lineage-more'
      });
      t.textContent = `+${c.more} more`;
      svg.appendChild(t);
    }
  });
  wrap.appendChild(svg);
  if (!lin.edges.length) {
    wrap.appendChild(h('p', 'jp-lifecycle-muted', 'No lineage recorded: this version has no inputs and no users.'));
  }
  return wrap;
}
