"""One API definition: every transport agrees with ``jupyter_registry/api.py``.

Fails when a tornado route, its OpenAPI entry or its TypeScript entry
disagrees with the operation declared in api.py, when an operation has no
service, protocol or HTTP-client method of its name taking its arguments, and
when the Python package, the lab extension and the API document carry
different version numbers.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

import pytest

from jupyter_registry import __version__
from jupyter_registry.api import OPERATIONS, PATH_PARAMS, Operation, operation, routes
from jupyter_registry.client.http import HttpClient
from jupyter_registry.client.protocol import RegistryClient
from jupyter_registry.schemas import PageQuery
from jupyter_registry.server.openapi import openapi_document
from jupyter_registry.server.routes import HAND_WRITTEN, ROUTES
from jupyter_registry.service import RegistryService

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "labextension"
JSON_OPERATIONS = [op for op in OPERATIONS if not op.streamed]


def arguments(op: Operation) -> list[str | None]:
    """What the service method receives, in order: a query's field names, else any name."""
    names: list[str | None] = [None] * len(op.path_params)
    if op.body is not None:
        names.append(None)
    if op.query is not None and op.query_fields:
        names.extend(op.query.model_fields)
    elif op.query is not None:
        names.append(None)
    return names


def signature_problems(op: Operation, method: object) -> list[str]:
    """Why ``method`` cannot be called the way the generic handler and client call it."""
    params = list(inspect.signature(method).parameters.values())  # type: ignore[arg-type]
    params = [p for p in params if p.name != "self"]
    expected = arguments(op)
    if len(params) != len(expected):
        return [f"{op.name} takes {len(params)} arguments; api.py gives {len(expected)}"]
    return [
        f"{op.name} argument {i} is {p.name!r}; api.py passes the query field {name!r}"
        for i, (p, name) in enumerate(zip(params, expected, strict=True))
        if name is not None and p.name != name
    ]


def test_api_definition_is_transport_neutral() -> None:
    """api.py is read by the server and the HTTP client alike, so it imports neither."""
    tree = ast.parse((ROOT / "jupyter_registry" / "api.py").read_text())
    imported = {
        "." * node.level + (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    allowed = {"__future__", "re", "collections.abc", "dataclasses", "typing", "urllib.parse"}
    assert imported <= allowed | {"pydantic", ".errors", ".schemas"}


def test_operation_names_and_routes_are_unique() -> None:
    assert len({op.name for op in OPERATIONS}) == len(OPERATIONS)
    assert len({(op.method, op.route) for op in OPERATIONS}) == len(OPERATIONS)
    for op in OPERATIONS:
        assert set(op.path_params) <= set(PATH_PARAMS), op.route


@pytest.mark.parametrize("op", JSON_OPERATIONS, ids=lambda op: op.name)
def test_service_and_clients_have_the_operation(op: Operation) -> None:
    service = getattr(RegistryService, op.name)
    assert signature_problems(op, service) == []
    for client in (RegistryClient, HttpClient):
        method = getattr(client, op.name)
        assert signature_problems(op, method) == []
        client_names = list(inspect.signature(method).parameters)
        assert client_names == list(inspect.signature(service).parameters), client


def test_a_mismatched_signature_is_reported() -> None:
    paged = Operation("x", "GET", "models/{name}/versions", "x", query=PageQuery, query_fields=True)
    assert signature_problems(paged, RegistryService.list_versions) == []
    pages = Operation("x", "GET", "checkpoints", "x", query=PageQuery, query_fields=True)
    assert signature_problems(pages, RegistryService.list_checkpoints) == [
        "x argument 0 is 'run'; api.py passes the query field 'offset'"
    ]
    assert signature_problems(paged, RegistryService.get_model) == [
        "x takes 1 arguments; api.py gives 3"
    ]


def test_every_tornado_route_serves_api_operations_only() -> None:
    assert [path for path, _ in ROUTES] == list(routes())
    for path, handler in ROUTES:
        served = [
            getattr(getattr(handler, verb.lower()), "__registry_operation__", None)
            for verb in handler.allowed_methods()
        ]
        declared = routes()[path]
        assert sorted(id(op) for op in served) == sorted(id(op) for op in declared), path
        streamed = {op.streamed for op in declared}
        assert streamed == ({True} if path in HAND_WRITTEN else {False}), path


def test_openapi_describes_each_operation_as_declared() -> None:
    document = openapi_document()
    described = {
        entry["operationId"]: (verb.upper(), path, entry)
        for path, item in document["paths"].items()
        for verb, entry in item.items()
    }
    assert set(described) == {op.name for op in OPERATIONS}
    for op in OPERATIONS:
        method, path, entry = described[op.name]
        assert (method, path) == (op.method, f"/{op.route}")
        statuses = {op.status, *op.errors, 401, 403} | ({206} if op.resumable else set())
        assert set(entry["responses"]) == {str(s) for s in statuses}, op.name
        parameters = {(p["in"], p["name"]) for p in entry["parameters"] if p["in"] != "header"}
        query = (
            [] if op.query is None else [op.query_aliases.get(f, f) for f in op.query.model_fields]
        )
        assert parameters == {("path", p) for p in op.path_params} | {("query", q) for q in query}
        assert ("requestBody" in entry) == (op.body is not None or op.raw_body), op.name


def test_typescript_has_each_operation() -> None:
    text = (LAB / "src" / "types.ts").read_text()
    for op in OPERATIONS:
        method, path = json.dumps(op.method), json.dumps(f"/{op.route}")
        entry = f"  {op.name}: {{ method: {method}, path: {path} }}"
        assert entry in text, f"types.ts has no {op.name}: run labextension/scripts/gen_types.py"
        assert re.search(rf"^  {op.name}: {{\n    path: ", text, re.M), op.name


def test_one_version_number() -> None:
    package = json.loads((LAB / "package.json").read_text())
    assert package["version"] == __version__
    assert openapi_document()["info"]["version"] == __version__
    types = (LAB / "src" / "types.ts").read_text()
    assert f"export const API_VERSION = {json.dumps(__version__)};" in types


def test_client_urls_come_from_the_typed_route() -> None:
    assert operation("get_version").url("a b", None) == "models/a%20b/versions/latest"
    assert operation("get_version").url("m", "v3") == "models/m/versions/3"
    assert operation("set_alias").url("m", "pro/d") == "models/m/aliases/pro%2Fd"
