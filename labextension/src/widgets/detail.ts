/** The detail of one version: creation record, metrics, lineage neighbours, deployment, promotion, diff. */
import { Widget } from '@lumino/widgets';
import type { JSONObject, JSONValue } from '@lumino/coreutils';

import { LifecycleModel } from '../model';
import { badge, button, clear, h, kvTable, renderJson, section } from './dom';
import { promotionView } from './promotion';

export class VersionDetail extends Widget {
  constructor(model: LifecycleModel) {
    super();
    this.model = model;
    this.addClass('jp-lifecycle-detail');
    model.detailChanged.connect(this.render, this);
    this.render();
  }

  readonly model: LifecycleModel;

  /** Opens a version in the main-area workspace; set by the panel. */
  onOpenWorkspace: (ref: string) => void = () => undefined;

  render(): void {
    const root = this.node;
    clear(root);
    const d = this.model.detail;
    if (!d) {
      this.hide();
      return;
    }
    this.show();
    const r = d.record;
    root.dataset.ref = r.ref;
    const title = h('div', 'jp-lifecycle-detail-title', undefined, h('h2', undefined, r.ref));
    const stage = badge(r.stage);
    if (stage) {
      stage.classList.add('jp-lifecycle-current-stage');
      title.appendChild(stage);
    }
    if (r.retired) {
      title.appendChild(badge('retired', 'jp-lifecycle-badge-retired') as HTMLElement);
    }
    title.appendChild(
      button('Open in workspace', 'jp-lifecycle-open-in-workspace', () => this.onOpenWorkspace(r.ref))
    );
    title.appendChild(button('Close', 'jp-mod-reject jp-lifecycle-close', () => this.model.closeDetail()));
    root.appendChild(title);

    const created: [string, JSONValue][] = [
      ['created', `${r.created_at} by ${r.author}`],
      ['content', `${r.object_type} (${r.size} bytes)`],
      ['hash', r.content_hash],
      ['parent', r.parent ?? '-'],
      ['tags', r.tags],
      ['note', r.note || '-'],
      ['summary', r.summary],
      ['signature', r.signature ? signatureText(r.signature) : '-'],
      ['params', r.params],
      ['metadata', r.metadata],
      ['record', r.record]
    ];
    root.appendChild(section('Creation record', kvTable(created)));
    root.appendChild(
      section('Metrics', Object.keys(r.metrics).length ? renderJson(r.metrics) : h('p', 'jp-lifecycle-muted', 'none'))
    );
    root.appendChild(section('Lineage', this._lineage()));
    root.appendChild(
      section('Deployment', r.deployment ? renderJson(r.deployment) : h('p', 'jp-lifecycle-muted', 'not deployed'))
    );
    root.appendChild(promotionView(this.model));
    root.appendChild(this._diffView());
    root.appendChild(section('History', this._history()));
  }

  private _history(): HTMLElement {
    const events = this.model.detail?.history;
    if (!events || !events.length) {
      return h('p', 'jp-lifecycle-muted', events ? 'no events' : 'unavailable');
    }
    const ul = h('ul', 'jp-lifecycle-history');
    for (const e of [...events].reverse()) {
      const li = h('li', 'jp-lifecycle-event');
      li.dataset.action = e.action;
      const move = e.to_stage ? ` \u2192 ${e.to_stage}` : '';
      li.appendChild(h('span', 'jp-lifecycle-muted', `${e.time.slice(0, 16)} `));
      li.appendChild(h('span', 'jp-lifecycle-event-action', `${e.action}${move}`));
      li.appendChild(h('span', undefined, ` by ${e.actor}`));
      if (e.reason) {
        li.appendChild(h('div', 'jp-lifecycle-event-reason', e.reason));
      }
      ul.appendChild(li);
    }
    return ul;
  }

  private _lineage(): HTMLElement {
    const lin = this.model.detail?.lineage;
    if (!lin) {
      return h('p', 'jp-lifecycle-muted', 'unavailable');
    }
    const up = lin.edges.filter(e => e[1] === lin.root).map(e => e[0]);
    const down = lin.edges.filter(e => e[0] === lin.root).map(e => e[1]);
    const list = (refs: string[]) => {
      if (!refs.length) {
        return h('span', 'jp-lifecycle-muted', 'none');
      }
      const ul = h('ul', 'jp-lifecycle-list');
      for (const ref of refs) {
        const a = h('a', 'jp-lifecycle-link', ref);
        a.href = '#';
        a.addEventListener('click', e => {
          e.preventDefault();
          void this.model.select(ref);
        });
        ul.appendChild(h('li', undefined, undefined, a, badge(lin.nodes[ref]?.stage)));
      }
      return ul;
    };
    return kvTable([
      ['made from', list(up)],
      ['used by', list(down)]
    ]);
  }

  private _diffView(): HTMLElement {
    const bar = h(
      'div',
      'jp-lifecycle-row',
      undefined,
      button('vs parent', '', () => void this.model.showDiff('parent')),
      button('vs production', '', () => void this.model.showDiff('production'))
    );
    const state = this.model.diff;
    let body: Node | null = null;
    if (state) {
      body = state.error
        ? h('p', 'jp-lifecycle-bad', state.error)
        : h(
            'div',
            'jp-lifecycle-diff',
            undefined,
            h('div', 'jp-lifecycle-muted', `${state.other} \u2192 ${this.model.detail?.record.ref}`),
            renderJson(state.diff ?? null)
          );
    }
    return section('Diff', bar, body);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.detailChanged.disconnect(this.render, this);
    super.dispose();
  }
}

/** `(age: float64, ...) -> (prediction: int64)` from a stored model signature. */
export function signatureText(sig: JSONObject): string {
  const cols = (v: JSONValue | undefined): string =>
    Array.isArray(v)
      ? v
          .map(c => {
            const o = c as JSONObject;
            return `${String(o.name)}: ${String(o.dtype)}`;
          })
          .join(', ')
      : '';
  return `(${cols(sig.inputs)}) -> (${cols(sig.outputs) || '?'})`;
}
