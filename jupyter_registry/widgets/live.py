"""Keeping views current: debounced input, and refresh after changes in this process."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any, Protocol


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
    """Refreshes every open view after a registry change made in this process.

    Changes are heard through :data:`jupyter_registry.service.process_listeners`
    (every in-process service emits there, whichever ``Registry()`` made it). A
    change made while an IPython cell runs (``%register_version``, a training
    loop registering versions) marks the views stale and they refresh once when
    the cell ends; a change made outside a cell refreshes them at once. Views
    over a remote server (``server=``) hear nothing: they have the refresh button.
    """

    def __init__(self) -> None:
        self._views: weakref.WeakSet[Any] = weakref.WeakSet()
        self._stale = False
        self._in_cell = False
        self._installed = False
        self._shell: Any = None

    def watch(self, view: Refreshable) -> None:
        self._install()
        self._views.add(view)

    def unwatch(self, view: Refreshable) -> None:
        self._views.discard(view)

    def _install(self) -> None:
        if not self._installed:
            from ..service import process_listeners

            process_listeners.append(self.on_event)
            self._installed = True
        shell = _ipython()
        if shell is not None and shell is not self._shell:
            shell.events.register("pre_run_cell", self._pre_run_cell)
            shell.events.register("post_run_cell", self._post_run_cell)
            self._shell = shell

    def on_event(self, event: str, payload: dict[str, Any]) -> None:
        if self._in_cell:
            self._stale = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.refresh_all()
            return
        if not self._stale:  # a widget callback in a kernel: refresh once, soon
            self._stale = True
            loop.call_soon(self._refresh_if_stale)

    def _refresh_if_stale(self) -> None:
        if self._stale and not self._in_cell:
            self.refresh_all()

    def _pre_run_cell(self, *_: Any) -> None:
        self._in_cell = True

    def _post_run_cell(self, *_: Any) -> None:
        self._in_cell = False
        if self._stale:
            self.refresh_all()

    def refresh_all(self) -> None:
        self._stale = False
        for view in list(self._views):
            try:
                view.refresh()
            except Exception as exc:  # never let a stale view break the change itself
                view.show_status(f"refresh failed: {exc}", error=True)


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


live = LiveRefresh()
