"""The OpenAPI 3.1 document, generated from the route table and the pydantic schemas.

Nothing here is written by hand per route: paths, verbs, typed path
parameters, what each verb takes and returns and its statuses come from
:data:`jupyter_registry.api.OPERATIONS` (what tornado serves, too), and every
body and response schema from the pydantic model the handler validates with.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .. import __version__
from ..api import OPERATIONS, PATH_PARAMS, Operation
from .base import ERROR_TYPES, RegistryHandler, endpoint

REF = "#/components/schemas/{model}"


class ErrorDetail(BaseModel):
    type: str
    message: str


class ErrorBody(BaseModel):
    """Every error response: ``{"error": {"type": ..., "message": ...}}``."""

    error: ErrorDetail


def _component_schemas() -> tuple[dict[Any, Any], dict[str, Any]]:
    models: set[tuple[type[BaseModel], str]] = {(ErrorBody, "serialization")}
    for op in OPERATIONS:
        if op.body is not None:
            models.add((op.body, "validation"))
        if op.response is not None:
            models.add((op.response, "serialization"))
    keyed = sorted(models, key=lambda m: (m[0].__name__, m[1]))
    refs, schema = models_json_schema(keyed, ref_template=REF)  # type: ignore[arg-type]
    return refs, schema.get("$defs", {})


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query value is never JSON null: drop the ``null`` branch of optional fields."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**options[0], **rest}
    return schema


def _inline(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """Replace local ``$defs`` references (enums) so a query parameter stands alone."""
    if "$ref" in schema:
        target = definitions[schema.pop("$ref").rsplit("/", 1)[1]]
        schema = {**copy.deepcopy(target), **schema}
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            schema[key] = [_inline(s, definitions) for s in schema[key]]
    return schema


def _query_parameters(op: Operation) -> list[dict[str, Any]]:
    assert op.query is not None
    schema = op.query.model_json_schema()
    definitions = schema.get("$defs", {})
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = _not_null(_inline(copy.deepcopy(prop), definitions))
        description = prop.pop("description", None) or prop.get("title", name)
        prop.pop("title", None)
        param: dict[str, Any] = {
            "name": op.query_aliases.get(name, name),
            "in": "query",
            "required": False,
            "description": description,
            "schema": prop,
        }
        if prop.get("type") == "array":
            param.update(style="form", explode=True)
        params.append(param)
    return params


def _error(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_TYPES.get(status, "error"),
        "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}},
    }


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    path, verb = op.route, op.method.lower()
    parameters: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": PATH_PARAMS[p].schema}
        for p in op.path_params
    ]
    if op.query is not None:
        parameters.extend(_query_parameters(op))
    if op.resumable:
        parameters.append(
            {
                "name": "Range",
                "in": "header",
                "required": False,
                "description": "bytes=N- resumes a download at byte N",
                "schema": {"type": "string"},
            }
        )
    responses: dict[str, Any] = {}
    success: dict[str, Any] = {"description": op.summary}
    if op.response is not None:
        ref = refs[(op.response, "serialization")]
        success["content"] = {"application/json": {"schema": ref}}
    elif op.streamed and verb == "get":
        success["content"] = {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
        }
    responses[str(op.status)] = success
    if op.resumable:
        responses["206"] = {**success, "description": "the rest of the file, from the Range start"}
    for status in sorted({*op.errors, 401, 403}):
        responses[str(status)] = _error(status) if verb != "head" else {"description": "error"}
    body: dict[str, Any] | None = None
    if op.body is not None:
        body = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    elif op.raw_body:
        body = {
            "required": True,
            "content": {op.body_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    result: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [path.split("/")[0]],
        "parameters": parameters,
        "responses": responses,
    }
    if body is not None:
        result["requestBody"] = body
    return result


@cache
def openapi_document() -> dict[str, Any]:
    """The whole document, server-relative (``servers`` is filled in per request)."""
    refs, components = _component_schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(f"/{op.route}", {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "jupyter_registry",
            "version": __version__,
            "description": "Models, versions, aliases and checkpoints of the Jupyter model "
            "registry. Authenticate like any Jupyter API: `Authorization: token <token>`, "
            "or a Jupyter cookie plus the `X-XSRFToken` header.",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "jupyterToken": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
        },
        "security": [{"jupyterToken": []}],
        "paths": paths,
    }


DOCUMENT = Operation("openapi", "GET", "openapi.json", "This document", streamed=True)


class OpenAPIHandler(RegistryHandler):
    """The API description, behind the same authentication as the API itself."""

    @endpoint(DOCUMENT)
    async def get(self) -> None:
        document = {
            **openapi_document(),
            "servers": [{"url": self.api_url().rstrip("/")}],
        }
        self.finish(document)
