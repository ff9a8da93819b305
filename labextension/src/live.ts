/**
 * Keeping the panel current: the Jupyter server's event stream first,
 * polling only while the stream is down.
 *
 * The registry emits an event for each change it commits, and one
 * `model.changed` per history entry written by anyone (a kernel, the CLI,
 * another user), so one subscription to `api/events/subscribe` tells the panel
 * everything it shows may have changed. Bursts (a registration is several
 * events) are folded into one refresh.
 */
import { URLExt } from '@jupyterlab/coreutils';
import type { ServerConnection } from '@jupyterlab/services';

/** The `$id` prefix of every registry event schema (see `server/events.py`). */
export const SCHEMA_PREFIX = 'https://events.jupyter.org/jupyter_registry/';
/** How often the panel re-reads the registry while the event stream is down. */
export const POLL_INTERVAL = 5000;
/** Events closer together than this become one refresh. */
export const SETTLE_DELAY = 150;
const RETRY_FIRST = 1000;
const RETRY_MAX = 30_000;

/** How the panel currently learns of changes (shown on the panel as `data-live`). */
export type LiveMode = 'events' | 'polling';

export interface ILiveOptions {
  settings: ServerConnection.ISettings;
  /** Re-read the registry. Called only when `canRefresh()` allows it. */
  refresh: () => void;
  /** Whether a refresh may run now (the panel is visible, no dialog is open). */
  canRefresh: () => boolean;
  /** The mode changed. */
  onMode?: (mode: LiveMode) => void;
}

/** Whether a message from the events socket is one of the registry's. */
export function isRegistryEvent(data: unknown): boolean {
  if (typeof data !== 'string') {
    return false;
  }
  try {
    const event = JSON.parse(data) as { schema_id?: unknown };
    return typeof event.schema_id === 'string' && event.schema_id.startsWith(SCHEMA_PREFIX);
  } catch {
    return false;
  }
}

/** The events subscription with its polling fallback and reconnection. */
export class LiveUpdates {
  constructor(private readonly _options: ILiveOptions) {
    this._setMode('polling');
    this._connect();
  }

  get mode(): LiveMode {
    return this._mode;
  }

  dispose(): void {
    this._disposed = true;
    clearTimeout(this._retry);
    clearTimeout(this._settle);
    clearInterval(this._poll);
    if (this._socket) {
      this._socket.onclose = null;
      this._socket.close();
    }
  }

  /** Refresh soon, once for a burst; wait while refreshing isn't allowed. */
  private _schedule(): void {
    clearTimeout(this._settle);
    this._settle = setTimeout(() => {
      if (this._options.canRefresh()) {
        this._options.refresh();
      } else {
        this._schedule();
      }
    }, SETTLE_DELAY);
  }

  private _connect(): void {
    const { settings } = this._options;
    let url = URLExt.join(settings.wsUrl, 'api/events/subscribe');
    if (settings.appendToken && settings.token !== '') {
      url += `?token=${encodeURIComponent(settings.token)}`;
    }
    const socket = new settings.WebSocket(url);
    this._socket = socket;
    socket.onopen = () => {
      this._delay = RETRY_FIRST;
      this._setMode('events');
      this._schedule(); // catch up on anything missed while the stream was down
    };
    socket.onmessage = message => {
      if (isRegistryEvent(message.data)) {
        this._schedule();
      }
    };
    socket.onclose = () => {
      this._socket = null;
      this._setMode('polling');
      if (!this._disposed) {
        this._retry = setTimeout(() => this._connect(), this._delay);
        this._delay = Math.min(this._delay * 2, RETRY_MAX);
      }
    };
  }

  private _setMode(mode: LiveMode): void {
    clearInterval(this._poll);
    if (mode === 'polling') {
      this._poll = setInterval(() => {
        if (this._options.canRefresh()) {
          this._options.refresh();
        }
      }, POLL_INTERVAL);
    }
    if (mode !== this._mode) {
      this._mode = mode;
      this._options.onMode?.(mode);
    }
  }

  private _mode: LiveMode = 'polling';
  private _socket: WebSocket | null = null;
  private _delay = RETRY_FIRST;
  private _retry: ReturnType<typeof setTimeout> | undefined;
  private _settle: ReturnType<typeof setTimeout> | undefined;
  private _poll: ReturnType<typeof setInterval> | undefined;
  private _disposed = false;
}
