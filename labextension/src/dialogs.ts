/**
 * Dialogs of the panel, built on JupyterLab's `showDialog` with plain DOM
 * bodies (JupyterLab's own form classes, so they look native in every theme).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { RegistryClient, errorMessage, validateAlias, validateName } from './api';
import type { CreateModel, DescribeCheckpoint, RegisterVersion } from './types';

type Validator = () => string | null;

/** A dialog body holding labelled inputs; disables the accept button while invalid. */
abstract class FormBody<T> extends Widget implements Dialog.IBodyWidget<T> {
  constructor() {
    super();
    this.addClass('jp-RegistryDialog');
  }

  abstract getValue(): T;

  protected field<K extends 'input' | 'textarea' | 'select'>(
    label: string,
    tag: K,
    name: string,
    hint = ''
  ): HTMLElementTagNameMap[K] {
    const wrapper = document.createElement('label');
    wrapper.className = 'jp-RegistryDialog-field';
    const text = document.createElement('span');
    text.className = 'jp-RegistryDialog-label';
    text.textContent = label;
    const control = document.createElement(tag);
    control.name = name;
    control.setAttribute('aria-label', label);
    if (tag === 'select') {
      control.className = 'jp-mod-styled';
    } else {
      control.className = 'jp-mod-styled jp-RegistryDialog-input';
    }
    wrapper.append(text, control);
    if (hint) {
      const small = document.createElement('span');
      small.className = 'jp-RegistryDialog-hint';
      small.textContent = hint;
      wrapper.append(small);
    }
    this.node.append(wrapper);
    return control;
  }

  /** An element showing the first failing validator's message, updated as the user types. */
  protected validation(validator: Validator, ...inputs: HTMLElement[]): void {
    const message = document.createElement('div');
    message.className = 'jp-RegistryDialog-error';
    message.setAttribute('role', 'alert');
    this.node.append(message);
    const update = () => {
      const error = validator();
      message.textContent = error ?? '';
      const accept = this.node
        .closest('.jp-Dialog')
        ?.querySelector<HTMLButtonElement>('.jp-mod-accept');
      if (accept) {
        accept.disabled = error !== null;
      }
      this.valid = error === null;
    };
    for (const input of inputs) {
      input.addEventListener('input', update);
      input.addEventListener('change', update);
    }
    this._updaters.push(update);
  }

  protected override onAfterAttach(): void {
    // The accept button exists once the dialog is in the DOM.
    requestAnimationFrame(() => this._updaters.forEach(update => update()));
  }

  valid = false;
  private _updaters: Array<() => void> = [];
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map(item => item.trim())
    .filter(item => item.length > 0);
}

class CreateModelBody extends FormBody<CreateModel> {
  constructor() {
    super();
    this.nameInput = this.field('Name', 'input', 'name', 'Letters, digits, _ - . (max 128)');
    this.nameInput.placeholder = 'mnist_cnn';
    this.description = this.field('Description', 'textarea', 'description');
    this.labels = this.field('Labels', 'input', 'labels', 'Comma-separated, e.g. vision, cnn');
    this.validation(() => validateName(this.nameInput.value), this.nameInput);
  }

  getValue(): CreateModel {
    const description = this.description.value.trim();
    return {
      name: this.nameInput.value,
      description: description || null,
      labels: splitList(this.labels.value)
    };
  }

  readonly nameInput: HTMLInputElement;
  readonly description: HTMLTextAreaElement;
  readonly labels: HTMLInputElement;
}

/** Ask for a new model; `null` when cancelled. */
export async function createModelDialog(): Promise<CreateModel | null> {
  const body = new CreateModelBody();
  const result = await showDialog({
    title: 'Create model',
    body,
    focusNodeSelector: 'input[name="name"]',
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Create' })]
  });
  if (!result.button.accept || !result.value || validateName(result.value.name)) {
    return null;
  }
  return result.value;
}

class RegisterVersionBody extends FormBody<RegisterVersion> {
  constructor(client: RegistryClient) {
    super();
    this.recent = this.field('Recent checkpoint', 'select', 'recent');
    this.addOption('', 'Loading recent checkpoints…');
    this.uuid = this.field('Checkpoint UUID', 'input', 'checkpoint_uuid');
    this.versionName = this.field('Version name', 'input', 'version_name', 'Optional');
    this.comment = this.field('Comment', 'textarea', 'comment', 'Optional');
    this.aliases = this.field('Aliases', 'input', 'aliases', 'Comma-separated, e.g. staging');
    this.recent.addEventListener('change', () => {
      if (this.recent.value) {
        this.uuid.value = this.recent.value;
        this.uuid.dispatchEvent(new Event('input'));
      }
    });
    this.validation(
      () => {
        if (!this.uuid.value.trim()) {
          return 'Pick a recent checkpoint or paste a checkpoint UUID.';
        }
        for (const alias of splitList(this.aliases.value)) {
          const error = validateAlias(alias);
          if (error) {
            return `${alias}: ${error}`;
          }
        }
        return null;
      },
      this.uuid,
      this.aliases
    );
    void client.listCheckpoints(20).then(
      checkpoints => this.fill(checkpoints),
      error => {
        this.recent.replaceChildren();
        this.addOption('', `Could not list checkpoints: ${errorMessage(error)}`);
      }
    );
  }

  private addOption(value: string, text: string): void {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = text;
    this.recent.append(option);
  }

  private fill(checkpoints: DescribeCheckpoint[]): void {
    this.recent.replaceChildren();
    this.addOption('', checkpoints.length ? '— choose —' : 'No checkpoints yet');
    for (const ckpt of checkpoints) {
      const when = new Date(ckpt.creation_time).toLocaleString();
      const what = [ckpt.framework, ckpt.run].filter(Boolean).join(' · ');
      this.addOption(ckpt.uuid, `${ckpt.uuid.slice(0, 8)} ${when}${what ? ` (${what})` : ''}`);
    }
  }

  getValue(): RegisterVersion {
    return {
      checkpoint_uuid: this.uuid.value.trim(),
      name: this.versionName.value.trim() || null,
      comment: this.comment.value.trim() || null,
      aliases: splitList(this.aliases.value)
    };
  }

  readonly recent: HTMLSelectElement;
  readonly uuid: HTMLInputElement;
  readonly versionName: HTMLInputElement;
  readonly comment: HTMLTextAreaElement;
  readonly aliases: HTMLInputElement;
}

/** Ask which checkpoint to register as a new version of `model`; `null` when cancelled. */
export async function registerVersionDialog(
  client: RegistryClient,
  model: string
): Promise<RegisterVersion | null> {
  const result = await showDialog({
    title: `Register a version of ${model}`,
    body: new RegisterVersionBody(client),
    focusNodeSelector: 'select[name="recent"]',
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Register' })]
  });
  if (!result.button.accept || !result.value || !result.value.checkpoint_uuid) {
    return null;
  }
  return result.value;
}

class AliasBody extends FormBody<string> {
  constructor(
    existing: Map<string, number>,
    version: number,
    refusal: (alias: string) => string | null
  ) {
    super();
    this.alias = this.field('Alias', 'input', 'alias');
    this.alias.placeholder = 'production';
    const list = document.createElement('datalist');
    list.id = `jp-RegistryDialog-aliases-${Math.random().toString(36).slice(2)}`;
    for (const name of existing.keys()) {
      const option = document.createElement('option');
      option.value = name;
      list.append(option);
    }
    this.alias.setAttribute('list', list.id);
    this.node.append(list);
    const note = document.createElement('div');
    note.className = 'jp-RegistryDialog-hint';
    this.node.append(note);
    this.alias.addEventListener('input', () => {
      const holder = existing.get(this.alias.value);
      note.textContent =
        holder !== undefined && holder !== version
          ? `Moves "${this.alias.value}" from version ${holder}.`
          : '';
    });
    this.validation(() => validateAlias(this.alias.value) ?? refusal(this.alias.value), this.alias);
  }

  getValue(): string {
    return this.alias.value;
  }

  readonly alias: HTMLInputElement;
}

/**
 * Ask for an alias to set on `version` (moving it if another version holds it).
 * `refusal` says why the user may not set an alias (a protected one), as they type.
 */
export async function aliasDialog(
  model: string,
  version: number,
  existing: Map<string, number>,
  refusal: (alias: string) => string | null = () => null
): Promise<string | null> {
  const result = await showDialog({
    title: `Set an alias on ${model} v${version}`,
    body: new AliasBody(existing, version, refusal),
    focusNodeSelector: 'input[name="alias"]',
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Set alias' })]
  });
  if (
    !result.button.accept ||
    !result.value ||
    validateAlias(result.value) ||
    refusal(result.value)
  ) {
    return null;
  }
  return result.value;
}

/** A yes/no confirmation with a warning-styled accept button. */
export async function confirmDialog(title: string, body: string, label: string): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label })]
  });
  return result.button.accept;
}
