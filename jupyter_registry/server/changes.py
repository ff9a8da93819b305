"""Changes made by any writer, announced on the Jupyter server's event bus.

The service emits its own changes as they commit (:mod:`.events`), but a
registry has other writers the server never hears from: a kernel or the CLI
opening the same database directly, another server on a team's PostgreSQL,
other users of a central registry this server forwards to. All of them append
to the models' history, so the server follows the history's change feed
(``list_changes``): a read every ``interval`` seconds of what is newer than
the last entry seen, and one ``model.changed`` event per new entry. The lab
panel listens to these instead of polling the REST API.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..schemas import ChangesQuery, DescribeAction, ListChangesResponse
from ..service import RegistryService
from .forward import Upstream

log = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any]], None]
#: Where changes are read: this server's own service, or the registry it forwards to.
Source = RegistryService | Upstream


async def read_changes(source: Source, after: int | None) -> ListChangesResponse:
    """One page of the change feed; the database read runs on a worker thread."""
    query = ChangesQuery(after=after)
    if isinstance(source, RegistryService):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, source.list_changes, query)
    response = await source.client.get(
        f"{source.api}changes",
        params=query.model_dump(exclude_none=True),
        headers={"Authorization": f"token {source.token}"},
    )
    response.raise_for_status()
    return ListChangesResponse.model_validate_json(response.content)


class ChangeWatcher:
    """Follows the change feed and emits each new entry, one tick at a time.

    ``source`` is called each tick rather than held, so a server whose
    registry is swapped (tests do this) follows it; the cursor restarts from
    "now" on the new registry, because ids of two databases don't compare.
    """

    def __init__(self, source: Callable[[], Source], emit: Emit, interval: float) -> None:
        self._source = source
        self._emit = emit
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._watched: Source | None = None
        self._cursor: int | None = None
        self._failing = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self._tick()

    async def _tick(self) -> None:
        source = self._source()
        if source is not self._watched:
            self._watched, self._cursor = source, None
        try:
            page = await read_changes(source, self._cursor)
        except Exception:
            # A registry that is away for a while must not flood the log.
            if not self._failing:
                log.warning("registry: cannot read the change feed", exc_info=True)
            self._failing = True
            return
        self._failing = False
        if source is self._watched:
            self._cursor = page.cursor
            for action in page.changes:
                self._emit("model.changed", _payload(action))


def _payload(action: DescribeAction) -> dict[str, Any]:
    payload: dict[str, Any] = {"model": action.model_name, "action": action.action}
    payload["user"] = action.user
    if action.version is not None:
        payload["version"] = action.version
    if action.alias is not None:
        payload["alias"] = action.alias
    return payload
