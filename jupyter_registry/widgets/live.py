"""Keeping views current: debounced input, and refresh after changes in this kernel."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from ..client.protocol import ChangeSource
from ..kernel import kernel_state, shell
from ..schemas import Listener


class Refreshable(Protocol):
    def refresh(self) -> None: ...

    def show_status(self, message: str, error: bool = False) -> None: ...


class Debouncer:
    """Call ``callback`` once input has been quiet for ``delay`` seconds.

    Inside a kernel (a running asyncio loop) calls are coalesced with
    ``loop.call_later``; without a loop (a script, a unit test) the callback
    runs at once, so driving a widget from Python stays synchronous.
    """

    def __init__(self, delay: float, callback: Callable[[], None]) -> None:
        self.delay = delay
        self.callback = callback
        self._handle: asyncio.TimerHandle | None = None

    def __call__(self, *_: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self.delay <= 0:
            self.cancel()
            self.callback()
            return
        self.cancel()
        self._handle = loop.call_later(self.delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self.callback()

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class LiveRefresh:
    """Refreshes one view after registry changes, owned by that view.

    In an IPython kernel the view hears every change made through the kernel's
    embedded registries (its :class:`~jupyter_registry.kernel.KernelState`,
    whichever ``Registry()`` made the change) and through its own registry's
    client; outside IPython, only the latter. A change made while an IPython
    cell runs (``%register_version``, a training loop registering versions)
    marks the view stale and it refreshes once when the cell ends; a change
    made outside a cell refreshes it at once. A view over a remote server
    (``server=``) hears nothing: it has the refresh button.
    """

    def __init__(self, view: Refreshable, client: object) -> None:
        # Weak: the listener lists outlive a view that is closed or dropped.
        self._view = weakref.ref(view)
        self._stale = False
        self._in_cell = False
        self._sources: list[list[Listener]] = []
        state = kernel_state()
        if state is not None:
            self._sources.append(state.listeners)
        if isinstance(client, ChangeSource) and (
            state is None or state.changed not in client.listeners
        ):
            self._sources.append(client.listeners)
        for listeners in self._sources:
            listeners.append(self.on_event)
        self._shell = shell()
        if self._shell is not None:
            self._shell.events.register("pre_run_cell", self._pre_run_cell)
            self._shell.events.register("post_run_cell", self._post_run_cell)

    def stop(self) -> None:
        """Hear nothing more: the view is closed, or waits for its refresh button."""
        for listeners in self._sources:
            if self.on_event in listeners:
                listeners.remove(self.on_event)
        self._sources = []
        if self._shell is not None:
            for event, hook in (
                ("pre_run_cell", self._pre_run_cell),
                ("post_run_cell", self._post_run_cell),
            ):
                if hook in self._shell.events.callbacks[event]:
                    self._shell.events.unregister(event, hook)
            self._shell = None

    def on_event(self, event: str, payload: dict[str, Any]) -> None:
        if self._in_cell:
            self._stale = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.refresh()
            return
        if not self._stale:  # a widget callback in a kernel: refresh once, soon
            self._stale = True
            loop.call_soon(self._refresh_if_stale)

    def _refresh_if_stale(self) -> None:
        if self._stale and not self._in_cell:
            self.refresh()

    def _pre_run_cell(self, *_: Any) -> None:
        self._in_cell = True

    def _post_run_cell(self, *_: Any) -> None:
        self._in_cell = False
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        self._stale = False
        view = self._view()
        if view is None:
            return
        try:
            view.refresh()
        except Exception as exc:  # never let a stale view break the change itself
            view.show_status(f"refresh failed: {exc}", error=True)
