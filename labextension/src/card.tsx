/**
 * A model's card: its notes, Markdown under an optional YAML front matter.
 *
 * The server checks the front matter (jupyter_registry/cards.py) and names the
 * line of a problem; the editor shows that message beside the text, keeps the
 * text and puts the cursor on that line, so a mistake is fixed where it is.
 * The preview renders the body through JupyterLab's rendermime, untrusted
 * (its sanitizer strips scripts), as the rest of the panel's Markdown.
 */
import React, { useRef, useState } from 'react';

import { errorMessage } from './api';
import { Markdown, SaveCancel } from './components';
import type { IPanelContext } from './context';

const FENCE = /^---[ \t]*$/;
const ERROR_LINE = /model card line (\d+):/;

/** The front matter's lines (null without one) and the Markdown body. */
export function splitCard(text: string): { front: string | null; body: string } {
  const lines = text.split('\n');
  if (lines.length === 0 || !FENCE.test(lines[0].replace(/\r$/, ''))) {
    return { front: null, body: text };
  }
  for (let i = 1; i < lines.length; i++) {
    if (FENCE.test(lines[i].replace(/\r$/, ''))) {
      return { front: lines.slice(1, i).join('\n'), body: lines.slice(i + 1).join('\n') };
    }
  }
  return { front: lines.slice(1).join('\n'), body: '' };
}

/** The card as read: the front matter as written, then the rendered body. */
function CardView(props: { ctx: IPanelContext; text: string }): JSX.Element {
  const { front, body } = splitCard(props.text);
  return (
    <div className="jp-RegistryPanel-card">
      {front !== null && (
        <pre className="jp-RegistryPanel-frontMatter" aria-label="Front matter">
          {front}
        </pre>
      )}
      {body.trim() && <Markdown rendermime={props.ctx.rendermime} source={body} />}
    </div>
  );
}

/** Put the caret at the start of 1-based `line` of the textarea and scroll to it. */
function selectLine(area: HTMLTextAreaElement | null, line: number): void {
  if (!area) {
    return;
  }
  const lines = area.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  const end = start + (lines[line - 1]?.length ?? 0);
  area.focus();
  area.setSelectionRange(start, end);
}

/**
 * The card, read-only until "Edit"; then a textarea beside a live preview.
 * `onSave` answers null when saved, else the server's message.
 */
export function ModelCardEditor(props: {
  ctx: IPanelContext;
  value: string;
  /** the label of the text (`notes` of a model, `version notes` of a version) */
  label?: string;
  placeholder?: string;
  onSave: (text: string) => Promise<void>;
}): JSX.Element {
  const label = props.label ?? 'notes';
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);

  if (draft === null) {
    return (
      <div className="jp-RegistryPanel-editable">
        <div className="jp-RegistryPanel-editableView">
          {props.value ? (
            <CardView ctx={props.ctx} text={props.value} />
          ) : (
            <p className="jp-RegistryPanel-empty">
              {props.placeholder ?? 'No notes. Notes are Markdown.'}
            </p>
          )}
        </div>
        <button
          className="jp-Button jp-mod-styled jp-RegistryPanel-secondary jp-RegistryPanel-small"
          aria-label={`Edit ${label}`}
          onClick={() => {
            setDraft(props.value);
            setError(null);
          }}
        >
          Edit
        </button>
      </div>
    );
  }

  const save = async () => {
    setBusy(true);
    try {
      await props.onSave(draft);
      setDraft(null);
      setError(null);
    } catch (reason) {
      const message = errorMessage(reason);
      setError(message);
      const line = ERROR_LINE.exec(message);
      if (line) {
        selectLine(area.current, Number(line[1]));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="jp-RegistryPanel-cardEditor">
      <div className="jp-RegistryPanel-cardPanes">
        <textarea
          ref={area}
          className={`jp-mod-styled jp-RegistryPanel-textarea jp-RegistryPanel-code${error ? ' jp-mod-invalid' : ''}`}
          aria-label={label}
          aria-invalid={error !== null}
          spellCheck={false}
          rows={16}
          value={draft}
          autoFocus
          onChange={event => setDraft(event.target.value)}
        />
        <div className="jp-RegistryPanel-cardPreview" aria-label={`Preview of the ${label}`}>
          <CardView ctx={props.ctx} text={draft} />
        </div>
      </div>
      <div className="jp-RegistryPanel-error" role="alert">
        {error ?? ''}
      </div>
      <SaveCancel
        label={label}
        busy={busy}
        onCancel={() => {
          setDraft(null);
          setError(null);
        }}
        onSave={() => void save()}
      />
    </div>
  );
}
