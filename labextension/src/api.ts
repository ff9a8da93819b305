/**
 * A typed client for the registry's REST API (`{base_url}registry/api/v1/…`).
 *
 * The client does not import JupyterLab at run time: it is given a `Requester`
 * that performs one HTTP request (in the lab, `ServerConnection.makeRequest`,
 * which adds the token / XSRF headers), so it can be unit-tested with a fake.
 */
import { OPERATIONS } from './types';
import type {
  CreateModel,
  DescribeCheckpoint,
  DescribeComparison,
  DescribeIdentity,
  DescribeModel,
  DescribeTensors,
  DescribeVersion,
  ListMaintainersResponse,
  ListModelsResponse,
  ListVersionsResponse,
  OperationName,
  Operations,
  PatchMetadata,
  RegisterVersion,
  UpdateModel,
  UpdateVersion
} from './types';

/** Perform one request to `path` (relative to the API root, already URL-encoded). */
export type Requester = (path: string, init: RequestInit) => Promise<Response>;

/** The query of `GET models`, under its wire names (`label` repeats). */
export type IListModelsQuery = Operations['list_models']['query'];
export type ModelSortBy = NonNullable<IListModelsQuery['sort_by']>;
export type OrderBy = NonNullable<IListModelsQuery['order_by']>;

/** What one operation is called with: its path values, query and body, as generated. */
interface IRequest<K extends OperationName> {
  path?: Operations[K]['path'];
  query?: Operations[K]['query'];
  body?: Operations[K]['body'];
}

/** An error answered by the API (or a failure to reach it), with a readable message. */
export class RegistryApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string = 'Error'
  ) {
    super(message);
    this.name = 'RegistryApiError';
  }
}

/** The model-name rule of the server (SPEC §1), for validation as the user types. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const NAME_RULE =
  "1-128 characters: a letter or digit first, then letters, digits, '_', '-' or '.', with no '..'";

/** `null` when `name` is a valid model name, else a message explaining the rule. */
export function validateName(name: string): string | null {
  if (!name) {
    return 'A name is required.';
  }
  if (!NAME_PATTERN.test(name) || name.includes('..')) {
    return `Invalid name: ${NAME_RULE}.`;
  }
  return null;
}

/** `null` when `alias` is a valid alias, else a message. */
export function validateAlias(alias: string): string | null {
  if (!alias) {
    return 'An alias is required.';
  }
  if (validateName(alias)) {
    return `Invalid alias: ${NAME_RULE}.`;
  }
  if (alias === 'latest') {
    return "'latest' is reserved: it always means the highest version.";
  }
  if (/^v?[0-9]+$/.test(alias)) {
    return 'An alias cannot look like a version number.';
  }
  return null;
}

/**
 * The `{add, remove}` patch that turns metadata `before` into `after`:
 * top-level keys only, matching the server's merge rule.
 */
export function metadataPatch(
  before: Record<string, unknown>,
  after: Record<string, unknown>
): PatchMetadata {
  const add: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before) || JSON.stringify(before[key]) !== JSON.stringify(value)) {
      add[key] = value;
    }
  }
  const remove = Object.keys(before).filter(key => !(key in after));
  return { add, remove };
}

/** Python code that loads `ref` (`NAME:<n>`, `NAME:<alias>` or `NAME:latest`). */
export function loadSnippet(ref: string): string {
  return [
    'from jupyter_registry import Registry',
    '',
    `model_version = Registry().get_model_version(${JSON.stringify(ref)})`,
    'model = model_version.load()'
  ].join('\n');
}

const seg = encodeURIComponent;

/** A query string: arrays repeat their key; unset and empty values are left out. */
function queryString(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== '') {
        params.append(key, String(item));
      }
    }
  }
  return params.toString();
}

export class RegistryClient {
  constructor(private readonly _request: Requester) {}

  getIdentity(): Promise<DescribeIdentity> {
    return this.call('get_identity');
  }

  addMaintainer(name: string, user: string): Promise<ListMaintainersResponse> {
    return this.call('add_maintainer', { path: { name, user } });
  }

  removeMaintainer(name: string, user: string): Promise<void> {
    return this.call('remove_maintainer', { path: { name, user } });
  }

  listModels(query: IListModelsQuery = {}): Promise<ListModelsResponse> {
    return this.call('list_models', { query });
  }

  getModel(name: string): Promise<DescribeModel> {
    return this.call('get_model', { path: { name } });
  }

  createModel(body: CreateModel): Promise<DescribeModel> {
    return this.call('create_model', { body });
  }

  updateModel(name: string, body: UpdateModel): Promise<DescribeModel> {
    return this.call('update_model', { path: { name }, body });
  }

  patchModelMetadata(name: string, body: PatchMetadata): Promise<DescribeModel> {
    return this.call('patch_model_metadata', { path: { name }, body });
  }

  deleteModel(name: string): Promise<void> {
    return this.call('delete_model', { path: { name } });
  }

  listVersions(name: string, offset = 0, limit = 100): Promise<ListVersionsResponse> {
    return this.call('list_versions', { path: { name }, query: { offset, limit } });
  }

  /** Versions side by side, as columns in the order given (oldest first reads best). */
  compareVersions(name: string, versions: number[]): Promise<DescribeComparison> {
    return this.call('compare_versions', {
      path: { name },
      query: { versions: versions.map(String) }
    });
  }

  getVersion(name: string, ref: string | number): Promise<DescribeVersion> {
    return this.call('get_version', { path: { name, ref: String(ref) } });
  }

  registerVersion(name: string, body: RegisterVersion): Promise<DescribeVersion> {
    return this.call('register_version', { path: { name }, body });
  }

  updateVersion(name: string, ref: string | number, body: UpdateVersion): Promise<DescribeVersion> {
    return this.call('update_version', { path: { name, ref: String(ref) }, body });
  }

  patchVersionMetadata(
    name: string,
    ref: string | number,
    body: PatchMetadata
  ): Promise<DescribeVersion> {
    return this.call('patch_version_metadata', { path: { name, ref: String(ref) }, body });
  }

  /** A checkpoint's safetensors file's tensors, read by the server from its header alone. */
  getTensors(checkpointUuid: string, path: string): Promise<DescribeTensors> {
    return this.call('get_tensors', { path: { checkpoint_uuid: checkpointUuid }, query: { path } });
  }

  deleteVersion(name: string, ref: string | number): Promise<void> {
    return this.call('delete_version', { path: { name, ref: String(ref) } });
  }

  setAlias(name: string, alias: string, version: number): Promise<DescribeVersion> {
    return this.call('set_alias', { path: { name, alias }, body: { version } });
  }

  removeAlias(name: string, alias: string): Promise<void> {
    return this.call('remove_alias', { path: { name, alias } });
  }

  async listCheckpoints(limit = 20): Promise<DescribeCheckpoint[]> {
    const response = await this.call('list_checkpoints', { query: { limit } });
    return response.checkpoints;
  }

  /**
   * Call the operation `name` of the generated table: its verb, its route with
   * each path value URL-encoded, the query and the JSON body; the typed answer.
   */
  call<K extends OperationName>(
    name: K,
    request: IRequest<K> = {}
  ): Promise<Operations[K]['response']> {
    const { method, path } = OPERATIONS[name];
    const values = (request.path ?? {}) as Record<string, string>;
    const route = path.slice(1).replace(/\{(\w+)\}/g, (_, key: string) => seg(values[key]));
    const search = queryString((request.query ?? {}) as Record<string, unknown>);
    return this._json(method, search ? `${route}?${search}` : route, request.body);
  }

  private async _json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    let response: Response;
    try {
      response = await this._request(path, init);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new RegistryApiError(`Cannot reach the registry server: ${reason}`, 0, 'NetworkError');
    }
    const text = await response.text();
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
    }
    if (!response.ok) {
      throw errorFrom(response, data, text);
    }
    return data as T;
  }
}

function errorFrom(response: Response, data: unknown, text: string): RegistryApiError {
  const error = (data as { error?: { type?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.message === 'string') {
    return new RegistryApiError(
      error.message,
      response.status,
      typeof error.type === 'string' ? error.type : 'Error'
    );
  }
  // Jupyter server's own errors (e.g. 403) answer {"message": ..., "reason": ...}.
  const message = (data as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string' && message) {
    return new RegistryApiError(message, response.status);
  }
  const status = `${response.status} ${response.statusText}`.trim();
  const snippet = text && !text.trimStart().startsWith('<') ? `: ${text.slice(0, 200)}` : '';
  return new RegistryApiError(`The registry server answered ${status}${snippet}`, response.status);
}

/** A readable message for any error thrown while talking to the registry. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
