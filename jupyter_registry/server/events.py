"""Registry changes on the Jupyter server's event bus (jupyter_events).

Each change the service commits is emitted with a registered JSON schema per
event kind, so the lab panel (through ``/api/events/subscribe``) and other
server extensions can react live. The requester's Jupyter identity comes in
the change's ``user`` field, set by the service acting for the request.
"""

from __future__ import annotations

from typing import Any

from jupyter_events import EventLogger
from tornado.ioloop import IOLoop

SCHEMA_BASE = "https://events.jupyter.org/jupyter_registry"

_PROPERTIES: dict[str, dict[str, Any]] = {
    "model": {"type": "string", "title": "model name"},
    "version": {"type": "integer", "title": "version number"},
    "alias": {"type": "string", "title": "alias"},
    "checkpoint": {"type": "string", "title": "checkpoint uuid"},
    "maintainer": {"type": "string", "title": "user added or removed as maintainer"},
    "from": {"type": "string", "title": "the model's previous name"},
    "fields": {"type": "array", "title": "changed fields", "items": {"type": "string"}},
    "action": {"type": "string", "title": "the history entry's action, e.g. version_registered"},
    "user": {"type": ["string", "null"], "title": "Jupyter username of the requester"},
}

EVENTS: dict[str, tuple[str, ...]] = {
    "model.created": ("model",),
    "model.updated": ("model", "fields"),
    "model.deleted": ("model",),
    "model.renamed": ("model", "from"),
    "version.registered": ("model", "version", "checkpoint"),
    "version.updated": ("model", "version", "fields"),
    "version.deleted": ("model", "version"),
    "alias.set": ("model", "alias", "version"),
    "alias.removed": ("model", "alias"),
    "maintainer.added": ("model", "maintainer"),
    "maintainer.removed": ("model", "maintainer"),
    "checkpoint.created": ("checkpoint",),
    "checkpoint.deleted": ("checkpoint",),
    "model.changed": ("model", "action"),
}

#: Fields an event carries when they apply. ``model.changed`` comes from the
#: history any writer appends to (see :mod:`.changes`), whatever it changed.
_OPTIONAL: dict[str, tuple[str, ...]] = {"model.changed": ("version", "alias")}


def schema_id(event: str) -> str:
    return f"{SCHEMA_BASE}/{event}"


def event_schema(event: str) -> dict[str, Any]:
    required = EVENTS[event]
    return {
        "$id": schema_id(event),
        "version": "1",
        "title": f"jupyter_registry {event}",
        "description": f"Emitted after a committed {event.replace('.', ' ')} in the registry.",
        "type": "object",
        "properties": {
            name: _PROPERTIES[name] for name in (*required, *_OPTIONAL.get(event, ()), "user")
        },
        "required": list(required),
    }


class EventForwarder:
    """A service listener that re-emits on the server's event bus from the IO loop."""

    def __init__(self, logger: EventLogger, loop: IOLoop) -> None:
        self.logger = logger
        self.loop = loop
        for event in EVENTS:
            logger.register_event_schema(event_schema(event))

    def __call__(self, event: str, payload: dict[str, Any]) -> None:
        if event not in EVENTS:
            return
        self.loop.add_callback(self.logger.emit, schema_id=schema_id(event), data=payload)
