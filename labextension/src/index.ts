import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';

import { RegistryClient, errorMessage, loadSnippet } from './api';
import type { IPanelContext } from './context';
import { createModelDialog } from './dialogs';
import { registryIcon } from './icons';
import { RegistryPanel } from './panel';

/** Root of the REST API, relative to the server's base URL. */
export const API_ROOT = 'registry/api/v1';

namespace CommandIDs {
  export const open = 'jupyter-registry:open';
  export const createModel = 'jupyter-registry:create-model';
  export const refresh = 'jupyter-registry:refresh';
}

/** A client speaking to this Jupyter server with its token / XSRF handling. */
export function serverClient(settings = ServerConnection.makeSettings()): RegistryClient {
  return new RegistryClient((path, init) =>
    ServerConnection.makeRequest(URLExt.join(settings.baseUrl, API_ROOT, path), init, settings)
  );
}

/** Report errors as notifications, without repeating the same one on every poll. */
function reporter(): (reason: unknown, what: string) => string {
  let last = '';
  let lastTime = 0;
  return (reason, what) => {
    const message = `${what}: ${errorMessage(reason)}`;
    const now = Date.now();
    if (message !== last || now - lastTime > 60_000) {
      Notification.error(message, { autoClose: 8000 });
      last = message;
      lastTime = now;
    }
    console.warn('jupyter-registry:', message);
    return message;
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-registry:plugin',
  description: 'The Model Registry sidebar panel.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [ICommandPalette, INotebookTracker, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    restorer: ILayoutRestorer | null
  ) => {
    const settings = ServerConnection.makeSettings();
    const client = serverClient(settings);
    const report = reporter();

    const insertSnippet = (ref: string) => {
      const notebook = notebooks?.currentWidget;
      const cell = notebook?.content.activeCell;
      if (!notebook || !cell) {
        Notification.warning('Open a notebook and select a cell to insert the load snippet into.', {
          autoClose: 5000
        });
        return;
      }
      const snippet = loadSnippet(ref);
      const source = cell.model.sharedModel.getSource();
      cell.model.sharedModel.setSource(
        source.trim() ? `${source.replace(/\s*$/, '')}\n\n${snippet}` : snippet
      );
      app.shell.activateById(notebook.id);
      Notification.success(`Inserted code loading ${ref} into the active cell.`, {
        autoClose: 3000
      });
    };

    const ctx: IPanelContext = {
      client,
      rendermime,
      insertSnippet,
      report,
      changed: () => panel.refresh()
    };
    const panel = new RegistryPanel(
      ctx,
      async () => {
        const body = await createModelDialog();
        if (!body) {
          return null;
        }
        try {
          const model = await client.createModel(body);
          Notification.success(`Created model ${model.name}.`, { autoClose: 3000 });
          return model.name;
        } catch (reason) {
          report(reason, 'Could not create the model');
          return null;
        }
      },
      settings
    );
    panel.title.icon = registryIcon;
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, panel.id);

    app.commands.addCommand(CommandIDs.open, {
      label: 'Open Model Registry',
      caption: 'Show the Model Registry sidebar panel',
      icon: registryIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.createModel, {
      label: 'Model Registry: Create Model…',
      execute: async () => {
        app.shell.activateById(panel.id);
        await panel.createModel();
      }
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Model Registry: Refresh',
      execute: () => panel.refresh()
    });
    for (const command of [CommandIDs.open, CommandIDs.createModel, CommandIDs.refresh]) {
      palette?.addItem({ command, category: 'Model Registry' });
    }
  }
};

export default plugin;
