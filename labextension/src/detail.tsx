/**
 * The detail view of one model: description, labels, metadata, notes,
 * versions with aliases, maintainers, and the model's actions. Actions the
 * team rules refuse the signed-in user are disabled, with the reason as tooltip.
 */
import { ToolbarButtonComponent, caretLeftIcon, refreshIcon } from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useState } from 'react';

import { metadataPatch } from './api';
import { ModelCardEditor } from './card';
import { CompareView } from './compare';
import {
  Chips,
  EditableText,
  JsonEditor,
  Section,
  formatMetrics,
  formatShortTime,
  formatTime
} from './components';
import { aliasDialog, confirmDialog, registerVersionDialog } from './dialogs';
import type { IPanelContext } from './context';
import { VersionLineage } from './lineage';
import { aliasRefusal, maintainerRefusal, writeRefusal } from './permissions';
import type { Refusal } from './permissions';
import type { DescribeIdentity, DescribeModel, DescribeVersion } from './types';
import { VersionPage } from './versionPage';

export function ModelDetail(props: {
  ctx: IPanelContext;
  name: string;
  tick: number;
  onBack: () => void;
  /** the version whose lineage is shown (opened from another model's lineage graph) */
  version?: number | null;
  /** open a model at a version (a click on a node of a lineage graph) */
  onOpenVersion?: (name: string, version: number) => void;
}): JSX.Element {
  const { ctx, name } = props;
  const [lineageOf, setLineageOf] = useState<number | null>(props.version ?? null);
  useEffect(() => setLineageOf(props.version ?? null), [props.version]);
  const openVersion = (model: string, version: number) => {
    if (model === name || !props.onOpenVersion) {
      setLineageOf(version);
    } else {
      props.onOpenVersion(model, version);
    }
  };
  const [model, setModel] = useState<DescribeModel | null>(null);
  const [identity, setIdentity] = useState<DescribeIdentity | null>(null);
  const [versions, setVersions] = useState<DescribeVersion[]>([]);
  const [totalVersions, setTotalVersions] = useState(0);
  const [versionsAbout, setVersionsAbout] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  /** the versions ticked in the table, and those being compared (the compare view is open) */
  const [ticked, setTicked] = useState<number[]>([]);
  const [comparing, setComparing] = useState<number[] | null>(null);
  const reload = useCallback(() => setReloads(n => n + 1), []);
  const [opened, setOpened] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all([
      ctx.client.getModel(name),
      ctx.client.listVersions(name, 0, 100),
      ctx.client.getIdentity()
    ]).then(
      ([m, v, who]) => {
        if (live) {
          setModel(m);
          setIdentity(who);
          setVersions(v.versions);
          setTotalVersions(v.total);
          setVersionsAbout(v.total_is_estimate ? 'about ' : '');
          setError(null);
        }
      },
      reason => {
        if (live) {
          setError(ctx.report(reason, `Could not load model ${name}`));
        }
      }
    );
    return () => {
      live = false;
    };
  }, [ctx, name, props.tick, reloads]);

  /** Run one API call, report a failure, refresh after success. */
  const act = async (what: string, call: () => Promise<unknown>): Promise<boolean> => {
    try {
      await call();
      reload();
      ctx.changed();
      return true;
    } catch (reason) {
      ctx.report(reason, what);
      return false;
    }
  };

  const header = (
    <div className="jp-RegistryPanel-detailHeader">
      <ToolbarButtonComponent
        icon={caretLeftIcon}
        tooltip="Back to the model list"
        label="Models"
        onClick={props.onBack}
      />
      <h2 className="jp-RegistryPanel-title" title={name}>
        {name}
      </h2>
      {model?.archived && <span className="jp-RegistryPanel-badge">archived</span>}
      <ToolbarButtonComponent icon={refreshIcon} tooltip="Refresh" onClick={reload} />
    </div>
  );

  if (!model) {
    return (
      <div className="jp-RegistryPanel-detail">
        {header}
        <p
          className={error ? 'jp-RegistryPanel-errorBox' : 'jp-RegistryPanel-empty'}
          role={error ? 'alert' : undefined}
        >
          {error ?? 'Loading…'}
        </p>
      </div>
    );
  }

  if (comparing !== null) {
    return (
      <div className="jp-RegistryPanel-detail">
        {header}
        <CompareView
          ctx={ctx}
          name={name}
          versions={comparing}
          tick={props.tick}
          onClose={() => setComparing(null)}
        />
      </div>
    );
  }
  const listed = new Set(versions.map(v => v.version));
  const toCompare = ticked.filter(v => listed.has(v)).sort((a, b) => a - b);
  const toggleTicked = (version: number) =>
    setTicked(now => (now.includes(version) ? now.filter(v => v !== version) : [...now, version]));

  // Every alias of the model, from the API (not rebuilt from the versions on this page).
  const aliasHolders = new Map<string, number>(Object.entries(model.aliases ?? {}));

  const registerVersion = async () => {
    const body = await registerVersionDialog(ctx.client, name);
    if (body) {
      await act('Could not register the version', () => ctx.client.registerVersion(name, body));
    }
  };
  const setAlias = async (version: number) => {
    const alias = await aliasDialog(name, version, aliasHolders, wanted =>
      aliasRefusal(identity, model, wanted, 'set')
    );
    if (alias) {
      await act(`Could not set alias ${alias}`, () => ctx.client.setAlias(name, alias, version));
    }
  };
  const removeAlias = async (alias: string) => {
    await act(`Could not remove alias ${alias}`, () => ctx.client.removeAlias(name, alias));
  };
  const deleteVersion = async (version: number) => {
    if (
      await confirmDialog(
        `Delete ${name} v${version}?`,
        'The version number will not be reused.',
        'Delete'
      )
    ) {
      await act(`Could not delete version ${version}`, () =>
        ctx.client.deleteVersion(name, version)
      );
    }
  };
  const toggleArchive = async () => {
    const archive = !model.archived;
    const question = archive
      ? `Archive ${name}? It is hidden from the default list but kept, with its versions.`
      : `Unarchive ${name}?`;
    if (
      await confirmDialog(
        archive ? 'Archive model?' : 'Unarchive model?',
        question,
        archive ? 'Archive' : 'Unarchive'
      )
    ) {
      await act('Could not change the archived state', () =>
        ctx.client.updateModel(name, { archived: archive })
      );
    }
  };
  const deleteModel = async () => {
    const ok = await confirmDialog(
      'Delete model?',
      `Delete ${name} and its ${model.num_versions} version(s)? This cannot be undone.`,
      'Delete'
    );
    if (ok && (await act(`Could not delete ${name}`, () => ctx.client.deleteModel(name)))) {
      props.onBack();
    }
  };
  const addMaintainer = async (user: string) =>
    act(`Could not add maintainer ${user}`, () => ctx.client.addMaintainer(name, user));
  const removeMaintainer = async (user: string) => {
    await act(`Could not remove maintainer ${user}`, () => ctx.client.removeMaintainer(name, user));
  };
  const writing = writeRefusal(identity, 'change this model');
  const registering = writeRefusal(identity, 'register versions');
  const archiving = maintainerRefusal(
    identity,
    model,
    model.archived ? 'unarchive this model' : 'archive this model'
  );
  const deleting = maintainerRefusal(identity, model, 'delete this model');
  const deletingVersions = maintainerRefusal(identity, model, 'delete its versions');
  const maintaining = maintainerRefusal(identity, model, 'change its maintainers');
  const aliasRemoval = (alias: string) => aliasRefusal(identity, model, alias, 'remove');
  const maintainers = model.maintainers ?? [];
  const openedVersion = versions.find(v => v.version === opened);
  const addLabel = async (label: string) => {
    const labels = model.labels.includes(label) ? model.labels : [...model.labels, label];
    return act('Could not add the label', () => ctx.client.updateModel(name, { labels }));
  };

  return (
    <div className="jp-RegistryPanel-detail">
      {header}
      {error && (
        <p className="jp-RegistryPanel-errorBox" role="alert">
          {error}
        </p>
      )}
      <div className="jp-RegistryPanel-detailBody">
        <div className="jp-RegistryPanel-facts">
          <span>
            Created {formatTime(model.creation_time)}
            {model.created_by ? ` by ${model.created_by}` : ''}
          </span>
          <span>Updated {formatTime(model.last_updated_time)}</span>
          <span>
            {model.num_versions} version{model.num_versions === 1 ? '' : 's'}
          </span>
        </div>
        <div className="jp-RegistryPanel-buttons jp-RegistryPanel-actions">
          <button
            className="jp-Button jp-mod-styled jp-mod-accept"
            disabled={registering !== null}
            title={registering ?? undefined}
            onClick={() => void registerVersion()}
          >
            Register version
          </button>
          <button
            className="jp-Button jp-mod-styled jp-RegistryPanel-secondary"
            disabled={model.latest_version === null}
            title="Insert code loading the latest version into the active notebook cell"
            onClick={() => ctx.insertSnippet(`${name}:latest`)}
          >
            Insert load snippet
          </button>
          <button
            className="jp-Button jp-mod-styled jp-RegistryPanel-secondary"
            disabled={archiving !== null}
            title={archiving ?? undefined}
            onClick={() => void toggleArchive()}
          >
            {model.archived ? 'Unarchive' : 'Archive'}
          </button>
          <button
            className="jp-Button jp-mod-styled jp-mod-warn"
            disabled={deleting !== null}
            title={deleting ?? undefined}
            onClick={() => void deleteModel()}
          >
            Delete
          </button>
        </div>

        <Section title="Maintainers">
          <Chips
            items={maintainers}
            kind="label"
            onRemove={maintaining === null ? user => void removeMaintainer(user) : undefined}
          />
          {maintainers.length === 0 && (
            <p className="jp-RegistryPanel-empty">No maintainers: an admin can add one.</p>
          )}
          {maintaining === null ? (
            <LabelInput
              onAdd={addMaintainer}
              label="New maintainer"
              placeholder="Add a maintainer (user name) and press Enter"
            />
          ) : (
            <p className="jp-RegistryPanel-empty" title={maintaining}>
              {maintaining}
            </p>
          )}
        </Section>

        <Section title="Description">
          <EditableText
            label="description"
            value={model.description ?? ''}
            placeholder="No description."
            onSave={text =>
              act('Could not save the description', () =>
                ctx.client.updateModel(name, { description: text.trim() || null })
              )
            }
          />
        </Section>

        <Section title="Labels">
          <Chips
            items={model.labels}
            onRemove={label =>
              void act('Could not remove the label', () =>
                ctx.client.updateModel(name, { labels: model.labels.filter(l => l !== label) })
              )
            }
          />
          <LabelInput onAdd={addLabel} />
        </Section>

        <Section title="Metadata">
          <JsonEditor
            value={model.metadata}
            onSave={value =>
              act('Could not save the metadata', () =>
                ctx.client.patchModelMetadata(name, metadataPatch(model.metadata, value))
              )
            }
          />
        </Section>

        <Section title="Model card" label="Notes">
          <ModelCardEditor
            ctx={ctx}
            value={model.notes}
            placeholder="No card. Markdown, with an optional YAML front matter (license, datasets, …)."
            onSave={async notes => {
              await ctx.client.updateModel(name, { notes });
              reload();
              ctx.changed();
            }}
          />
        </Section>

        <Section
          title={`Versions (${versionsAbout}${totalVersions})`}
          label="Versions"
          actions={
            <>
              <button
                className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
                disabled={toCompare.length < 2}
                title={
                  toCompare.length < 2
                    ? 'Tick two or more versions to compare them'
                    : `Compare ${toCompare.map(v => `v${v}`).join(', ')} side by side`
                }
                onClick={() => setComparing(toCompare)}
              >
                Compare{toCompare.length ? ` (${toCompare.length})` : ''}
              </button>
              <button
                className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
                disabled={registering !== null}
                title={registering ?? undefined}
                onClick={() => void registerVersion()}
              >
                + Register
              </button>
            </>
          }
        >
          <VersionTable
            versions={versions}
            ticked={toCompare}
            onTick={toggleTicked}
            onSetAlias={v => void setAlias(v)}
            onRemoveAlias={a => void removeAlias(a)}
            onDelete={v => void deleteVersion(v)}
            aliasRefusal={aliasRemoval}
            aliasing={writing}
            deleting={deletingVersions}
            onSnippet={v => ctx.insertSnippet(`${name}:${v}`)}
            onLineage={setLineageOf}
            onOpen={setOpened}
          />
          {totalVersions > versions.length && (
            <p className="jp-RegistryPanel-empty">
              Showing the newest {versions.length} of {versionsAbout}
              {totalVersions} versions.
            </p>
          )}
        </Section>

        {lineageOf !== null && (
          <Section
            title={`Lineage of v${lineageOf}`}
            label="Lineage"
            actions={
              <button
                className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
                aria-label="Close the lineage"
                onClick={() => setLineageOf(null)}
              >
                ×
              </button>
            }
          >
            <VersionLineage
              ctx={ctx}
              name={name}
              version={lineageOf}
              tick={props.tick + reloads}
              onOpen={openVersion}
            />
          </Section>
        )}
        {openedVersion && (
          <VersionPage
            key={openedVersion.version}
            ctx={ctx}
            name={name}
            version={openedVersion}
            writing={writing}
            act={act}
            onChanged={() => {
              reload();
              ctx.changed();
            }}
            onClose={() => setOpened(null)}
          />
        )}
      </div>
    </div>
  );
}

function LabelInput(props: {
  onAdd: (label: string) => Promise<boolean>;
  label?: string;
  placeholder?: string;
}): JSX.Element {
  const [text, setText] = useState('');
  const submit = async () => {
    const label = text.trim();
    if (label && (await props.onAdd(label))) {
      setText('');
    }
  };
  return (
    <div className="jp-RegistryPanel-labelInput">
      <input
        className="jp-mod-styled"
        aria-label={props.label ?? 'New label'}
        placeholder={props.placeholder ?? 'Add a label and press Enter'}
        value={text}
        onChange={event => setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            void submit();
          }
        }}
      />
    </div>
  );
}

function VersionTable(props: {
  versions: DescribeVersion[];
  /** the versions ticked for comparison */
  ticked: number[];
  onTick: (version: number) => void;
  onSetAlias: (version: number) => void;
  onRemoveAlias: (alias: string) => void;
  onDelete: (version: number) => void;
  onSnippet: (version: number) => void;
  onLineage: (version: number) => void;
  onOpen: (version: number) => void;
  /** why removing this alias is refused, or null */
  aliasRefusal: (alias: string) => Refusal;
  /** why setting aliases is refused (read-only), or null */
  aliasing: Refusal;
  /** why deleting versions is refused, or null */
  deleting: Refusal;
}): JSX.Element {
  if (props.versions.length === 0) {
    return (
      <p className="jp-RegistryPanel-empty">
        No versions yet. Register one here, or from a notebook with <code>%register_version</code>.
      </p>
    );
  }
  return (
    <div className="jp-RegistryPanel-tableWrap">
      <table className="jp-RegistryPanel-table" aria-label="Versions">
        <thead>
          <tr>
            <th aria-label="Compare" />
            <th>Version</th>
            <th>Name</th>
            <th>Aliases</th>
            <th>Created</th>
            <th>Framework</th>
            <th>Metrics</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {props.versions.map(v => (
            <tr key={v.version} data-version={v.version}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Compare v${v.version}`}
                  checked={props.ticked.includes(v.version)}
                  onChange={() => props.onTick(v.version)}
                />
              </td>
              <td>
                <button
                  className="jp-RegistryPanel-link"
                  aria-label={`Open v${v.version}`}
                  title="Open this version's page: notes, metadata, files and tensors"
                  onClick={() => props.onOpen(v.version)}
                >
                  v{v.version}
                </button>
              </td>
              <td title={v.comment ?? undefined}>{v.name ?? ''}</td>
              <td>
                <Chips
                  items={v.aliases.filter(a => props.aliasRefusal(a) === null)}
                  kind="alias"
                  onRemove={props.onRemoveAlias}
                />
                <Chips items={v.aliases.filter(a => props.aliasRefusal(a) !== null)} kind="alias" />
              </td>
              <td title={formatTime(v.creation_time)}>{formatShortTime(v.creation_time)}</td>
              <td>{v.checkpoint.framework ?? ''}</td>
              <td className="jp-RegistryPanel-metrics">{formatMetrics(v.checkpoint.metrics)}</td>
              <td className="jp-RegistryPanel-rowActions">
                <button
                  className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
                  aria-label={`Set alias on v${v.version}`}
                  title={props.aliasing ?? 'Set or move an alias to this version'}
                  disabled={props.aliasing !== null}
                  onClick={() => props.onSetAlias(v.version)}
                >
                  Alias…
                </button>
                <button
                  className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
                  aria-label={`Insert load snippet for v${v.version}`}
                  title="Insert code loading this version into the active notebook cell"
                  onClick={() => props.onSnippet(v.version)}
                >
                  Snippet
                </button>
                <button
                  className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
                  aria-label={`Lineage of v${v.version}`}
                  title={
                    v.bases?.length
                      ? `Made from ${v.bases.map(b => `${b.model_name}:${b.version} (${b.relation})`).join(', ')}`
                      : 'Show what this version was made from and what was made from it'
                  }
                  onClick={() => props.onLineage(v.version)}
                >
                  Lineage
                </button>
                <button
                  className="jp-Button jp-mod-styled jp-mod-warn jp-RegistryPanel-small"
                  aria-label={`Delete v${v.version}`}
                  title={props.deleting ?? 'Delete this version'}
                  disabled={props.deleting !== null}
                  onClick={() => props.onDelete(v.version)}
                >
                  ×
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
