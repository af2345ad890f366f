/**
 * The sidebar's state, free of DOM: what is listed, what is selected, what the server said.
 * Widgets render it and call its methods; it tells them about changes through signals.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, LifecycleClient } from './api';
import {
  ACTIONS,
  API_VERSION,
  ActionName,
  IActionBody,
  IAssetSummary,
  IAuditEvent,
  IGateReport,
  ILineage,
  IPermissions,
  IServerVersion,
  IVersionRow,
  IVersionRecord
} from './tokens';

export type MessageLevel = 'info' | 'success' | 'error';

export interface IMessage {
  level: MessageLevel;
  text: string;
  report?: IGateReport;
}

export interface IDetail {
  record: IVersionRecord;
  lineage: ILineage | null;
  history: IAuditEvent[] | null;
}

export const POLL_MIN_MS = 2000;
export const POLL_MAX_MS = 30000;

export class LifecycleModel {
  /**
   * `lists: false` for a model that only shows versions (the workspace's version page): refreshing reloads
   * the open version, not the asset list (the workspace pages through that itself).
   */
  constructor(client: LifecycleClient = new LifecycleClient(), options: { lists?: boolean } = {}) {
    this.client = client;
    this._lists = options.lists ?? true;
  }

  readonly client: LifecycleClient;

  /** The asset list or the versions of an expanded asset changed. */
  get listChanged(): ISignal<this, void> {
    return this._listChanged;
  }
  /** The open version (the workspace's version page), its gates or permissions changed. */
  get detailChanged(): ISignal<this, void> {
    return this._detailChanged;
  }
  /** A status message (result or error) was set. */
  get messageChanged(): ISignal<this, IMessage | null> {
    return this._messageChanged;
  }

  get server(): IServerVersion | null {
    return this._server;
  }
  get connected(): boolean {
    return this._connected;
  }
  /** Why the handshake failed (a version mismatch or an unreachable server); null when connected. */
  get connectError(): string | null {
    return this._connectError;
  }
  get query(): string {
    return this._query;
  }
  get message(): IMessage | null {
    return this._message;
  }
  get detail(): IDetail | null {
    return this._detail;
  }
  get target(): string | null {
    return this._target;
  }
  get gates(): IGateReport | null {
    return this._gates;
  }
  get gatesError(): string | null {
    return this._gatesError;
  }
  get permissions(): IPermissions | null {
    return this._permissions;
  }
  /** The version last opened from the sidebar's list (highlighted there; its page is in the workspace). */
  get selected(): string | null {
    return this._selected;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Assets matching the search, grouped by kind (kinds and names sorted). */
  groups(): Map<string, IAssetSummary[]> {
    const q = this._query.trim().toLowerCase();
    const out = new Map<string, IAssetSummary[]>();
    for (const a of this._assets) {
      const hit =
        !q ||
        a.name.toLowerCase().includes(q) ||
        a.asset.toLowerCase().includes(q) ||
        a.tags.some(t => t.toLowerCase().includes(q));
      if (!hit) {
        continue;
      }
      const list = out.get(a.kind) ?? [];
      list.push(a);
      out.set(a.kind, list);
    }
    return new Map([...out.entries()].sort(([x], [y]) => x.localeCompare(y)));
  }

  isExpanded(asset: string): boolean {
    return this._expanded.has(asset);
  }

  versionsOf(asset: string): IVersionRow[] | null {
    return this._versions.get(asset) ?? null;
  }

  /** The list row of the highlighted version (null when its asset is collapsed or not loaded). */
  selectedRow(): IVersionRow | null {
    const ref = this._selected;
    if (!ref) {
      return null;
    }
    for (const rows of this._versions.values()) {
      const row = rows.find(v => v.ref === ref);
      if (row) {
        return row;
      }
    }
    return null;
  }

  /** Highlight a version in the list (the sidebar opens its page in the workspace); null clears it. */
  highlight(ref: string | null): void {
    this._selected = ref;
    this._listChanged.emit();
  }

  /** Handshake: refuse to go on when the server speaks another API version. */
  async connect(): Promise<boolean> {
    if (this._connecting) {
      return false;
    }
    this._connecting = true;
    try {
      return await this._handshake();
    } finally {
      this._connecting = false;
    }
  }

  private async _handshake(): Promise<boolean> {
    let server: IServerVersion;
    try {
      server = await this.client.version();
    } catch (e) {
      this._failConnect(errorText(e));
      return false;
    }
    this._server = server;
    if (server.api !== API_VERSION) {
      this._failConnect(
        `Version mismatch: the server's lifecycle_ext ${server.package} speaks API ` +
          `${server.api}, this sidebar speaks API ${API_VERSION}. Reinstall lifecycle-ext ` +
          'so that the server and JupyterLab use the same version, then reload.'
      );
      return false;
    }
    this._connected = true;
    this._connectError = null;
    await this.refresh();
    this._schedulePoll(POLL_MIN_MS);
    return true;
  }

  /**
   * The panel is shown (true) or hidden (false). Polling runs only while it is shown; showing it polls
   * at once and restarts the backoff.
   */
  setActive(active: boolean): void {
    if (active === this._active) {
      return;
    }
    this._active = active;
    if (!active) {
      this._clearTimer();
    } else if (this._inFlight) {
      this._nudged = true;
    } else {
      this._schedulePoll(0);
    }
  }

  /**
   * The user did something (in the panel or a notebook, e.g. ran a cell that saves a version): make sure
   * the next poll comes within POLL_MIN_MS and restart the backoff. Cheap enough to call on every key.
   */
  nudge(): void {
    if (this._inFlight) {
      this._nudged = true;
      return;
    }
    if (this._timer !== null && this._dueAt - Date.now() <= POLL_MIN_MS) {
      return;
    }
    this._schedulePoll(POLL_MIN_MS);
  }

  setQuery(q: string): void {
    this._query = q;
    this._listChanged.emit();
  }

  /** Reload the assets, the expanded assets' versions and the open detail. */
  async refresh(): Promise<void> {
    if (!this._connected) {
      // on demand after a failed handshake: try again (the server may have been fixed or restarted)
      await this.connect();
      return;
    }
    try {
      const head = await this.client.head();
      const before = this._seq;
      this._seq = head.seq;
      if (!this._lists) {
        if (this._detail) {
          await this.select(this._detail.record.ref, false);
        }
        return;
      }
      this._assets = before >= 0 && this._assetsLoaded ? await this._mergeChanged(before) : await this.client.assets();
      this._assetsLoaded = true;
      for (const asset of [...this._expanded]) {
        await this._loadVersions(asset);
      }
      this._listChanged.emit();
      if (this._detail) {
        await this.select(this._detail.record.ref, false);
      }
    } catch (e) {
      this._setMessage('error', errorText(e));
    }
  }

  async toggle(asset: string): Promise<void> {
    if (this._expanded.delete(asset)) {
      this._listChanged.emit();
      return;
    }
    this._expanded.add(asset);
    try {
      await this._loadVersions(asset);
    } catch (e) {
      this._setMessage('error', errorText(e));
    }
    this._listChanged.emit();
  }

  /** Open a version: its record, lineage neighbours, permissions and gates for the chosen stage. */
  async select(ref: string, resetTarget = true): Promise<void> {
    try {
      const record = await this.client.get(ref);
      let lineage: ILineage | null = null;
      try {
        lineage = await this.client.lineage(record.ref);
      } catch {
        lineage = null;
      }
      let history: IAuditEvent[] | null = null;
      try {
        history = await this.client.audit(record.ref);
      } catch {
        history = null;
      }
      const same = this._detail?.record.ref === record.ref;
      this._detail = { record, lineage, history };
      // Work out the target and its permissions before publishing either: an action clicked while this runs
      // must never see a half-updated target (null, or one without its permissions).
      let target = resetTarget || !same ? null : this._target;
      let permissions = await this._fetchPermissions(record.ref, target);
      if (target !== null && !permissions?.stages.includes(target)) {
        // the version moved on (or the target no longer applies): let the server pick the next stage
        target = null;
        permissions = await this._fetchPermissions(record.ref, null);
      }
      this._target = target ?? permissions?.to ?? null;
      this._permissions = permissions;
      await this._loadGates();
      this._detailChanged.emit();
    } catch (e) {
      this._setMessage('error', errorText(e));
    }
  }

  /** Forget the last status message (another version was opened: the message was about the previous one). */
  clearMessage(): void {
    if (this._message !== null) {
      this._message = null;
      this._messageChanged.emit(null);
    }
  }

  closeDetail(): void {
    this._detail = null;
    this._gates = null;
    this._permissions = null;
    this._detailChanged.emit();
  }

  async setTarget(stage: string): Promise<void> {
    this._target = stage;
    await this._loadPermissions();
    await this._loadGates();
    this._detailChanged.emit();
  }

  /** Whether the current user may do ``action`` now, and why not (from the server's authorization). */
  permission(action: ActionName): { allowed: boolean; reason: string } {
    const p = this._permissions?.actions[action];
    if (!p) {
      return { allowed: false, reason: 'permissions unknown (server did not say)' };
    }
    return p;
  }

  /** Run an action with a reason; on success refresh everything, on failure show the server's error. */
  async act(action: ActionName, reason: string, knownLimitations?: string): Promise<boolean> {
    const rec = this._detail?.record;
    if (!rec) {
      return false;
    }
    const body: IActionBody = { reason };
    if (action === 'rollback') {
      body.name = rec.asset;
    } else {
      body.ref = rec.ref;
    }
    if (action !== 'rollback' && action !== 'retire') {
      if (!this._target) {
        this._setMessage('error', 'Pick a target stage first.');
        return false;
      }
      body.to = this._target;
    }
    if (action === 'promote' && knownLimitations !== undefined) {
      body.known_limitations = knownLimitations;
    }
    try {
      await this.client.act(action, body);
    } catch (e) {
      const report = e instanceof ApiError ? e.body.report : undefined;
      this._setMessage('error', `${label(action)} failed: ${errorText(e)}`, report);
      return false;
    }
    this._setMessage('success', `${label(action)}: done for ${rec.ref}.`);
    await this.refresh();
    return true;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._clearTimer();
    Signal.clearData(this);
  }

  /**
   * Poll the event head after ``delay`` ms; refresh when it moves. Back off (x2 from POLL_MIN_MS up to
   * POLL_MAX_MS) while nothing changes; only one poll is ever pending or in flight.
   */
  private _schedulePoll(delay: number): void {
    this._clearTimer();
    if (this._disposed || !this._connected || !this._active) {
      return;
    }
    this._delay = delay;
    this._dueAt = Date.now() + delay;
    this._timer = setTimeout(() => void this._poll(), delay);
  }

  private async _poll(): Promise<void> {
    this._timer = null;
    this._inFlight = true;
    this._nudged = false;
    let next = Math.max(POLL_MIN_MS, Math.min(this._delay * 2, POLL_MAX_MS));
    try {
      const head = await this.client.head();
      if (head.seq !== this._seq) {
        await this.refresh();
        next = POLL_MIN_MS;
      }
    } catch {
      next = POLL_MAX_MS;
    } finally {
      this._inFlight = false;
    }
    if (this._nudged) {
      next = POLL_MIN_MS;
    }
    this._schedulePoll(next);
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _failConnect(text: string): void {
    this._connected = false;
    this._connectError = text;
    this._setMessage('error', text);
    this._listChanged.emit();
  }

  /** The asset list with the assets changed after event `since` fetched again (`GET assets?since=`). */
  private async _mergeChanged(since: number): Promise<IAssetSummary[]> {
    const byName = new Map(this._assets.map(a => [a.asset, a]));
    let cursor: string | undefined = undefined;
    for (;;) {
      const page = await this.client.assetsPage({ since: String(since), limit: 500, cursor });
      for (const a of page.assets) {
        byName.set(a.asset, a);
      }
      if (!page.next) {
        break;
      }
      cursor = page.next;
    }
    return [...byName.values()].sort((x, y) => (x.asset < y.asset ? -1 : x.asset > y.asset ? 1 : 0));
  }

  private async _loadVersions(asset: string): Promise<void> {
    const list = await this.client.versions(asset);
    this._versions.set(asset, list.versions);
  }

  private async _loadPermissions(): Promise<void> {
    const rec = this._detail?.record;
    if (!rec) {
      return;
    }
    this._permissions = await this._fetchPermissions(rec.ref, this._target);
  }

  private async _fetchPermissions(ref: string, target: string | null): Promise<IPermissions | null> {
    try {
      return await this.client.permissions(ref, target ?? undefined);
    } catch (e) {
      this._setMessage('error', errorText(e));
      return null;
    }
  }

  private async _loadGates(): Promise<void> {
    const rec = this._detail?.record;
    this._gates = null;
    this._gatesError = null;
    if (!rec || !this._target) {
      return;
    }
    try {
      this._gates = await this.client.gates(rec.ref, this._target);
    } catch (e) {
      this._gatesError = errorText(e);
    }
  }

  private _setMessage(level: MessageLevel, text: string, report?: IGateReport): void {
    this._message = { level, text, report };
    this._messageChanged.emit(this._message);
  }

  private _lists: boolean;
  private _assetsLoaded = false;
  private _assets: IAssetSummary[] = [];
  private _versions = new Map<string, IVersionRow[]>();
  private _expanded = new Set<string>();
  private _query = '';
  private _server: IServerVersion | null = null;
  private _connected = false;
  private _connecting = false;
  private _connectError: string | null = null;
  private _seq = -2;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _dueAt = 0;
  private _delay = POLL_MIN_MS;
  private _active = false;
  private _inFlight = false;
  private _nudged = false;
  private _disposed = false;
  private _detail: IDetail | null = null;
  private _target: string | null = null;
  private _gates: IGateReport | null = null;
  private _gatesError: string | null = null;
  private _permissions: IPermissions | null = null;
  private _selected: string | null = null;
  private _message: IMessage | null = null;
  private _listChanged = new Signal<this, void>(this);
  private _detailChanged = new Signal<this, void>(this);
  private _messageChanged = new Signal<this, IMessage | null>(this);
}

export function label(action: ActionName): string {
  return {
    promote: 'Promote',
    request_promotion: 'Request',
    approve: 'Approve',
    reject: 'Reject',
    rollback: 'Roll back',
    retire: 'Retire'
  }[action];
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    return e.body.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export { ACTIONS };
