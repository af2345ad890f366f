/**
 * The Lifecycle workspace in JupyterLab's main area: the asset table (sort, filter, search, paged through the
 * REST API), the review inbox, and a version page laid out for a wide area.
 */
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import type { JSONValue } from '@lumino/coreutils';

import { LifecycleModel, errorText } from '../model';
import { IInboxItem } from '../tokens';
import { badge, button, clear, h, kvTable, renderJson } from '../widgets/dom';
import { promotionView } from '../widgets/promotion';
import { askReason } from '../widgets/reasonDialog';
import { renderDiff } from './diffView';
import { lineageGraph } from './lineageGraph';
import { SortKey, WorkspaceModel } from './model';

export type WorkspaceView = 'assets' | 'inbox' | 'version';

const COLUMNS: [SortKey | null, string, keyof import('./model').ITableRow][] = [
  ['kind', 'Kind', 'kind'],
  ['name', 'Name', 'name'],
  ['latest', 'Latest', 'latest'],
  ['stages', 'Stages', 'stages'],
  ['owner', 'Owner', 'owner'],
  [null, 'Key metrics', 'metrics'],
  ['changed_at', 'Last change', 'changed_at']
];

export class LifecycleWorkspace extends Widget {
  constructor(model: WorkspaceModel, version: LifecycleModel) {
    super();
    this.model = model;
    this.version = version;
    this.id = 'jp-lifecycle-workspace';
    this.addClass('jp-lifecycle-workspace');
    this.title.label = 'Lifecycle';
    this.title.closable = true;
    this._tabs = h('nav', 'jp-lifecycle-ws-tabs');
    this._body = h('div', 'jp-lifecycle-ws-body');
    this.node.appendChild(this._tabs);
    this.node.appendChild(this._body);
    this._assetsBody = h('div', 'jp-lifecycle-ws-assets-body');
    this._assetsRoot = h('div', 'jp-lifecycle-ws-assets', undefined, this._assetsToolbar(), this._assetsBody);
    model.tableChanged.connect(this._renderIfShown('assets'), this);
    model.inboxChanged.connect(this._onInbox, this);
    version.detailChanged.connect(this._renderIfShown('version'), this);
    version.messageChanged.connect(this._renderIfShown('version'), this);
    this.render();
  }

  readonly model: WorkspaceModel;
  readonly version: LifecycleModel;

  get view(): WorkspaceView {
    return this._view;
  }

  show_(view: WorkspaceView): void {
    this._view = view;
    this.render();
  }

  /** Open a version's page (from the table, the inbox, the sidebar or a notification). */
  async openVersion(ref: string): Promise<void> {
    this._view = 'version';
    if (this.version.detail?.record.ref !== ref) {
      this.version.clearMessage();
    }
    this._diffOther = null;
    this._diff = null;
    this._diffError = null;
    this.render();
    await this.version.select(ref);
  }

  render(): void {
    this._renderTabs();
    this._body.dataset.view = this._view;
    if (this._view === 'assets') {
      if (this._body.firstChild !== this._assetsRoot) {
        clear(this._body);
        this._body.appendChild(this._assetsRoot);
      }
      this._assets();
      return;
    }
    clear(this._body);
    if (this._view === 'inbox') {
      this._body.appendChild(this._inbox());
    } else {
      this._body.appendChild(this._versionPage());
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    // the workspace model is the plugin's (its notifications go on after this tab closes): only let go of it
    Signal.disconnectReceiver(this);
    this.version.dispose();
    super.dispose();
  }

  private _renderIfShown(view: WorkspaceView): () => void {
    return () => {
      if (this._view === view) {
        this.render();
      }
    };
  }

  private _onInbox(): void {
    this._renderTabs();
    if (this._view === 'inbox') {
      this.render();
    }
  }

  private _renderTabs(): void {
    clear(this._tabs);
    const tab = (view: WorkspaceView, text: string) => {
      const b = button(text, `jp-lifecycle-ws-tab${this._view === view ? ' jp-mod-current' : ''}`, () =>
        this.show_(view)
      );
      b.dataset.view = view;
      b.setAttribute('aria-pressed', String(this._view === view));
      return b;
    };
    this._tabs.appendChild(tab('assets', 'Assets'));
    const n = this.model.inbox.length;
    this._tabs.appendChild(tab('inbox', n ? `Review inbox (${n})` : 'Review inbox'));
    const rec = this.version.detail?.record;
    if (rec) {
      this._tabs.appendChild(tab('version', rec.ref));
    }
    if (this.model.user) {
      this._tabs.appendChild(h('span', 'jp-lifecycle-muted jp-lifecycle-ws-user', `signed in as ${this.model.user}`));
    }
  }

  // -- the asset table -----------------------------------------------------------------------------
  /** The toolbar (search, filter, kind) is built once: re-rendering the rows never drops what is being typed
   * or the focus (a background page load or a change seen by the watcher re-renders the table). */
  private _assetsToolbar(): HTMLElement {
    const search = h('input', 'jp-mod-styled jp-lifecycle-ws-search');
    search.type = 'search';
    search.placeholder = 'Search: metrics.accuracy > 0.9 and params.C = 0.5  (Enter)';
    search.setAttribute('aria-label', 'Search versions with a query');
    search.value = this.model.query; // a reopened tab shows what the (shared) model still applies
    search.addEventListener('keydown', e => {
      if (e.key === 'Enter') {
        void this.model.setQuery(search.value);
      }
    });
    const filter = h('input', 'jp-mod-styled jp-lifecycle-ws-filter');
    filter.type = 'search';
    filter.placeholder = 'Filter rows';
    filter.setAttribute('aria-label', 'Filter the table');
    filter.value = this.model.filter;
    filter.addEventListener('input', () => {
      this.model.setFilter(filter.value);
    });
    const kind = h('select', 'jp-mod-styled jp-lifecycle-ws-kind');
    kind.setAttribute('aria-label', 'Kind');
    kind.addEventListener('change', () => this.model.setKind(kind.value));
    this._kindSelect = kind;
    return h('div', 'jp-lifecycle-ws-toolbar', undefined, search, filter, kind);
  }

  private _syncKinds(): void {
    const kinds = ['', ...this.model.kinds];
    if (kinds.join('\n') === this._kindsShown) {
      return;
    }
    this._kindsShown = kinds.join('\n');
    clear(this._kindSelect);
    for (const k of kinds) {
      const o = h('option', undefined, k || 'all kinds');
      o.value = k;
      o.selected = k === this.model.kind;
      this._kindSelect.appendChild(o);
    }
  }

  private _assets(): HTMLElement {
    this._syncKinds();
    const root = this._assetsBody;
    clear(root);
    if (this.model.searchError) {
      const err = h('pre', 'jp-lifecycle-ws-search-error jp-lifecycle-bad', this.model.searchError);
      err.setAttribute('role', 'alert');
      root.appendChild(err);
    }
    if (this.model.error) {
      root.appendChild(h('p', 'jp-lifecycle-bad', this.model.error));
    }
    const rows = this.model.rows();
    const { rows: loaded, pages } = this.model.loaded;
    const status = this.model.query
      ? `${rows.length} version(s) match`
      : `${rows.length} of ${loaded} assets${this.model.loading ? ' (loading\u2026)' : ''} \u00b7 ${pages} page(s)`;
    root.appendChild(h('div', 'jp-lifecycle-muted jp-lifecycle-ws-count', status));

    const table = h('table', 'jp-lifecycle-grid jp-lifecycle-ws-table');
    const head = h('tr');
    const sort = this.model.sort;
    for (const [key, label] of COLUMNS) {
      const th = h('th');
      if (key) {
        const arrow = sort.key === key ? (sort.descending ? ' \u25bc' : ' \u25b2') : '';
        const b = h('button', 'jp-lifecycle-ws-sort', `${label}${arrow}`);
        b.type = 'button';
        b.dataset.sort = key;
        b.addEventListener('click', () => this.model.setSort(key));
        th.appendChild(b);
        th.setAttribute('aria-sort', sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none');
      } else {
        th.textContent = label;
      }
      head.appendChild(th);
    }
    table.appendChild(h('thead', undefined, undefined, head));
    const body = h('tbody');
    // render what fits a screen first; the rest follows on demand (thousands of rows stay responsive)
    const shown = rows.slice(0, this._rowLimit);
    for (const r of shown) {
      const tr = h('tr', 'jp-lifecycle-ws-row');
      tr.dataset.ref = r.ref;
      tr.dataset.asset = r.asset;
      tr.tabIndex = 0;
      tr.addEventListener('click', () => void this.openVersion(r.ref));
      tr.addEventListener('keydown', e => {
        if (e.key === 'Enter') {
          void this.openVersion(r.ref);
        }
      });
      for (const [, , field] of COLUMNS) {
        const td = h('td');
        if (field === 'stages') {
          for (const s of r.stages ? r.stages.split(', ') : []) {
            const b = badge(s.split(' ')[0]);
            if (b) {
              b.textContent = s;
              td.appendChild(b);
            }
          }
        } else if (field === 'latest') {
          td.textContent = `v${r.latest}`;
        } else if (field === 'changed_at') {
          td.textContent = r.changed_at.slice(0, 16).replace('T', ' ');
        } else {
          td.textContent = String(r[field]);
        }
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    table.appendChild(body);
    root.appendChild(table);
    if (rows.length > shown.length) {
      root.appendChild(
        button(`Show ${Math.min(200, rows.length - shown.length)} more of ${rows.length - shown.length}`, 'jp-lifecycle-ws-more', () => {
          this._rowLimit += 200;
          this.render();
        })
      );
    }
    return root;
  }

  // -- the review inbox ----------------------------------------------------------------------------
  private _inbox(): HTMLElement {
    const root = h('div', 'jp-lifecycle-ws-inbox');
    if (this.model.inboxError) {
      root.appendChild(h('p', 'jp-lifecycle-bad', this.model.inboxError));
    }
    const items = this.model.inbox;
    if (!items.length) {
      root.appendChild(h('p', 'jp-lifecycle-muted jp-lifecycle-ws-empty', 'Nothing awaits your review.'));
      return root;
    }
    const list = h('ul', 'jp-lifecycle-ws-inbox-list');
    for (const item of items) {
      list.appendChild(this._inboxItem(item));
    }
    root.appendChild(list);
    return root;
  }

  private _inboxItem(item: IInboxItem): HTMLElement {
    const li = h('li', 'jp-lifecycle-ws-item');
    li.dataset.ref = item.ref;
    li.dataset.type = item.type;
    const label = { request: 'Approval requested', soak: 'Soak period ended', alert: 'Monitoring alert' }[item.type];
    const link = h('a', 'jp-lifecycle-link', item.ref);
    link.href = '#';
    link.addEventListener('click', e => {
      e.preventDefault();
      void this.openVersion(item.ref);
    });
    const head = h('div', 'jp-lifecycle-row', undefined, h('span', 'jp-lifecycle-ws-item-type', label), link);
    if (item.to) {
      head.appendChild(h('span', undefined, '\u2192'));
      head.appendChild(badge(item.to) as HTMLElement);
    }
    head.appendChild(h('span', 'jp-lifecycle-muted', item.status));
    li.appendChild(head);
    if (item.by) {
      li.appendChild(
        h('div', 'jp-lifecycle-muted', `requested by ${item.by}${item.at ? ` on ${item.at.slice(0, 16).replace('T', ' ')}` : ''}`)
      );
    }
    if (item.reason) {
      li.appendChild(h('div', 'jp-lifecycle-event-reason', item.reason));
    }
    for (const w of item.waiting_on) {
      li.appendChild(h('div', 'jp-lifecycle-why', `waiting on ${w}`));
    }
    if (item.type === 'request' && item.to) {
      const to = item.to;
      const act = (action: 'approve' | 'reject') => async () => {
        const input = await askReason(
          action === 'approve' ? 'Approve' : 'Reject',
          `${action === 'approve' ? 'Approve' : 'Reject'} ${item.ref} \u2192 ${to}`,
          action === 'approve' ? 'Approve' : 'Reject'
        );
        if (input === null) {
          return;
        }
        try {
          await this.model.client.act(action, { ref: item.ref, to, reason: input.reason });
          this._flash = `${action === 'approve' ? 'Approved' : 'Rejected'} ${item.ref} \u2192 ${to}.`;
        } catch (e) {
          this._flash = `${action} failed: ${errorText(e)}`;
        }
        await this.model.loadInbox();
        this.render();
      };
      li.appendChild(
        h(
          'div',
          'jp-lifecycle-row',
          undefined,
          button('Approve', 'jp-mod-accept jp-lifecycle-ws-approve', act('approve')),
          button('Reject', 'jp-mod-warn jp-lifecycle-ws-reject', act('reject'))
        )
      );
    }
    return li;
  }

  // -- the version page ----------------------------------------------------------------------------
  private _versionPage(): HTMLElement {
    const d = this.version.detail;
    const root = h('div', 'jp-lifecycle-ws-version');
    if (!d) {
      root.appendChild(h('p', 'jp-lifecycle-muted', 'Loading\u2026'));
      return root;
    }
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
    root.appendChild(title);
    const msg = this.version.message;
    if (msg) {
      // the message alone: the gate report is shown once, in the Promotion card below
      const m = h('div', 'jp-lifecycle-status jp-lifecycle-ws-message', msg.report ? msg.text.split('\n')[0] : msg.text);
      m.dataset.level = msg.level;
      root.appendChild(m);
    }
    if (this._flash) {
      root.appendChild(h('div', 'jp-lifecycle-muted', this._flash));
      this._flash = '';
    }
    const grid = h('div', 'jp-lifecycle-ws-grid');
    const card = (name: string, key: string, ...children: (Node | null)[]) => {
      const c = h('section', 'jp-lifecycle-ws-card', undefined, h('h3', undefined, name), ...children);
      c.dataset.card = key;
      grid.appendChild(c);
      return c;
    };
    card(
      'Creation record',
      'record',
      kvTable([
        ['created', `${r.created_at.slice(0, 19).replace('T', ' ')} by ${r.author}`],
        ['content', `${r.object_type} (${r.size.toLocaleString()} bytes)`],
        ['hash', r.content_hash],
        ['parent', r.parent ?? '-'],
        ['tags', r.tags],
        ['note', r.note || '-'],
        ['params', r.params],
        ['metadata', r.metadata]
      ])
    );
    const metrics = Object.entries(r.metrics);
    card(
      'Metrics',
      'metrics',
      metrics.length
        ? kvTable(metrics.map(([k, v]) => [k, v] as [string, JSONValue]))
        : h('p', 'jp-lifecycle-muted', 'none recorded')
    );
    card('Signature', 'signature', Object.keys(r.summary).length ? renderJson(r.summary) : h('p', 'jp-lifecycle-muted', '-'));
    card('Lineage', 'lineage', this._lineage()).classList.add('jp-lifecycle-ws-wide');
    const promo = promotionView(this.version);
    promo.classList.add('jp-lifecycle-ws-card');
    promo.dataset.card = 'promotion';
    grid.appendChild(promo);
    card('Deployment', 'deployment', r.deployment ? renderJson(r.deployment) : h('p', 'jp-lifecycle-muted', 'not deployed'));
    const timeline = card('Audit timeline', 'timeline', this._timeline());
    timeline.classList.add('jp-lifecycle-ws-wide');
    const diff = card('Diff', 'diff', this._diffBar(), this._diffBody());
    diff.classList.add('jp-lifecycle-ws-wide');
    root.appendChild(grid);
    return root;
  }

  private _lineage(): HTMLElement {
    const lin = this.version.detail?.lineage;
    if (!lin) {
      return h('p', 'jp-lifecycle-muted', 'unavailable');
    }
    const legend = h(
      'div',
      'jp-lifecycle-muted jp-lifecycle-lineage-legend',
      `made from (left) \u2192 ${lin.root} \u2192 used by (right); click a node to open its page`
    );
    return h('div', 'jp-lifecycle-ws-lineage', undefined, legend, lineageGraph(lin, ref => void this.openVersion(ref)));
  }

  private _timeline(): HTMLElement {
    const events = this.version.detail?.history;
    if (!events || !events.length) {
      return h('p', 'jp-lifecycle-muted', events ? 'no events' : 'unavailable');
    }
    const ol = h('ol', 'jp-lifecycle-ws-timeline');
    for (const e of [...events].reverse()) {
      const li = h('li', 'jp-lifecycle-event');
      li.dataset.action = e.action;
      li.dataset.actor = e.actor;
      const move = e.to_stage ? ` \u2192 ${e.to_stage}` : '';
      li.appendChild(h('span', 'jp-lifecycle-muted', `#${e.seq} ${e.time.slice(0, 16).replace('T', ' ')} `));
      li.appendChild(h('span', 'jp-lifecycle-event-action', `${e.action}${move}`));
      li.appendChild(h('span', undefined, ` by ${e.actor}`));
      if (e.reason) {
        li.appendChild(h('div', 'jp-lifecycle-event-reason', e.reason));
      }
      ol.appendChild(li);
    }
    return ol;
  }

  private _diffBar(): HTMLElement {
    const rec = this.version.detail?.record;
    const other = h('input', 'jp-mod-styled jp-lifecycle-ws-diff-other');
    other.placeholder = 'KIND:NAME@N';
    other.setAttribute('aria-label', 'Compare with version');
    const run = (ref: string | null, why: string) => {
      if (!rec) {
        return;
      }
      if (!ref) {
        this._diff = null;
        this._diffOther = null;
        this._diffError = why;
        this.render();
        return;
      }
      void this._loadDiff(ref, rec.ref);
    };
    return h(
      'div',
      'jp-lifecycle-row',
      undefined,
      button('vs production', 'jp-lifecycle-ws-diff-production', () => {
        run(rec ? this.model.productionOf(rec.asset) : null, 'No version of this asset is in production.');
      }),
      button('vs parent', 'jp-lifecycle-ws-diff-parent', () => run(rec?.parent ?? null, 'This version has no parent.')),
      other,
      button('Compare', 'jp-lifecycle-ws-diff-any', () => run(other.value.trim() || null, 'Type a version to compare with.'))
    );
  }

  private async _loadDiff(other: string, ref: string): Promise<void> {
    try {
      this._diff = await this.model.client.diff(other, ref);
      this._diffOther = other;
      this._diffError = null;
    } catch (e) {
      this._diff = null;
      this._diffError = errorText(e);
    }
    this.render();
  }

  private _diffBody(): HTMLElement | null {
    if (this._diffError) {
      return h('p', 'jp-lifecycle-bad', this._diffError);
    }
    if (this._diff !== null && this._diffOther) {
      return renderDiff(this._diff);
    }
    return h('p', 'jp-lifecycle-muted', 'Compare with production, the parent or any version.');
  }

  private _view: WorkspaceView = 'assets';
  private _tabs: HTMLElement;
  private _body: HTMLElement;
  private _assetsRoot: HTMLElement;
  private _assetsBody: HTMLElement;
  private _kindSelect!: HTMLSelectElement;
  private _kindsShown = '';
  private _rowLimit = 200;
  private _diff: JSONValue | null = null;
  private _diffOther: string | null = null;
  private _diffError: string | null = null;
  private _flash = '';
}
