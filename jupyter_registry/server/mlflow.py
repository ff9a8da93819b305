"""MLflow's Model Registry REST API (2.0) over the same service, at ``{base_url}registry/mlflow/``.

A second adapter beside :mod:`jupyter_registry.api`'s: ``MlflowClient(registry_uri=
"http://HOST:PORT/registry/mlflow")`` with ``MLFLOW_TRACKING_TOKEN=<jupyter token>``
works unmodified (jupyter_server reads ``Authorization: Bearer …`` as a token).
Each endpoint parses MLflow's arguments, makes its service calls and answers
in MLflow's JSON; the translations live in :mod:`.mlflow_mapping`. Errors
leave as ``{"error_code", "message"}`` with MLflow's status, so the client
raises the ``MlflowException`` its users expect. A version's files are served
on MLflow's ``mlflow-artifacts`` proxy routes, which MLflow's HTTP artifact
repository lists and downloads, so ``download_artifacts("models:/NAME@ALIAS")``
works against this server.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from ..errors import ConflictError, NotFoundError, RegistryError, ValidationError
from ..schemas import (
    MAX_PAGE,
    CheckpointFile,
    CreateCheckpoint,
    CreateModel,
    DescribeCheckpoint,
    DescribeModel,
    DescribeVersion,
    ListModelsQuery,
    PatchMetadata,
    RegisterVersion,
    SetAlias,
    UpdateModel,
    UpdateVersion,
    parse,
)
from . import mlflow_mapping as mapping
from .base import ApiError, NotFoundHandler, RegistryHandler
from .blobs import send_chunks
from .mlflow_mapping import MlflowError

MLFLOW_PREFIX = "registry/mlflow"
API_ROUTE = "api/2.0/mlflow"


class MlflowHandler(RegistryHandler):
    """Jupyter's authentication and ``registry`` authorisation; MLflow's error bodies."""

    @property
    def artifact_base(self) -> str:
        """The absolute URL MLflow's HTTP artifact repository downloads a version's files from."""
        path = url_path_join(self.base_url, MLFLOW_PREFIX, mapping.ARTIFACTS_ROUTE)
        return f"{self.request.protocol}://{self.request.host}{path}"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, MlflowError):
            code, message = exc.error_code, exc.message
        elif isinstance(exc, ApiError):
            code, message = mapping.code_for(exc.error_type, status_code), exc.message
        elif isinstance(exc, tornado.web.HTTPError):
            code, message = mapping.code_for("", status_code), exc.log_message or self._reason
        else:
            code, message = "INTERNAL_ERROR", "internal error; see the server log"
        self.set_status(MlflowError.STATUS.get(code, status_code))
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error_code": code, "message": message}))


class MlflowNotFoundHandler(MlflowHandler, NotFoundHandler):
    """Any other path under the MLflow prefix (tracking APIs included): a JSON 404."""


Endpoint = Callable[["MlflowApiHandler", dict[str, Any]], Awaitable[dict[str, Any]]]
ENDPOINTS: dict[tuple[str, str], Endpoint] = {}


def mlflow_endpoint(*routes: str) -> Callable[[Endpoint], Endpoint]:
    """Register an endpoint under each ``"METHOD path"`` MLflow's client may call it by."""

    def register(fn: Endpoint) -> Endpoint:
        for route in routes:
            method, path = route.split()
            ENDPOINTS[(method, path)] = fn
        return fn

    return register


class MlflowApiHandler(MlflowHandler):
    """``api/2.0/mlflow/<path>``: arguments from the query (GET) or JSON body, one endpoint."""

    async def _serve(self, path: str) -> None:
        endpoint = ENDPOINTS.get((self.request.method or "", path))
        if endpoint is None:
            raise MlflowError(
                "ENDPOINT_NOT_FOUND", f"no MLflow endpoint {self.request.method} {path}"
            )
        self.finish(json.dumps(await endpoint(self, self._arguments())))

    # One decorated method per verb: @authorized fixes its action (read or write)
    # from the first request's method, so a shared one would authorise every verb alike.
    @tornado.web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        await self._serve(path)

    @tornado.web.authenticated
    @authorized
    async def post(self, path: str) -> None:
        await self._serve(path)

    @tornado.web.authenticated
    @authorized
    async def patch(self, path: str) -> None:
        await self._serve(path)

    @tornado.web.authenticated
    @authorized
    async def delete(self, path: str) -> None:
        await self._serve(path)

    def _arguments(self) -> dict[str, Any]:
        if self.request.method == "GET":
            args: dict[str, Any] = {}
            for key, values in self.request.arguments.items():
                decoded = [self.decode_argument(v) for v in values]
                args[key] = decoded if key in ("order_by", "stages") else decoded[-1]
            return args
        if not self.request.body.strip():
            return {}
        body = self.json_body()
        if not isinstance(body, dict):
            raise MlflowError("INVALID_PARAMETER_VALUE", "the request body must be a JSON object")
        return body

    # --- helpers the endpoints share --------------------------------------------

    async def model(self, name: str) -> dict[str, Any]:
        model: DescribeModel = await self.call(self.service.get_model, name)
        latest = None
        if model.latest_version is not None:
            latest = await self.call(self.service.get_version, name, model.latest_version)
        return mapping.registered_model(model, latest, self.artifact_base)

    async def version(self, name: str, number: Any) -> dict[str, Any]:
        version = await self.call(self.service.get_version, name, mapping.version_number(number))
        return mapping.model_version(version, self.artifact_base)


def _name(args: dict[str, Any]) -> str:
    return mapping.required(args, "name")


# --- registered models ---------------------------------------------------------


@mlflow_endpoint("POST registered-models/create")
async def create_registered_model(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    request = _parsed(
        CreateModel,
        {
            "name": _name(args),
            "description": args.get("description") or None,
            "metadata": mapping.metadata_of(args.get("tags")),
        },
    )
    try:
        model = await h.call(h.service.create_model, request)
    except ApiError as exc:
        if exc.error_type == ConflictError.__name__:
            raise MlflowError("RESOURCE_ALREADY_EXISTS", exc.message) from None
        raise
    return {"registered_model": mapping.registered_model(model, None, h.artifact_base)}


@mlflow_endpoint("GET registered-models/get")
async def get_registered_model(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    return {"registered_model": await h.model(_name(args))}


@mlflow_endpoint("POST registered-models/rename")
async def rename_registered_model(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    name, new_name = _name(args), mapping.required(args, "new_name")
    try:
        await h.call(h.service.rename_model, name, new_name)
    except ApiError as exc:
        if exc.error_type == ConflictError.__name__:
            raise MlflowError("RESOURCE_ALREADY_EXISTS", exc.message) from None
        raise
    return {"registered_model": await h.model(new_name)}


@mlflow_endpoint("PATCH registered-models/update")
async def update_registered_model(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    name = _name(args)
    request = _parsed(UpdateModel, {"description": args.get("description") or None})
    await h.call(h.service.update_model, name, request)
    return {"registered_model": await h.model(name)}


@mlflow_endpoint("DELETE registered-models/delete")
async def delete_registered_model(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    await h.call(h.service.delete_model, _name(args))
    return {}


@mlflow_endpoint("GET registered-models/search", "POST registered-models/search")
async def search_registered_models(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    clauses = mapping.parse_filter(args.get("filter"), ["name"])
    order = mapping.order_keys(
        _list(args.get("order_by")), ["name", "creation_timestamp", "last_updated_timestamp"]
    )
    limit = mapping.max_results(args.get("max_results"), mapping.MODELS_PAGE)
    offset = mapping.page_offset(args.get("page_token"))
    found = [
        mapping.registered_model(model, None, h.artifact_base)
        for model in await h.call(_all_models, h.service, mapping.exact_name(clauses))
        if all(c.matches(mapping.model_fields(model)) for c in clauses)
    ]
    return _page(
        "registered_models", mapping.ordered(found, [*order, ("name", False)]), offset, limit
    )


def _all_models(service: Any, name: str | None) -> list[DescribeModel]:
    """Every model (or the one named), read a page at a time."""
    if name is not None:
        try:
            return [service.get_model(name)]
        except (NotFoundError, ValidationError):
            return []
    models: list[DescribeModel] = []
    while True:
        page = service.list_models(ListModelsQuery(offset=len(models), limit=MAX_PAGE)).models
        models.extend(page)
        if len(page) < MAX_PAGE:
            return models


@mlflow_endpoint("POST registered-models/set-tag")
async def set_registered_model_tag(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    key = mapping.required(args, "key")
    patch = _parsed(PatchMetadata, {"add": {key: str(args.get("value") or "")}})
    await h.call(h.service.patch_model_metadata, _name(args), patch)
    return {}


@mlflow_endpoint("DELETE registered-models/delete-tag")
async def delete_registered_model_tag(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    patch = _parsed(PatchMetadata, {"remove": [mapping.required(args, "key")]})
    await h.call(h.service.patch_model_metadata, _name(args), patch)
    return {}


@mlflow_endpoint("POST registered-models/alias")
async def set_registered_model_alias(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    number = mapping.version_number(args.get("version"))
    alias = mapping.required(args, "alias")
    await h.call(h.service.set_alias, _name(args), alias, SetAlias(version=number))
    return {}


@mlflow_endpoint("DELETE registered-models/alias")
async def delete_registered_model_alias(
    h: MlflowApiHandler, args: dict[str, Any]
) -> dict[str, Any]:
    await h.call(h.service.remove_alias, _name(args), mapping.required(args, "alias"))
    return {}


@mlflow_endpoint("GET registered-models/alias")
async def get_model_version_by_alias(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    alias = mapping.required(args, "alias")
    if alias.isdigit() or alias.lower() == "latest":
        raise MlflowError("INVALID_PARAMETER_VALUE", f"{alias!r} is not an alias")
    version = await h.call(h.service.get_version, _name(args), alias)
    return {"model_version": mapping.model_version(version, h.artifact_base)}


@mlflow_endpoint(
    "POST registered-models/get-latest-versions", "GET registered-models/get-latest-versions"
)
async def get_latest_versions(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    """Stage-less, as MLflow now is: every version is in stage ``None``."""
    name = _name(args)
    model: DescribeModel = await h.call(h.service.get_model, name)
    stages = {s.lower() for s in _list(args.get("stages"))}
    if model.latest_version is None or (stages and "none" not in stages):
        return {"model_versions": []}
    return {"model_versions": [await h.version(name, model.latest_version)]}


# --- model versions ------------------------------------------------------------


@mlflow_endpoint("POST model-versions/create")
async def create_model_version(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    """Register ``source``: this registry's own files, or else a reference checkpoint.

    The server never reads a client-named location (a path on the server or a
    URL it can reach): a source outside this registry is recorded in lineage
    only, like W&B's reference artifacts.
    """
    name = _name(args)
    source = mapping.required(args, "source")
    await h.call(h.service.get_model, name)
    recorded = {key: str(args[key]) for key in ("source", "run_id", "run_link") if args.get(key)}
    files = await _own_files(h, source)
    checkpoint = _parsed(
        CreateCheckpoint,
        {
            "files": [f.model_dump() for f in files],
            "framework": "mlflow",
            "source": {mapping.LINEAGE_KEY: recorded},
        },
    )
    created: DescribeCheckpoint = await h.call(h.service.create_checkpoint, checkpoint)
    request = _parsed(
        RegisterVersion,
        {
            "checkpoint_uuid": created.uuid,
            "comment": args.get("description") or None,
            "metadata": mapping.metadata_of(args.get("tags")),
        },
    )
    try:
        version = await h.call(h.service.register_version, name, request)
    except ApiError:
        await h.call(h.service.delete_checkpoint, created.uuid)  # refused: nothing is left behind
        raise
    return {"model_version": mapping.model_version(version, h.artifact_base)}


async def _own_files(h: MlflowHandler, source: str) -> list[CheckpointFile]:
    """The files under ``source`` if it names this server's artifacts, else none."""
    base = urlsplit(h.artifact_base)
    target = urlsplit(source)
    if (target.scheme, target.netloc) != (base.scheme, base.netloc):
        return []
    folder = unquote(target.path)
    if not folder.startswith(base.path + "/"):
        return []
    checkpoint, sub = await _checkpoint_at(h, folder[len(base.path) + 1 :])
    prefix = f"{sub}/" if sub else ""
    return [
        CheckpointFile(path=f.path[len(prefix) :], sha256=f.sha256, size=f.size)
        for f in checkpoint.files
        if f.path.startswith(prefix)
    ]


async def _checkpoint_at(h: MlflowHandler, path: str) -> tuple[DescribeCheckpoint, str]:
    """``checkpoints/<uuid>[/sub/path]`` → the checkpoint and the sub path."""
    parts = posixpath.normpath("/" + path).strip("/").split("/", 2)
    if len(parts) < 2 or parts[0] != "checkpoints":
        raise MlflowError("RESOURCE_DOES_NOT_EXIST", f"no artifacts at {path!r}")
    checkpoint = await h.call(h.service.get_checkpoint, parts[1])
    return checkpoint, parts[2] if len(parts) > 2 else ""


@mlflow_endpoint("GET model-versions/get")
async def get_model_version(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    return {"model_version": await h.version(_name(args), args.get("version"))}


@mlflow_endpoint("PATCH model-versions/update")
async def update_model_version(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    name, number = _name(args), mapping.version_number(args.get("version"))
    request = _parsed(UpdateVersion, {"comment": args.get("description") or None})
    version = await h.call(h.service.update_version, name, number, request)
    return {"model_version": mapping.model_version(version, h.artifact_base)}


@mlflow_endpoint("DELETE model-versions/delete")
async def delete_model_version(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    await h.call(h.service.delete_version, _name(args), mapping.version_number(args.get("version")))
    return {}


@mlflow_endpoint("GET model-versions/search", "POST model-versions/search")
async def search_model_versions(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    clauses = mapping.parse_filter(args.get("filter"), ["name", "run_id", "source"])
    order = mapping.order_keys(
        _list(args.get("order_by")),
        ["name", "version", "creation_timestamp", "last_updated_timestamp"],
    )
    limit = mapping.max_results(args.get("max_results"), mapping.VERSIONS_PAGE)
    offset = mapping.page_offset(args.get("page_token"))
    versions = await h.call(_all_versions, h.service, mapping.exact_name(clauses))
    found = [
        mapping.model_version(version, h.artifact_base)
        for version in versions
        if all(c.matches(mapping.version_fields(version)) for c in clauses)
    ]
    default = [("name", False), ("version", True)]
    return _page("model_versions", mapping.ordered(found, [*order, *default]), offset, limit)


def _all_versions(service: Any, name: str | None) -> list[DescribeVersion]:
    """Every version of every model (or of the one named), read a page at a time."""
    versions: list[DescribeVersion] = []
    for model in _all_models(service, name):
        offset = 0
        while True:
            page = service.list_versions(model.name, offset, MAX_PAGE).versions
            versions.extend(page)
            offset += len(page)
            if len(page) < MAX_PAGE:
                break
    return versions


@mlflow_endpoint("POST model-versions/set-tag")
async def set_model_version_tag(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    key = mapping.required(args, "key")
    patch = _parsed(PatchMetadata, {"add": {key: str(args.get("value") or "")}})
    number = mapping.version_number(args.get("version"))
    await h.call(h.service.patch_version_metadata, _name(args), number, patch)
    return {}


@mlflow_endpoint("DELETE model-versions/delete-tag")
async def delete_model_version_tag(h: MlflowApiHandler, args: dict[str, Any]) -> dict[str, Any]:
    patch = _parsed(PatchMetadata, {"remove": [mapping.required(args, "key")]})
    number = mapping.version_number(args.get("version"))
    await h.call(h.service.patch_version_metadata, _name(args), number, patch)
    return {}


@mlflow_endpoint("GET model-versions/get-download-uri")
async def get_model_version_download_uri(
    h: MlflowApiHandler, args: dict[str, Any]
) -> dict[str, Any]:
    number = mapping.version_number(args.get("version"))
    version = await h.call(h.service.get_version, _name(args), number)
    return {"artifact_uri": mapping.download_uri(version, h.artifact_base)}


# --- artifacts -----------------------------------------------------------------


class MlflowArtifactsHandler(MlflowHandler):
    """MLflow's artifact proxy, read-only: ``artifacts?path=`` lists, ``artifacts/<path>`` reads."""

    @tornado.web.authenticated
    @authorized
    async def get(self, path: str = "") -> None:
        if not path:
            await self._list(self.get_argument("path", ""))
            return
        checkpoint, sub = await _checkpoint_at(self, unquote(path))
        entry = next((f for f in checkpoint.files if f.path == sub), None)
        if entry is None:
            raise MlflowError("RESOURCE_DOES_NOT_EXIST", f"no artifact {path!r}")
        size, chunks = await self.call(self.service.read_blob, entry.sha256)
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Length", str(size))
        if await send_chunks(self, entry.sha256, chunks):
            self.finish()

    async def _list(self, path: str) -> None:
        checkpoint, sub = await _checkpoint_at(self, path)
        self.finish(json.dumps({"files": list(_listing(checkpoint, sub))}))


def _listing(checkpoint: DescribeCheckpoint, sub: str) -> Iterator[dict[str, Any]]:
    """The direct children of ``sub``: files with sizes, then the folders below it."""
    prefix = f"{sub}/" if sub else ""
    folders: set[str] = set()
    for entry in checkpoint.files:
        if entry.path == sub:  # a file: MLflow lists it as itself
            yield {"path": posixpath.basename(sub), "is_dir": False, "file_size": entry.size}
            continue
        if not entry.path.startswith(prefix):
            continue
        child, _, below = entry.path[len(prefix) :].partition("/")
        if below:
            folders.add(child)
        else:
            yield {"path": child, "is_dir": False, "file_size": entry.size}
    for folder in sorted(folders):
        yield {"path": folder, "is_dir": True}


# --- shared --------------------------------------------------------------------


def _parsed(schema: Any, data: dict[str, Any]) -> Any:
    try:
        return parse(schema, data, strict=True)
    except RegistryError as exc:
        raise MlflowError("INVALID_PARAMETER_VALUE", exc.message) from None


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _page(key: str, items: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    page: dict[str, Any] = {key: items[offset : offset + limit]}
    if offset + limit < len(items):
        page["next_page_token"] = mapping.page_token(offset + limit)
    return page


def mlflow_handlers() -> list[tuple[str, Any]]:
    """The routes of the MLflow-compatible API, relative to the server's base URL."""
    prefix = MLFLOW_PREFIX
    artifacts = url_path_join(prefix, mapping.ARTIFACTS_ROUTE)
    return [
        (url_path_join(prefix, API_ROUTE, "(.+)"), MlflowApiHandler),
        (artifacts, MlflowArtifactsHandler),
        (url_path_join(artifacts, "(.+)"), MlflowArtifactsHandler),
        (url_path_join(prefix, ".*"), MlflowNotFoundHandler),
    ]
