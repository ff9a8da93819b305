/**
 * The "Model Registry" sidebar panel: a searchable, sortable, paged model list
 * and the detail view of the model that is opened.
 */
import {
  ReactWidget,
  ToolbarButtonComponent,
  addIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import type { ServerConnection } from '@jupyterlab/services';
import React, { useEffect, useState } from 'react';

import { RegistryApiError, type ModelSortBy, type OrderBy } from './api';
import { Chips, formatTime } from './components';
import type { IPanelContext } from './context';
import { ModelDetail } from './detail';
import { registryIcon } from './icons';
import { LiveUpdates } from './live';
import type { ListModelsResponse } from './types';

export const PANEL_ID = 'jupyter-registry-panel';
export const PAGE_SIZE = 50;

type ArchivedFilter = 'active' | 'archived' | 'all';

const SORTS: Array<[string, ModelSortBy, OrderBy]> = [
  ['Name (A–Z)', 'name', 'asc'],
  ['Name (Z–A)', 'name', 'desc'],
  ['Last updated', 'last_updated_time', 'desc'],
  ['Newest', 'creation_time', 'desc'],
  ['Oldest', 'creation_time', 'asc'],
  ['Description', 'description', 'asc']
];

function useDebounced<T>(value: T, delay: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return debounced;
}

function ModelList(props: {
  ctx: IPanelContext;
  tick: number;
  hidden: boolean;
  onOpen: (name: string) => void;
  onCreate: () => void;
  onRefresh: () => void;
}): JSX.Element {
  const { ctx } = props;
  const [search, setSearch] = useState('');
  const query = useDebounced(search.trim(), 250);
  const [expression, setExpression] = useState('');
  const filter = useDebounced(expression.trim(), 400);
  // A malformed filter: shown under its box with its position; the list keeps its rows.
  const [filterError, setFilterError] = useState<string | null>(null);
  const [sort, setSort] = useState(0);
  const [archived, setArchived] = useState<ArchivedFilter>('active');
  const [label, setLabel] = useState<string | null>(null);
  const [page, setPage] = useState(0);
  const [data, setData] = useState<ListModelsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);

  // A new filter starts at the first page.
  useEffect(() => setPage(0), [query, filter, sort, archived, label]);

  useEffect(() => {
    let live = true;
    const [, sortBy, orderBy] = SORTS[sort];
    ctx.client
      .listModels({
        filter: filter || undefined,
        name: query || undefined,
        sort_by: sortBy,
        order_by: orderBy,
        label: label ? [label] : [],
        archived: archived === 'all' ? undefined : archived === 'archived',
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE
      })
      .then(
        response => {
          if (live) {
            setData(response);
            setError(null);
            setFilterError(null);
          }
        },
        reason => {
          if (!live) {
            return;
          }
          if (filter && reason instanceof RegistryApiError && reason.status === 400) {
            setFilterError(reason.message);
          } else {
            setError(ctx.report(reason, 'Could not list models'));
          }
        }
      );
    return () => {
      live = false;
    };
  }, [ctx, query, filter, sort, archived, label, page, props.tick]);

  const total = data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const first = total === 0 ? 0 : page * PAGE_SIZE + 1;
  const last = Math.min(total, (page + 1) * PAGE_SIZE);
  // Above a bound the server estimates the total (PostgreSQL) and says so.
  const estimated = data?.total_is_estimate ?? false;
  const about = estimated ? 'about ' : '';

  return (
    <div className="jp-RegistryPanel-list" hidden={props.hidden}>
      <div className="jp-RegistryPanel-toolbar">
        <input
          className="jp-mod-styled jp-RegistryPanel-search"
          type="search"
          aria-label="Search models"
          placeholder="Search models by name"
          value={search}
          onChange={event => setSearch(event.target.value)}
        />
        <ToolbarButtonComponent icon={addIcon} tooltip="Create model" onClick={props.onCreate} />
        <ToolbarButtonComponent icon={refreshIcon} tooltip="Refresh" onClick={props.onRefresh} />
      </div>
      <input
        className="jp-mod-styled jp-RegistryPanel-expression"
        type="search"
        aria-label="Filter models"
        aria-invalid={filterError !== null}
        placeholder="Filter: labels contains 'vision' and metadata.owner = 'ana'"
        title="metadata.KEY, labels, alias, name, description, created_by, archived, creation_time; = != < <= > >= contains in; and, or, not, ( )"
        value={expression}
        onChange={event => setExpression(event.target.value)}
      />
      {filterError && (
        <p className="jp-RegistryPanel-filterError" role="alert">
          {filterError}
        </p>
      )}
      <div className="jp-RegistryPanel-filters">
        <select
          className="jp-mod-styled"
          aria-label="Sort models"
          value={sort}
          onChange={event => setSort(Number(event.target.value))}
        >
          {SORTS.map(([text], index) => (
            <option key={index} value={index}>
              {text}
            </option>
          ))}
        </select>
        <select
          className="jp-mod-styled"
          aria-label="Archived filter"
          value={archived}
          onChange={event => setArchived(event.target.value as ArchivedFilter)}
        >
          <option value="active">Active</option>
          <option value="archived">Archived</option>
          <option value="all">All</option>
        </select>
      </div>
      {label && (
        <div className="jp-RegistryPanel-activeFilter">
          Label: <Chips items={[label]} onRemove={() => setLabel(null)} />
        </div>
      )}
      {error && (
        <p className="jp-RegistryPanel-errorBox" role="alert">
          {error}
        </p>
      )}
      <ul className="jp-RegistryPanel-models" aria-label="Models">
        {data?.models.map(model => (
          <li key={model.name} className="jp-RegistryPanel-model" data-model={model.name}>
            <button
              className="jp-RegistryPanel-modelButton"
              onClick={() => props.onOpen(model.name)}
              title={`Open ${model.name}`}
            >
              <span className="jp-RegistryPanel-modelTop">
                <span className="jp-RegistryPanel-modelName">{model.name}</span>
                {model.archived && <span className="jp-RegistryPanel-badge">archived</span>}
                <span className="jp-RegistryPanel-modelCount">
                  {model.num_versions} version{model.num_versions === 1 ? '' : 's'}
                </span>
              </span>
              {model.description && (
                <span className="jp-RegistryPanel-modelDescription">{model.description}</span>
              )}
              <span className="jp-RegistryPanel-modelBottom">
                <Chips items={model.labels} onClick={setLabel} />
                <span className="jp-RegistryPanel-modelTime">
                  updated {formatTime(model.last_updated_time)}
                </span>
              </span>
            </button>
          </li>
        ))}
      </ul>
      {data && data.total === 0 && (
        <p className="jp-RegistryPanel-empty">
          {query || filter || label || archived !== 'active'
            ? 'No models match.'
            : 'No models yet. Create one with +.'}
        </p>
      )}
      <div className="jp-RegistryPanel-pager">
        <button
          className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
          aria-label="Previous page"
          disabled={page === 0}
          onClick={() => setPage(p => Math.max(0, p - 1))}
        >
          ‹
        </button>
        <span className="jp-RegistryPanel-pageInfo" aria-live="polite">
          {first}–{last} of {about}
          {total}
        </span>
        <button
          className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
          aria-label="Next page"
          disabled={estimated ? (data?.models.length ?? 0) < PAGE_SIZE : page + 1 >= pages}
          onClick={() => setPage(p => p + 1)}
        >
          ›
        </button>
      </div>
    </div>
  );
}

function RegistryView(props: {
  ctx: IPanelContext;
  tick: number;
  selected: string | null;
  version: number | null;
  onSelect: (name: string | null, version?: number | null) => void;
  onCreate: () => void;
  onRefresh: () => void;
}): JSX.Element {
  return (
    <div className="jp-RegistryPanel-root">
      <ModelList
        ctx={props.ctx}
        tick={props.tick}
        hidden={props.selected !== null}
        onOpen={props.onSelect}
        onCreate={props.onCreate}
        onRefresh={props.onRefresh}
      />
      {props.selected !== null && (
        <ModelDetail
          key={props.selected}
          ctx={props.ctx}
          name={props.selected}
          tick={props.tick}
          onBack={() => props.onSelect(null)}
          version={props.version}
          onOpenVersion={props.onSelect}
        />
      )}
    </div>
  );
}

/**
 * The sidebar widget. It re-renders (and so re-reads the registry) when the
 * server announces a change (see `live.ts`), after each change made from the
 * panel, and on demand.
 */
export class RegistryPanel extends ReactWidget {
  constructor(
    private readonly _ctx: IPanelContext,
    private readonly _create: () => Promise<string | null>,
    settings: ServerConnection.ISettings
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-RegistryPanel');
    this.title.icon = registryIcon;
    this.title.caption = 'Model Registry';
    this.node.dataset.live = 'polling';
    this._live = new LiveUpdates({
      settings,
      refresh: () => this.refresh(),
      canRefresh: () => this.isVisible && !document.hidden && !document.querySelector('.jp-Dialog'),
      onMode: mode => {
        this.node.dataset.live = mode;
      }
    });
  }

  /** Re-read the registry. */
  refresh(): void {
    this._tick += 1;
    this.update();
  }

  /** Show the detail of model `name` (or the list when `null`), with `version`'s lineage. */
  open(name: string | null, version: number | null = null): void {
    this._selected = name;
    this._version = version;
    this.update();
  }

  /** Ask for a new model, create it and open it. */
  async createModel(): Promise<void> {
    const name = await this._create();
    if (name) {
      this._selected = name;
      this.refresh();
    }
  }

  override dispose(): void {
    this._live.dispose();
    super.dispose();
  }

  protected override onAfterShow(): void {
    this.refresh();
  }

  protected render(): JSX.Element {
    return (
      <RegistryView
        ctx={this._ctx}
        tick={this._tick}
        selected={this._selected}
        version={this._version}
        onSelect={(name, version) => this.open(name, version)}
        onCreate={() => void this.createModel()}
        onRefresh={() => this.refresh()}
      />
    );
  }

  private _tick = 0;
  private _selected: string | null = null;
  private readonly _live: LiveUpdates;
  private _version: number | null = null;
}
