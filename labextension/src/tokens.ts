/**
 * The REST contract (lifecycle_ext/server/openapi.json) as TypeScript interfaces.
 * The sidebar depends on nothing else from the Python side.
 */
import type { JSONObject, JSONValue } from '@lumino/coreutils';

/** The API version this sidebar speaks; the server reports its own in `GET version`. */
export const API_VERSION = '1';

export interface IServerVersion {
  package: string;
  api: string;
  user: string;
}

export interface IHead {
  seq: number;
  head: string | null;
  location: string;
}

export type StageMap = Record<string, number>;

export interface IAssetSummary {
  asset: string;
  kind: string;
  name: string;
  versions: number;
  latest: number;
  updated_at: string;
  stages: StageMap;
  tags: string[];
  owner?: string;
  metrics?: Record<string, JSONValue>;
  changed_at?: string;
}

/** A page of a paged list: `next` is the cursor of the following page (null on the last). */
export interface IPaged {
  next?: string | null;
}

export interface IAssetList extends IPaged {
  assets: IAssetSummary[];
}

/** Paging query parameters of `assets`, `versions`, `audit` and `search`. */
export interface IPageParams {
  limit?: number;
  since?: string;
  cursor?: string;
}

export interface IVersionRow {
  ref: string;
  version: number;
  stage: string | null;
  created_at: string;
  author: string;
  content_hash: string;
  type: string;
  size: number;
  tags: string[];
  retired: boolean;
  note: string;
  metrics: Record<string, number | boolean>;
}

export interface IVersionList extends IPaged {
  asset: string;
  versions: IVersionRow[];
}

/** One version matched by `GET search?query=` (reg.search). */
export interface ISearchHit {
  ref: string;
  kind: string;
  name: string;
  number: number;
  stage: string | null;
  author: string | null;
  created_at: string | null;
  tags: string[];
  params: JSONObject;
  metrics: JSONObject;
  metadata: JSONObject;
  inputs: string[];
  retired: boolean;
}

/** One item of `GET inbox`: what awaits the current user. */
export interface IInboxItem {
  type: 'request' | 'soak' | 'alert';
  ref: string;
  to: string | null;
  status: string;
  by: string | null;
  at: string | null;
  reason: string;
  approved_by: string[];
  waiting_on: string[];
}

export interface IInbox {
  user: string;
  items: IInboxItem[];
}

export interface ISearchResult extends IPaged {
  query: string;
  versions: ISearchHit[];
}

export interface IVersionRecord {
  ref: string;
  asset: string;
  kind: string;
  name: string;
  number: number;
  content_hash: string;
  created_at: string;
  author: string;
  parent: string | null;
  object_type: string;
  summary: JSONObject;
  size: number;
  params: JSONObject;
  metrics: JSONObject;
  metadata: JSONObject;
  inputs: string[];
  tags: string[];
  note: string;
  stage: string | null;
  record: JSONObject;
  retired: boolean;
  deployment: JSONValue | null;
  /** a model's input and output columns with dtypes (null or absent when none was recorded) */
  signature?: JSONObject | null;
  input_example?: JSONObject | null;
}

export interface ILineageNode {
  kind: string;
  name: string;
  number: number;
  stage: string | null;
  retired: boolean;
}

export interface ILineage {
  root: string;
  direction: string;
  nodes: Record<string, ILineageNode>;
  edges: [string, string][];
  upstream: string[];
  downstream: string[];
  /** The nodes layered left to right by depth from the root (upstream columns first): the graph's layout. */
  columns: string[][];
}

export type CheckStatus = 'pass' | 'fail' | 'pending';

export interface IGateCheck {
  name: string;
  type?: string;
  status: CheckStatus;
  message?: string;
  evidence?: JSONValue;
}

export interface IGateReport {
  ref: string;
  to: string;
  passed: boolean;
  checks: IGateCheck[];
  policy_hash?: string;
}

/**
 * The REST routes, by the catalogue's action names (lifecycle_ext/registry/actions.py); a test checks these
 * lists against the catalogue. Reads are GET with query parameters, actions POST with a JSON body.
 */
export const META_ROUTES = ['version', 'head'] as const;

export const READ_ROUTES = [
  'assets',
  'get',
  'versions',
  'lineage',
  'diff',
  'gates',
  'permissions',
  'pending',
  'audit',
  'search',
  'inbox'
] as const;

export type ReadRoute =
  | (typeof META_ROUTES)[number]
  | (typeof READ_ROUTES)[number];

export type ActionName =
  | 'promote'
  | 'request_promotion'
  | 'approve'
  | 'reject'
  | 'rollback'
  | 'retire';

export const ACTIONS: readonly ActionName[] = [
  'request_promotion',
  'approve',
  'reject',
  'promote',
  'rollback',
  'retire'
];

export interface IActionPermission {
  allowed: boolean;
  reason: string;
}

export interface IPermissions {
  user: string;
  roles: string[];
  stages: string[];
  to: string | null;
  deploy_stage: string | null;
  actions: Record<ActionName, IActionPermission>;
}

export interface IActionBody {
  ref?: string;
  name?: string;
  to?: string;
  reason: string;
  force?: boolean;
  replaced_by?: string;
  allow_empty?: boolean;
  known_limitations?: string;
}

export interface IActionResult {
  result: JSONValue;
  seq: number;
}

export interface IAuditEvent {
  seq: number;
  time: string;
  actor: string;
  action: string;
  ref: string | null;
  from_stage: string | null;
  to_stage: string | null;
  reason: string;
  [key: string]: JSONValue;
}

export interface IApiErrorBody {
  status: number;
  error: string;
  message: string;
  report?: IGateReport;
}

export type DiffTarget = 'parent' | 'production';
