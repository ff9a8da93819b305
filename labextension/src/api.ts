/**
 * A typed client for the registry's REST API (`{base_url}registry/api/v1/…`).
 *
 * The client does not import JupyterLab at run time: it is given a `Requester`
 * that performs one HTTP request (in the lab, `ServerConnection.makeRequest`,
 * which adds the token / XSRF headers), so it can be unit-tested with a fake.
 */
import type {
  CreateModel,
  DescribeCheckpoint,
  DescribeModel,
  DescribeVersion,
  ListCheckpointsResponse,
  ListModelsResponse,
  ListVersionsResponse,
  PatchMetadata,
  RegisterVersion,
  UpdateModel,
  UpdateVersion
} from './types';

/** Perform one request to `path` (relative to the API root, already URL-encoded). */
export type Requester = (path: string, init: RequestInit) => Promise<Response>;

export type ModelSortBy = 'name' | 'description' | 'creation_time' | 'last_updated_time';
export type OrderBy = 'asc' | 'desc';

export interface IListModelsQuery {
  sort_by?: ModelSortBy;
  order_by?: OrderBy;
  name?: string;
  description?: string;
  labels?: string[];
  archived?: boolean;
  offset?: number;
  limit?: number;
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

export class RegistryClient {
  constructor(private readonly _request: Requester) {}

  async listModels(query: IListModelsQuery = {}): Promise<ListModelsResponse> {
    const params = new URLSearchParams();
    for (const key of ['sort_by', 'order_by', 'name', 'description', 'offset', 'limit'] as const) {
      const value = query[key];
      if (value !== undefined && value !== '') {
        params.append(key, String(value));
      }
    }
    for (const label of query.labels ?? []) {
      params.append('label', label);
    }
    if (query.archived !== undefined) {
      params.append('archived', String(query.archived));
    }
    const search = params.toString();
    return this._json<ListModelsResponse>('GET', search ? `models?${search}` : 'models');
  }

  getModel(name: string): Promise<DescribeModel> {
    return this._json('GET', `models/${seg(name)}`);
  }

  createModel(body: CreateModel): Promise<DescribeModel> {
    return this._json('POST', 'models', body);
  }

  updateModel(name: string, body: UpdateModel): Promise<DescribeModel> {
    return this._json('PATCH', `models/${seg(name)}`, body);
  }

  patchModelMetadata(name: string, body: PatchMetadata): Promise<DescribeModel> {
    return this._json('PATCH', `models/${seg(name)}/metadata`, body);
  }

  async deleteModel(name: string): Promise<void> {
    await this._json('DELETE', `models/${seg(name)}`);
  }

  listVersions(name: string, offset = 0, limit = 100): Promise<ListVersionsResponse> {
    return this._json('GET', `models/${seg(name)}/versions?offset=${offset}&limit=${limit}`);
  }

  getVersion(name: string, ref: string | number): Promise<DescribeVersion> {
    return this._json('GET', `models/${seg(name)}/versions/${seg(String(ref))}`);
  }

  registerVersion(name: string, body: RegisterVersion): Promise<DescribeVersion> {
    return this._json('POST', `models/${seg(name)}/versions`, body);
  }

  updateVersion(name: string, ref: string | number, body: UpdateVersion): Promise<DescribeVersion> {
    return this._json('PATCH', `models/${seg(name)}/versions/${seg(String(ref))}`, body);
  }

  async deleteVersion(name: string, ref: string | number): Promise<void> {
    await this._json('DELETE', `models/${seg(name)}/versions/${seg(String(ref))}`);
  }

  setAlias(name: string, alias: string, version: number): Promise<DescribeVersion> {
    return this._json('PUT', `models/${seg(name)}/aliases/${seg(alias)}`, { version });
  }

  async removeAlias(name: string, alias: string): Promise<void> {
    await this._json('DELETE', `models/${seg(name)}/aliases/${seg(alias)}`);
  }

  async listCheckpoints(limit = 20): Promise<DescribeCheckpoint[]> {
    const response = await this._json<ListCheckpointsResponse>('GET', `checkpoints?limit=${limit}`);
    return response.checkpoints;
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
