import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import type { RegistryClient } from './api';

/** What the panel's views need from the application. */
export interface IPanelContext {
  client: RegistryClient;
  rendermime: IRenderMimeRegistry;
  /** Insert code loading `ref` (`NAME:<n>` or `NAME:latest`) into the active notebook cell. */
  insertSnippet: (ref: string) => void;
  /** Show `reason` as a notification headed by `what`; returns the message shown. */
  report: (reason: unknown, what: string) => string;
  /** Something was changed from the panel: refresh the list. */
  changed: () => void;
}
