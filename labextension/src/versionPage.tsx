/**
 * One version's page: its own notes and metadata (editable), and its files
 * with sizes; a `.safetensors` file lists its tensors, which the server reads
 * from the file's header alone (`GET checkpoints/{uuid}/safetensors`), so a
 * multi-GB checkpoint answers as fast as a small one.
 */
import React, { useEffect, useState } from 'react';

import { metadataPatch } from './api';
import { ModelCardEditor } from './card';
import { JsonEditor, Section, formatSize, formatTime } from './components';
import type { IPanelContext } from './context';
import type { Refusal } from './permissions';
import type { DescribeTensors, DescribeVersion } from './types';

function TensorTable(props: { ctx: IPanelContext; uuid: string; path: string }): JSX.Element {
  const { ctx, uuid, path } = props;
  const [info, setInfo] = useState<DescribeTensors | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    ctx.client.getTensors(uuid, path).then(
      found => live && setInfo(found),
      reason => live && setError(ctx.report(reason, `Could not read the tensors of ${path}`))
    );
    return () => {
      live = false;
    };
  }, [ctx, uuid, path]);
  if (error) {
    return (
      <p className="jp-RegistryPanel-errorBox" role="alert">
        {error}
      </p>
    );
  }
  if (!info) {
    return <p className="jp-RegistryPanel-empty">Reading the header…</p>;
  }
  return (
    <div className="jp-RegistryPanel-tableWrap">
      <p className="jp-RegistryPanel-facts" aria-label={`Parameters of ${path}`}>
        {info.tensors.length} tensors, {info.parameters.toLocaleString('en-US')} parameters (read{' '}
        {formatSize(info.header_bytes)} of {formatSize(info.size)})
      </p>
      <table className="jp-RegistryPanel-table" aria-label={`Tensors of ${path}`}>
        <thead>
          <tr>
            <th>Tensor</th>
            <th>Dtype</th>
            <th>Shape</th>
            <th>Parameters</th>
          </tr>
        </thead>
        <tbody>
          {info.tensors.map(t => (
            <tr key={t.name}>
              <td>{t.name}</td>
              <td>{t.dtype}</td>
              <td>{t.shape.length ? t.shape.join(' × ') : 'scalar'}</td>
              <td>{t.parameters.toLocaleString('en-US')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FileTable(props: { ctx: IPanelContext; version: DescribeVersion }): JSX.Element {
  const checkpoint = props.version.checkpoint;
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <div className="jp-RegistryPanel-tableWrap">
        <table className="jp-RegistryPanel-table" aria-label="Files">
          <thead>
            <tr>
              <th>File</th>
              <th>Size</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {checkpoint.files.map(f => (
              <tr key={f.path} data-file={f.path}>
                <td>{f.path}</td>
                <td title={`${f.size} bytes`}>{formatSize(f.size)}</td>
                <td className="jp-RegistryPanel-rowActions">
                  {f.path.endsWith('.safetensors') && (
                    <button
                      className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
                      aria-label={`Tensors of ${f.path}`}
                      aria-pressed={open === f.path}
                      title="List the tensors, read from the file's header alone"
                      onClick={() => setOpen(open === f.path ? null : f.path)}
                    >
                      Tensors
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {open && <TensorTable ctx={props.ctx} uuid={checkpoint.uuid} path={open} />}
    </>
  );
}

/** A version's page, under the model's versions table. */
export function VersionPage(props: {
  ctx: IPanelContext;
  name: string;
  version: DescribeVersion;
  /** why changing versions is refused (read-only), or null */
  writing: Refusal;
  /** run an API call, report its failure, refresh after success */
  act: (what: string, call: () => Promise<unknown>) => Promise<boolean>;
  /** the version was changed here: refresh */
  onChanged: () => void;
  onClose: () => void;
}): JSX.Element {
  const { ctx, name, version, act } = props;
  const v = version.version;
  const saveNotes = async (notes: string) => {
    await ctx.client.updateVersion(name, v, { notes });
    props.onChanged();
  };
  return (
    <Section
      title={`Version ${v}`}
      label={`Version ${v} page`}
      actions={
        <button
          className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
          aria-label={`Close version ${v}`}
          onClick={props.onClose}
        >
          Close
        </button>
      }
    >
      <div className="jp-RegistryPanel-facts">
        <span>
          Registered {formatTime(version.creation_time)}
          {version.created_by ? ` by ${version.created_by}` : ''}
        </span>
        <span title={version.checkpoint.uuid}>
          Checkpoint {version.checkpoint.uuid.slice(0, 8)}
        </span>
        {version.checkpoint.format && <span>Format {version.checkpoint.format}</span>}
      </div>
      <h4 className="jp-RegistryPanel-subheading">Notes</h4>
      <ModelCardEditor
        ctx={ctx}
        label="version notes"
        placeholder="No notes on this version. Notes are Markdown."
        value={version.notes}
        onSave={saveNotes}
      />
      <h4 className="jp-RegistryPanel-subheading">Metadata</h4>
      {props.writing === null ? (
        <JsonEditor
          label="version metadata"
          value={version.metadata}
          onSave={value =>
            act('Could not save the version metadata', () =>
              ctx.client.patchVersionMetadata(name, v, metadataPatch(version.metadata, value))
            )
          }
        />
      ) : (
        <pre className="jp-RegistryPanel-frontMatter">
          {JSON.stringify(version.metadata, null, 2)}
        </pre>
      )}
      <h4 className="jp-RegistryPanel-subheading">Files</h4>
      <FileTable ctx={ctx} version={version} />
    </Section>
  );
}
