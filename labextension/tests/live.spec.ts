import type { ServerConnection } from '@jupyterlab/services';

import { LiveUpdates, POLL_INTERVAL, SETTLE_DELAY, isRegistryEvent } from '../src/live';

/** A socket the test opens, feeds and closes by hand. */
class FakeSocket {
  static made: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((message: { data: unknown }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  close(): void {
    this.closed = true;
  }
}

const registryEvent = JSON.stringify({
  schema_id: 'https://events.jupyter.org/jupyter_registry/model.changed',
  model: 'mnist'
});

function start(canRefresh = () => true): { live: LiveUpdates; refreshes: () => number } {
  let count = 0;
  const settings = {
    wsUrl: 'ws://127.0.0.1:1/',
    appendToken: true,
    token: 'sekret',
    WebSocket: FakeSocket
  } as unknown as ServerConnection.ISettings;
  const live = new LiveUpdates({ settings, refresh: () => (count += 1), canRefresh });
  return { live, refreshes: () => count };
}

describe('live panel updates', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    FakeSocket.made = [];
  });
  afterEach(() => jest.useRealTimers());

  it('recognises registry events only', () => {
    expect(isRegistryEvent(registryEvent)).toBe(true);
    expect(isRegistryEvent(JSON.stringify({ schema_id: 'https://events.jupyter.org/other' }))).toBe(
      false
    );
    expect(isRegistryEvent('not json')).toBe(false);
    expect(isRegistryEvent(undefined)).toBe(false);
  });

  it('subscribes with the token and refreshes once per burst of events', () => {
    const { live, refreshes } = start();
    const socket = FakeSocket.made[0];
    expect(socket.url).toBe('ws://127.0.0.1:1/api/events/subscribe?token=sekret');
    socket.onopen?.();
    expect(live.mode).toBe('events');
    jest.advanceTimersByTime(SETTLE_DELAY);
    expect(refreshes()).toBe(1); // catching up after connecting
    for (let i = 0; i < 5; i++) {
      socket.onmessage?.({ data: registryEvent });
    }
    socket.onmessage?.({ data: JSON.stringify({ schema_id: 'elsewhere' }) });
    jest.advanceTimersByTime(SETTLE_DELAY);
    expect(refreshes()).toBe(2);
    jest.advanceTimersByTime(POLL_INTERVAL * 3);
    expect(refreshes()).toBe(2); // no polling while the stream is up
    live.dispose();
  });

  it('polls while the stream is down and reconnects with back-off', () => {
    const { live, refreshes } = start();
    FakeSocket.made[0].onopen?.();
    jest.advanceTimersByTime(SETTLE_DELAY);
    FakeSocket.made[0].onclose?.();
    expect(live.mode).toBe('polling');
    jest.advanceTimersByTime(1000);
    expect(FakeSocket.made).toHaveLength(2); // first retry after a second
    FakeSocket.made[1].onclose?.();
    jest.advanceTimersByTime(POLL_INTERVAL);
    expect(refreshes()).toBeGreaterThanOrEqual(2);
    expect(FakeSocket.made).toHaveLength(3); // second retry after two more seconds
    FakeSocket.made[2].onopen?.();
    expect(live.mode).toBe('events');
    live.dispose();
    expect(FakeSocket.made[2].closed).toBe(true);
  });

  it('waits while refreshing is not allowed', () => {
    let allowed = false;
    const { live, refreshes } = start(() => allowed);
    FakeSocket.made[0].onopen?.();
    FakeSocket.made[0].onmessage?.({ data: registryEvent });
    jest.advanceTimersByTime(SETTLE_DELAY * 10);
    expect(refreshes()).toBe(0);
    allowed = true;
    jest.advanceTimersByTime(SETTLE_DELAY);
    expect(refreshes()).toBe(1);
    live.dispose();
  });
});
