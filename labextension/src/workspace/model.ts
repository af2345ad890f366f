/**
 * The workspace's state, free of DOM: the asset table (paged through `GET assets`, sorted and filtered here,
 * or the matches of a search query), the review inbox, and what to notify the user about.
 * The version page reuses the sidebar's LifecycleModel (its own instance over the same client).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { LifecycleClient } from '../api';
import { errorText } from '../model';
import {
  IAssetSummary,
  IAuditEvent,
  IInboxItem,
  ISearchHit
} from '../tokens';

export type SortKey = 'asset' | 'name' | 'kind' | 'latest' | 'owner' | 'changed_at' | 'stages';

/** A row of the asset table: an asset, or (while a search is active) a matching version. */
export interface ITableRow {
  ref: string;
  asset: string;
  kind: string;
  name: string;
  latest: number;
  stages: string;
  owner: string;
  metrics: string;
  changed_at: string;
}

export interface INotice {
  /** `request`: someone asks the user to approve; `outcome`: the user's own request was decided. */
  kind: 'request' | 'outcome';
  level: 'info' | 'success' | 'warning' | 'error';
  text: string;
  ref: string;
}

/** Rows per request when paging through `GET assets`. */
export const PAGE_SIZE = 500;

export class WorkspaceModel {
  constructor(client: LifecycleClient, user = '') {
    this.client = client;
    this._user = user;
  }

  readonly client: LifecycleClient;

  get tableChanged(): ISignal<this, void> {
    return this._tableChanged;
  }
  get inboxChanged(): ISignal<this, void> {
    return this._inboxChanged;
  }
  /** Something the user should hear about (a request to review; their request approved/rejected/refused). */
  get notified(): ISignal<this, INotice> {
    return this._notified;
  }

  get user(): string {
    return this._user;
  }
  set user(u: string) {
    this._user = u;
  }
  get loading(): boolean {
    return this._loading;
  }
  get error(): string | null {
    return this._error;
  }
  get searchError(): string | null {
    return this._searchError;
  }
  get query(): string {
    return this._query;
  }
  get filter(): string {
    return this._filter;
  }
  get kind(): string {
    return this._kind;
  }
  get sort(): { key: SortKey; descending: boolean } {
    return { key: this._sortKey, descending: this._descending };
  }
  get kinds(): string[] {
    return [...new Set(this._assets.map(a => a.kind))].sort();
  }
  get inbox(): IInboxItem[] {
    return this._inbox;
  }
  get inboxError(): string | null {
    return this._inboxError;
  }
  /** How many asset rows were loaded, and over how many pages (requests). */
  get loaded(): { rows: number; pages: number } {
    return { rows: this._assets.length, pages: this._pages };
  }

  /** The version of `asset` in production (`KIND:NAME@N`), or null. */
  productionOf(asset: string): string | null {
    const n = this._assets.find(a => a.asset === asset)?.stages['production'];
    return n !== undefined ? `${asset}@${n}` : null;
  }

  /** The rows to show: the assets (or search matches), filtered by kind and text, sorted. */
  rows(): ITableRow[] {
    const base: ITableRow[] =
      this._hits !== null ? this._hits.map(hitRow) : this._assets.map(assetRow);
    const f = this._filter.trim().toLowerCase();
    const out = base.filter(
      r =>
        (!this._kind || r.kind === this._kind) &&
        (!f ||
          r.ref.toLowerCase().includes(f) ||
          r.owner.toLowerCase().includes(f) ||
          r.stages.toLowerCase().includes(f))
    );
    const key = this._sortKey;
    const sign = this._descending ? -1 : 1;
    out.sort((x, y) => {
      const a = x[key];
      const b = y[key];
      const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
      return c !== 0 ? sign * c : x.ref.localeCompare(y.ref);
    });
    return out;
  }

  /** Load every asset, page by page (`limit` + `cursor`); the table renders after the first page. */
  async load(): Promise<void> {
    this._loading = true;
    this._error = null;
    const assets: IAssetSummary[] = [];
    let cursor: string | undefined = undefined;
    let pages = 0;
    try {
      for (;;) {
        const page = await this.client.assetsPage({ limit: PAGE_SIZE, cursor });
        pages += 1;
        assets.push(...page.assets);
        if (pages === 1) {
          this._assets = [...assets];
          this._pages = pages;
          this._tableChanged.emit();
        }
        if (!page.next) {
          break;
        }
        cursor = page.next;
      }
      this._assets = assets;
      this._pages = pages;
    } catch (e) {
      this._error = errorText(e);
    } finally {
      this._loading = false;
    }
    this._tableChanged.emit();
  }

  /** Reload the assets that changed after event `since` (the server's `since`), merging them in. */
  async loadChanged(since: number): Promise<void> {
    try {
      const changed: IAssetSummary[] = [];
      let cursor: string | undefined = undefined;
      for (;;) {
        const page = await this.client.assetsPage({ limit: PAGE_SIZE, since: String(since), cursor });
        changed.push(...page.assets);
        if (!page.next) {
          break;
        }
        cursor = page.next;
      }
      const byName = new Map(this._assets.map(a => [a.asset, a]));
      for (const a of changed) {
        byName.set(a.asset, a);
      }
      this._assets = [...byName.values()];
      if (this._query) {
        await this.setQuery(this._query);
      }
      this._tableChanged.emit();
    } catch (e) {
      this._error = errorText(e);
      this._tableChanged.emit();
    }
  }

  setFilter(text: string): void {
    this._filter = text;
    this._tableChanged.emit();
  }

  setKind(kind: string): void {
    this._kind = kind;
    this._tableChanged.emit();
  }

  /** Sort by `key`; the same key again flips the direction. */
  setSort(key: SortKey): void {
    if (key === this._sortKey) {
      this._descending = !this._descending;
    } else {
      this._sortKey = key;
      this._descending = key === 'changed_at' || key === 'latest';
    }
    this._tableChanged.emit();
  }

  /** Run a search query (empty: back to the asset list); a malformed query keeps the rows and says why. */
  async setQuery(query: string): Promise<void> {
    this._query = query.trim();
    this._searchError = null;
    if (!this._query) {
      this._hits = null;
      this._tableChanged.emit();
      return;
    }
    try {
      const hits: ISearchHit[] = [];
      let cursor: string | undefined = undefined;
      for (;;) {
        const page = await this.client.search(this._query, { limit: PAGE_SIZE, cursor });
        hits.push(...page.versions);
        if (!page.next) {
          break;
        }
        cursor = page.next;
      }
      this._hits = hits;
    } catch (e) {
      this._searchError = errorText(e);
    }
    this._tableChanged.emit();
  }

  /** Reload the inbox; notify about requests that appeared since the last load. */
  async loadInbox(): Promise<void> {
    try {
      const inbox = await this.client.inbox();
      this._user = inbox.user;
      const before = this._inboxKeys;
      this._inbox = inbox.items;
      this._inboxError = null;
      this._inboxKeys = new Set(inbox.items.map(itemKey));
      if (before !== null) {
        for (const item of inbox.items) {
          if (item.type === 'request' && !before.has(itemKey(item))) {
            this._notified.emit({
              kind: 'request',
              level: 'info',
              text: `${item.by ?? 'someone'} asks you to approve ${item.ref} \u2192 ${item.to}`,
              ref: item.ref
            });
          }
        }
      }
    } catch (e) {
      this._inboxError = errorText(e);
    }
    this._inboxChanged.emit();
  }

  /**
   * Events after `since` (the audit trail's own paging): notify the user when a promotion they requested
   * was approved, rejected or refused. Their earlier requests are remembered from what they did before.
   */
  async watchEvents(since: number): Promise<void> {
    let events: IAuditEvent[] = [];
    try {
      let cursor: string | undefined = undefined;
      for (;;) {
        const page = await this.client.auditPage(undefined, { since: String(since), limit: 1000, cursor });
        events = events.concat(page.events);
        if (!page.next) {
          break;
        }
        cursor = page.next;
      }
    } catch {
      return;
    }
    for (const e of events) {
      const key = `${e.ref}>${e.to_stage}`;
      if (e.action === 'PromotionRequested' && e.actor === this._user) {
        this._mine.add(key);
        continue;
      }
      const verdict: Record<string, [INotice['level'], string]> = {
        PromotionApproved: ['success', 'approved'],
        PromotionRejected: ['warning', 'rejected'],
        PromotionRefused: ['error', 'refused by its gates']
      };
      const v = verdict[e.action];
      if (v && this._mine.has(key) && e.actor !== this._user) {
        this._notified.emit({
          kind: 'outcome',
          level: v[0],
          text: `Your request ${e.ref} \u2192 ${e.to_stage} was ${v[1]} by ${e.actor}${e.reason ? `: ${e.reason}` : ''}`,
          ref: String(e.ref)
        });
      }
    }
  }

  /** Remember the user's own open requests (so their outcome is notified): `GET pending`, not the audit. */
  async rememberMyRequests(): Promise<void> {
    try {
      for (const row of await this.client.pending()) {
        const r = row as { ref?: string; to?: string; requested_by?: string | null };
        if (r.requested_by === this._user && r.ref && r.to) {
          this._mine.add(`${r.ref}>${r.to}`);
        }
      }
    } catch {
      // notifications about older requests are a nicety; new ones are still seen by watchEvents
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _assets: IAssetSummary[] = [];
  private _pages = 0;
  private _hits: ISearchHit[] | null = null;
  private _query = '';
  private _filter = '';
  private _kind = '';
  private _sortKey: SortKey = 'asset';
  private _descending = false;
  private _loading = false;
  private _error: string | null = null;
  private _searchError: string | null = null;
  private _inbox: IInboxItem[] = [];
  private _inboxError: string | null = null;
  private _inboxKeys: Set<string> | null = null;
  private _mine = new Set<string>();
  private _user: string;
  private _tableChanged = new Signal<this, void>(this);
  private _inboxChanged = new Signal<this, void>(this);
  private _notified = new Signal<this, INotice>(this);
}

function itemKey(i: IInboxItem): string {
  return `${i.type}:${i.ref}>${i.to ?? ''}`;
}

function stageText(stages: Record<string, number>): string {
  return Object.entries(stages)
    .map(([s, n]) => `${s} v${n}`)
    .join(', ');
}

function metricText(m: Record<string, unknown> | undefined): string {
  return Object.entries(m ?? {})
    .slice(0, 3)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`)
    .join(', ');
}

function assetRow(a: IAssetSummary): ITableRow {
  return {
    ref: `${a.asset}@${a.latest}`,
    asset: a.asset,
    kind: a.kind,
    name: a.name,
    latest: a.latest,
    stages: stageText(a.stages),
    owner: a.owner ?? '',
    metrics: metricText(a.metrics),
    changed_at: a.changed_at ?? a.updated_at
  };
}

function hitRow(v: ISearchHit): ITableRow {
  return {
    ref: v.ref,
    asset: `${v.kind}:${v.name}`,
    kind: v.kind,
    name: v.name,
    latest: v.number,
    stages: v.stage ?? '',
    owner: v.author ?? '',
    metrics: metricText(v.metrics),
    changed_at: v.created_at ?? ''
  };
}
