/**
 * Small React building blocks shared by the list and the detail view.
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import React, { useEffect, useRef, useState } from 'react';

/** Labels as chips; optional remove buttons and click-to-filter. */
export function Chips(props: {
  items: string[];
  kind?: 'label' | 'alias';
  onClick?: (item: string) => void;
  onRemove?: (item: string) => void;
}): JSX.Element {
  const kind = props.kind ?? 'label';
  return (
    <span className="jp-RegistryPanel-chips">
      {props.items.map(item => (
        <span
          key={item}
          className={`jp-RegistryPanel-chip jp-RegistryPanel-chip-${kind}`}
          data-chip={item}
        >
          {props.onClick ? (
            <button
              className="jp-RegistryPanel-chipText"
              title={`Show models labelled "${item}"`}
              onClick={event => {
                event.stopPropagation();
                props.onClick?.(item);
              }}
            >
              {item}
            </button>
          ) : (
            <span className="jp-RegistryPanel-chipText">{item}</span>
          )}
          {props.onRemove && (
            <button
              className="jp-RegistryPanel-chipRemove"
              aria-label={`Remove ${kind} ${item}`}
              title={`Remove ${kind} ${item}`}
              onClick={event => {
                event.stopPropagation();
                props.onRemove?.(item);
              }}
            >
              ×
            </button>
          )}
        </span>
      ))}
    </span>
  );
}

/**
 * Markdown rendered by JupyterLab's rendermime, untrusted: its sanitizer strips
 * scripts and event-handler attributes, so a note cannot run code.
 */
export function Markdown(props: { rendermime: IRenderMimeRegistry; source: string }): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const renderer = props.rendermime.createRenderer('text/markdown');
    const model = props.rendermime.createModel({
      data: { 'text/markdown': props.source },
      trusted: false
    });
    let live = true;
    void renderer.renderModel(model).then(() => {
      if (live && host.current) {
        // React owns the host and may remove it before this effect is cleaned up,
        // so the renderer's node is placed directly rather than Widget.attach-ed.
        host.current.replaceChildren(renderer.node);
      }
    });
    return () => {
      live = false;
      renderer.node.remove();
      renderer.dispose();
    };
  }, [props.source, props.rendermime]);
  return <div className="jp-RegistryPanel-markdown" ref={host} />;
}

/** A section title with optional action buttons on the right. */
export function Section(props: {
  title: string;
  actions?: React.ReactNode;
  children: React.ReactNode;
  label?: string;
}): JSX.Element {
  return (
    <section className="jp-RegistryPanel-section" aria-label={props.label ?? props.title}>
      <header className="jp-RegistryPanel-sectionHeader">
        <h3>{props.title}</h3>
        <span className="jp-RegistryPanel-sectionActions">{props.actions}</span>
      </header>
      {props.children}
    </section>
  );
}

/** Plain text shown read-only until "Edit", then a textarea with Save / Cancel. */
export function EditableText(props: {
  label: string;
  value: string;
  placeholder: string;
  multiline?: boolean;
  render?: (value: string) => React.ReactNode;
  onSave: (value: string) => Promise<boolean>;
}): JSX.Element {
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (draft === null) {
    return (
      <div className="jp-RegistryPanel-editable">
        <div className="jp-RegistryPanel-editableView">
          {props.value ? (
            props.render ? (
              props.render(props.value)
            ) : (
              <p className="jp-RegistryPanel-text">{props.value}</p>
            )
          ) : (
            <p className="jp-RegistryPanel-empty">{props.placeholder}</p>
          )}
        </div>
        <button
          className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
          aria-label={`Edit ${props.label}`}
          onClick={() => setDraft(props.value)}
        >
          Edit
        </button>
      </div>
    );
  }
  const save = async () => {
    setBusy(true);
    const ok = await props.onSave(draft);
    setBusy(false);
    if (ok) {
      setDraft(null);
    }
  };
  return (
    <div className="jp-RegistryPanel-editing">
      <textarea
        className="jp-mod-styled jp-RegistryPanel-textarea"
        aria-label={props.label}
        rows={props.multiline ? 10 : 3}
        value={draft}
        autoFocus
        onChange={event => setDraft(event.target.value)}
      />
      <SaveCancel
        label={props.label}
        busy={busy}
        onCancel={() => setDraft(null)}
        onSave={() => void save()}
      />
    </div>
  );
}

/** The Cancel and Save buttons under a text being edited (Save is named for `label`). */
export function SaveCancel(props: {
  label: string;
  busy: boolean;
  onCancel: () => void;
  onSave: () => void;
}): JSX.Element {
  return (
    <div className="jp-RegistryPanel-buttons">
      <button
        className="jp-Button jp-mod-styled jp-RegistryPanel-secondary"
        onClick={props.onCancel}
        disabled={props.busy}
      >
        Cancel
      </button>
      <button
        className="jp-Button jp-mod-styled jp-mod-accept"
        aria-label={`Save ${props.label}`}
        onClick={props.onSave}
        disabled={props.busy}
      >
        Save
      </button>
    </div>
  );
}

/** Why `text` is not an acceptable metadata object, or `null` when it is. */
export function metadataError(text: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `Invalid JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'Metadata must be a JSON object, e.g. {"key": "value"}.';
  }
  return null;
}

/** A JSON editor for a metadata object, validated as the user types. */
export function JsonEditor(props: {
  value: Record<string, unknown>;
  onSave: (value: Record<string, unknown>) => Promise<boolean>;
  /** what is edited, in the accessible names (`metadata`, `version metadata`) */
  label?: string;
}): JSX.Element {
  const label = props.label ?? 'metadata';
  const pretty = JSON.stringify(props.value, null, 2);
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const text = draft ?? pretty;
  const error = draft === null ? null : metadataError(draft);
  const dirty = draft !== null && draft !== pretty;
  const save = async () => {
    if (draft === null || error) {
      return;
    }
    setBusy(true);
    const ok = await props.onSave(JSON.parse(draft) as Record<string, unknown>);
    setBusy(false);
    if (ok) {
      setDraft(null);
    }
  };
  return (
    <div className="jp-RegistryPanel-json">
      <textarea
        className={`jp-mod-styled jp-RegistryPanel-textarea jp-RegistryPanel-code${error ? ' jp-mod-invalid' : ''}`}
        aria-label={`${label[0].toUpperCase()}${label.slice(1)} JSON`}
        aria-invalid={error !== null}
        spellCheck={false}
        wrap="off"
        rows={Math.min(16, Math.max(4, text.split('\n').length + 1))}
        value={text}
        onChange={event => setDraft(event.target.value)}
      />
      <div className="jp-RegistryPanel-error" role="alert">
        {error ?? ''}
      </div>
      <div className="jp-RegistryPanel-buttons">
        <button
          className="jp-Button jp-mod-styled jp-RegistryPanel-secondary"
          disabled={!dirty || busy}
          onClick={() => setDraft(null)}
        >
          Revert
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          aria-label={`Save ${label}`}
          disabled={!dirty || error !== null || busy}
          onClick={() => void save()}
        >
          Save
        </button>
      </div>
    </div>
  );
}

/** `2026-11-22 19:40`, in the user's locale. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  });
}

/** `Nov 22, 20:06` (the year only when it is not this year), for table cells. */
export function formatShortTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const thisYear = date.getFullYear() === new Date().getFullYear();
  return date.toLocaleString(undefined, {
    year: thisYear ? undefined : 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false
  });
}

/** `1.5 MB` from a size in bytes (decimal units, as file managers show them). */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `acc=0.97 loss=0.091` from a metrics object (nested values abbreviated). */
export function formatMetrics(metrics: Record<string, unknown>): string {
  return Object.entries(metrics)
    .map(([key, value]) => {
      if (typeof value === 'number') {
        return `${key}=${Number.isInteger(value) ? value : Number(value.toPrecision(4))}`;
      }
      if (typeof value === 'string' || typeof value === 'boolean') {
        return `${key}=${value}`;
      }
      return `${key}=…`;
    })
    .join(' ');
}
