"""The JSON handlers of the REST API (SPEC §3), built from :mod:`jupyter_registry.api`.

Every JSON operation is served the same way: typed path values, body and
query are parsed by the operation's declaration, the service method of the
operation's name does the work, and the answer is serialised with the
declared status (201 with ``Location`` on create). So there is one verb
body for all of them, made per operation by :func:`serve`, and one handler
class per route, made by :func:`json_handler`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..api import Operation
from .base import RegistryHandler, Verb, endpoint


def serve(operation: Operation) -> Verb:
    """The verb of a JSON operation: path, body, query → the service method → response."""

    async def verb(
        self: RegistryHandler,
        *segments: str,
        body: BaseModel | None = None,
        query: BaseModel | None = None,
    ) -> Any:
        args = operation.parse_path(*segments)
        if body is not None:
            args.append(body)
        if query is not None and operation.query_fields:
            args.extend(getattr(query, name) for name in type(query).model_fields)
        elif query is not None:
            args.append(query)
        result = await self.call(getattr(self.service, operation.name), *args)
        if operation.location is not None:
            self.created(self.api_url(operation.created_at(result)))
        return result

    verb.__name__ = verb.__qualname__ = operation.name
    return endpoint(operation)(verb)


def json_handler(route: str, operations: list[Operation]) -> type[RegistryHandler]:
    """A handler class for ``route`` with one authenticated verb per operation."""
    words = [w for w in route.replace("{", "").replace("}", "").split("/") if w]
    name = "".join(w.title().replace("_", "") for w in words) + "Handler"
    verbs = {op.method.lower(): serve(op) for op in operations}
    return type(name, (RegistryHandler,), verbs)
