/** The one typed client of the lifecycle REST API. */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type { JSONValue } from '@lumino/coreutils';

import {
  ActionName,
  IActionBody,
  IActionResult,
  IApiErrorBody,
  IAssetList,
  IAssetSummary,
  IAuditEvent,
  IInbox,
  IPageParams,
  ISearchResult,
  IGateReport,
  IHead,
  ILineage,
  IPermissions,
  IServerVersion,
  ReadRoute,
  IVersionList,
  IVersionRecord
} from './tokens';

/** How many steps up and down the version page's lineage graph reaches (inputs of inputs, users of users). */
export const LINEAGE_DEPTH = 3;

/** An error answered by the server (or a failure to reach it), with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: IApiErrorBody
  ) {
    super(body.message);
  }
}

type Query = Record<string, string | undefined>;

export class LifecycleClient {
  constructor(settings?: ServerConnection.ISettings) {
    this._settings = settings ?? ServerConnection.makeSettings();
  }

  version(): Promise<IServerVersion> {
    return this._get('version');
  }

  /** The event head; `from` names a background poller (`notifications`) so it can be told apart in logs. */
  head(from?: string): Promise<IHead> {
    return this._get('head', { from });
  }

  async assets(): Promise<IAssetSummary[]> {
    return (await this._get<{ assets: IAssetSummary[] }>('assets')).assets;
  }

  versions(name: string): Promise<IVersionList> {
    return this._get('versions', { name });
  }

  get(ref: string): Promise<IVersionRecord> {
    return this._get('get', { ref });
  }

  /** Upstream and downstream lineage, `depth` steps each way (the version page draws it as a graph). */
  lineage(ref: string, depth = LINEAGE_DEPTH): Promise<ILineage> {
    return this._get('lineage', { ref, direction: 'both', depth: String(depth) });
  }

  diff(a: string, b: string): Promise<JSONValue> {
    return this._get('diff', { a, b });
  }

  gates(ref: string, to: string): Promise<IGateReport> {
    return this._get('gates', { ref, to });
  }

  permissions(ref: string, to?: string): Promise<IPermissions> {
    return this._get('permissions', { ref, to });
  }

  async pending(): Promise<JSONValue[]> {
    return (await this._get<{ pending: JSONValue[] }>('pending')).pending;
  }

  async audit(ref: string): Promise<IAuditEvent[]> {
    return (await this._get<{ events: IAuditEvent[] }>('audit', { ref })).events;
  }

  /** One page of the asset list (`next` is the following page's cursor, null on the last). */
  assetsPage(page: IPageParams = {}, kind?: string): Promise<IAssetList> {
    return this._get('assets', { kind, ...pageQuery(page) });
  }

  /** One page of the audit trail (of `ref`, or of everything), e.g. `{ since: '1234' }` for what is new. */
  auditPage(
    ref: string | undefined,
    page: IPageParams = {}
  ): Promise<{ events: IAuditEvent[]; next?: string | null }> {
    return this._get('audit', { ref, ...pageQuery(page) });
  }

  /** The versions matching a query (the grammar of docs/search.md); a malformed one is an ApiError 400. */
  search(query: string, page: IPageParams = {}): Promise<ISearchResult> {
    return this._get('search', { query, limit: pageQuery(page).limit, cursor: page.cursor });
  }

  /** What awaits the current user's review. */
  inbox(): Promise<IInbox> {
    return this._get('inbox');
  }

  act(action: ActionName, body: IActionBody): Promise<IActionResult> {
    return this._request<IActionResult>(action, {}, {
      method: 'POST',
      body: JSON.stringify(body)
    });
  }

  private _get<T>(route: ReadRoute, query: Query = {}): Promise<T> {
    return this._request<T>(route, query, { method: 'GET' });
  }

  private async _request<T>(
    route: string,
    query: Query,
    init: RequestInit
  ): Promise<T> {
    const params = Object.entries(query)
      .filter((kv): kv is [string, string] => kv[1] !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    const url =
      URLExt.join(this._settings.baseUrl, 'lifecycle', 'api', route) +
      (params ? `?${params}` : '');
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this._settings);
    } catch (reason) {
      throw new ApiError(0, {
        status: 0,
        error: 'NetworkError',
        message: `cannot reach the lifecycle server: ${String(reason)}`
      });
    }
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const body = isErrorBody(data)
        ? data
        : {
            status: response.status,
            error: response.statusText || 'HTTPError',
            message:
              response.status === 404 && !text.includes('"error"')
                ? 'the lifecycle server extension is not enabled on this Jupyter server'
                : `HTTP ${response.status}: ${text.slice(0, 200)}`
          };
      throw new ApiError(response.status, body);
    }
    return data as T;
  }

  private _settings: ServerConnection.ISettings;
}

function pageQuery(page: IPageParams): Query {
  return {
    limit: page.limit !== undefined ? String(page.limit) : undefined,
    since: page.since,
    cursor: page.cursor
  };
}

function isErrorBody(data: unknown): data is IApiErrorBody {
  return (
    typeof data === 'object' &&
    data !== null &&
    typeof (data as IApiErrorBody).message === 'string' &&
    typeof (data as IApiErrorBody).error === 'string'
  );
}
