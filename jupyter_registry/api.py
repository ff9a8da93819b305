"""The REST API, declared once: every operation's route, verb, schemas and statuses.

This module is transport-neutral: it imports only the schemas. The tornado
routes (:mod:`jupyter_registry.server.routes`), the HTTP client
(:mod:`jupyter_registry.client.http`), the OpenAPI document
(:mod:`jupyter_registry.server.openapi`) and through it the panel's
TypeScript types all read :data:`OPERATIONS`, so adding an operation here is
what makes it exist everywhere, and none of them can disagree on a path, a
status or a query parameter's name.

An operation's ``name`` is also the name of the service method that does the
work and of the client method that calls it. Arguments reach that method in
a fixed order: the path parameters in route order, then the body, then the
query (the whole schema, or its fields as keywords when ``query_fields``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from .errors import ValidationError
from .schemas import (
    ALIAS_PATTERN,
    NAME_PATTERN,
    SHA256_PATTERN,
    UPLOAD_ID_PATTERN,
    USER_PATTERN,
    VERSION_REF_PATTERN,
    BlobInfo,
    ChangesQuery,
    CheckName,
    CheckUser,
    ChunkInfo,
    CollectGarbage,
    CommitUpload,
    CompareQuery,
    CompleteDirectUpload,
    CreateCheckpoint,
    CreatedBundle,
    CreateModel,
    DescribeCheckpoint,
    DescribeComparison,
    DescribeIdentity,
    DescribeLineage,
    DescribeModel,
    DescribeTensors,
    DescribeVersion,
    DirectTransfer,
    GarbageCollected,
    LineageQuery,
    ListActionsResponse,
    ListChangesResponse,
    ListCheckpointsQuery,
    ListCheckpointsResponse,
    ListMaintainersResponse,
    ListModelsQuery,
    ListModelsResponse,
    ListVersionsResponse,
    PageQuery,
    PatchMetadata,
    PresignedDownload,
    PresignedUpload,
    PresignUpload,
    RegisterVersion,
    SchemaRevision,
    SearchVersionsQuery,
    SetAlias,
    SetBases,
    StartUpload,
    TensorsQuery,
    UpdateModel,
    UpdateVersion,
    UploadStatus,
    check_alias,
    check_chunk_index,
    check_sha256,
    check_upload_id,
    parse,
    parse_version_ref,
)

API_PREFIX = "registry/api/v1"
#: A checkpoint whose files total less than this goes to the server in one request
#: (``POST bundles``); bigger ones upload each file, then create the checkpoint.
BUNDLE_MAX_BYTES = 8 * 1024 * 1024
BUNDLE_MAX_FILES = 1000
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _as_validation_error(check: Callable[[str], str], what: str) -> Callable[[str], str]:
    """A ``ValueError`` rule from :mod:`schemas` as our typed error, named for the parameter."""

    def checked(value: str) -> str:
        try:
            return check(value)
        except ValueError as exc:
            raise ValidationError(f"{what}: {exc}" if what else str(exc)) from None

    return checked


def _check_alias_given(alias: str) -> str:
    """An empty alias would address another route, so the client refuses it before sending."""
    if not alias:
        _as_validation_error(check_alias, "alias")(alias)
    return alias


@dataclass(frozen=True)
class PathParam:
    """A typed URL segment: its OpenAPI schema, how the server reads it, how a client writes it.

    The server's ``parse`` gives the service its argument (or raises
    :class:`~jupyter_registry.errors.ValidationError`); a parameter whose rule
    the service checks itself (an alias, a checkpoint uuid) passes through so
    both ways in say the same thing.
    """

    schema: dict[str, Any]
    parse: Callable[[str], Any] = str
    format: Callable[[Any], str] = str


MODEL_NAME = PathParam(
    schema={"type": "string", "pattern": NAME_PATTERN},
    parse=lambda name: parse(CheckName, {"name": name}).name,
)
VERSION_REF = PathParam(
    schema={
        "type": "string",
        "pattern": VERSION_REF_PATTERN,
        "description": "a version number (3 or v3), 'latest' or an alias",
    },
    parse=parse_version_ref,
    format=lambda ref: str(parse_version_ref(ref)),
)
ALIAS = PathParam(schema={"type": "string", "pattern": ALIAS_PATTERN}, format=_check_alias_given)
SHA256 = PathParam(
    schema={"type": "string", "pattern": SHA256_PATTERN},
    parse=_as_validation_error(check_sha256, ""),
)
CHECKPOINT_UUID = PathParam(schema={"type": "string", "minLength": 1})
UPLOAD_ID = PathParam(
    schema={"type": "string", "pattern": UPLOAD_ID_PATTERN},
    parse=_as_validation_error(check_upload_id, "upload id"),
)
CHUNK_INDEX = PathParam(
    schema={"type": "integer", "minimum": 0},
    parse=_as_validation_error(check_chunk_index, "chunk index"),
)
USER = PathParam(
    schema={"type": "string", "pattern": USER_PATTERN},
    parse=lambda user: parse(CheckUser, {"user": user}).user,
)

PATH_PARAMS: dict[str, PathParam] = {
    "name": MODEL_NAME,
    "ref": VERSION_REF,
    "alias": ALIAS,
    "sha256": SHA256,
    "checkpoint_uuid": CHECKPOINT_UUID,
    "user": USER,
    "upload_id": UPLOAD_ID,
    "index": CHUNK_INDEX,
}


@dataclass(frozen=True, eq=False)
class Operation:
    """One verb on one route: what it takes, returns and may answer.

    ``location`` names the created resource's route, filled from the
    response's fields (``models/{name}``), for the ``Location`` header of a
    201. ``streamed`` operations move raw bytes and have hand-written handlers
    and client methods; everything else is JSON in, JSON out.
    """

    name: str
    method: str
    route: str
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    query_aliases: dict[str, str] = field(default_factory=dict)
    query_fields: bool = False
    location: str | None = None
    streamed: bool = False
    raw_body: bool = False
    body_type: str = "application/octet-stream"
    resumable: bool = False

    @property
    def path_params(self) -> list[str]:
        return PLACEHOLDER.findall(self.route)

    def url(self, *values: Any) -> str:
        """The route with each path value written by its type and percent-encoded."""
        pairs = zip(self.path_params, values, strict=True)
        filled = {n: quote(PATH_PARAMS[n].format(v), safe="") for n, v in pairs}
        return self.route.format(**filled)

    def parse_path(self, *segments: str) -> list[Any]:
        """The service's arguments from the URL's (decoded) segments."""
        return [PATH_PARAMS[n].parse(s) for n, s in zip(self.path_params, segments, strict=True)]

    def created_at(self, result: BaseModel) -> str:
        """The created resource's path, relative to the API prefix."""
        assert self.location is not None
        names = PLACEHOLDER.findall(self.location)
        return self.location.format(**{n: quote(str(getattr(result, n)), safe="") for n in names})

    def query_params(self, query: BaseModel | dict[str, Any]) -> dict[str, Any]:
        """The query string's parameters under their wire names, unset ones left out."""
        values = (
            query.model_dump(mode="json", exclude_none=True)
            if isinstance(query, BaseModel)
            else {k: v for k, v in query.items() if v is not None}
        )
        return {self.query_aliases.get(k, k): v for k, v in values.items()}


MODEL_ERRORS = (400, 404)
#: a write may also be refused by the team rules (SPEC §7)
WRITE_ERRORS = (400, 403, 404)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get_identity",
        "GET",
        "identity",
        "Who the registry takes the caller to be, their role, and the trust rules",
        response=DescribeIdentity,
    ),
    Operation(
        "list_models",
        "GET",
        "models",
        "List models, filtered (also by a filter expression), sorted and paged",
        query=ListModelsQuery,
        response=ListModelsResponse,
        errors=(400,),
        query_aliases={"labels": "label"},
    ),
    Operation(
        "create_model",
        "POST",
        "models",
        "Create a model",
        body=CreateModel,
        response=DescribeModel,
        status=201,
        errors=(400, 403, 409),
        location="models/{name}",
    ),
    Operation(
        "get_model",
        "GET",
        "models/{name}",
        "Describe a model",
        response=DescribeModel,
        errors=MODEL_ERRORS,
    ),
    Operation(
        "update_model",
        "PATCH",
        "models/{name}",
        "Change a model's description, notes, labels or archived flag",
        body=UpdateModel,
        response=DescribeModel,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "delete_model",
        "DELETE",
        "models/{name}",
        "Delete a model and its versions",
        status=204,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "patch_model_metadata",
        "PATCH",
        "models/{name}/metadata",
        "Merge top-level metadata keys and remove keys, in one transaction",
        body=PatchMetadata,
        response=DescribeModel,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "get_history",
        "GET",
        "models/{name}/history",
        "Who changed what: the model's actions (models, versions, aliases), oldest first",
        query=PageQuery,
        query_fields=True,
        response=ListActionsResponse,
        errors=MODEL_ERRORS,
    ),
    Operation(
        "list_maintainers",
        "GET",
        "models/{name}/maintainers",
        "Who maintains the model (the creator first)",
        response=ListMaintainersResponse,
        errors=MODEL_ERRORS,
    ),
    Operation(
        "add_maintainer",
        "PUT",
        "models/{name}/maintainers/{user}",
        "Make a user a maintainer of the model (maintainers and admins only)",
        response=ListMaintainersResponse,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "remove_maintainer",
        "DELETE",
        "models/{name}/maintainers/{user}",
        "Remove a maintainer of the model (maintainers and admins only)",
        status=204,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "list_versions",
        "GET",
        "models/{name}/versions",
        "List a model's versions, newest first",
        query=PageQuery,
        query_fields=True,
        response=ListVersionsResponse,
        errors=MODEL_ERRORS,
    ),
    Operation(
        "register_version",
        "POST",
        "models/{name}/versions",
        "Register a checkpoint as the model's next version",
        body=RegisterVersion,
        response=DescribeVersion,
        status=201,
        errors=(400, 403, 404, 409),
        location="models/{model_name}/versions/{version}",
    ),
    Operation(
        "get_version",
        "GET",
        "models/{name}/versions/{ref}",
        "Describe a version",
        response=DescribeVersion,
        errors=MODEL_ERRORS,
    ),
    Operation(
        "compare_versions",
        "GET",
        "models/{name}/compare",
        "Versions side by side: one column a version (in the order named, default the newest "
        "ten), one row a metric, hparam, metadata key, file fact, alias or lineage field",
        query=CompareQuery,
        response=DescribeComparison,
        errors=MODEL_ERRORS,
    ),
    Operation(
        "update_version",
        "PATCH",
        "models/{name}/versions/{ref}",
        "Change a version's name, comment or notes",
        body=UpdateVersion,
        response=DescribeVersion,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "delete_version",
        "DELETE",
        "models/{name}/versions/{ref}",
        "Delete a version (its number is never reused)",
        status=204,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "patch_version_metadata",
        "PATCH",
        "models/{name}/versions/{ref}/metadata",
        "Merge and remove a version's top-level metadata keys, in one transaction",
        body=PatchMetadata,
        response=DescribeVersion,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "set_version_bases",
        "PUT",
        "models/{name}/versions/{ref}/bases",
        "Replace the versions this version was made from (fine-tune, adapter, merge, …)",
        body=SetBases,
        response=DescribeVersion,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "get_lineage",
        "GET",
        "models/{name}/versions/{ref}/lineage",
        "A version's ancestors and descendants with their relations, up to depth steps each way",
        query=LineageQuery,
        query_fields=True,
        response=DescribeLineage,
        errors=MODEL_ERRORS,
    ),
    Operation(
        "set_alias",
        "PUT",
        "models/{name}/aliases/{alias}",
        "Point an alias at a version, moving it from any other version",
        body=SetAlias,
        response=DescribeVersion,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "remove_alias",
        "DELETE",
        "models/{name}/aliases/{alias}",
        "Remove an alias",
        status=204,
        errors=WRITE_ERRORS,
    ),
    Operation(
        "search_versions",
        "GET",
        "versions",
        "Versions of every model matching a filter expression, newest first or as ordered",
        query=SearchVersionsQuery,
        response=ListVersionsResponse,
        errors=(400,),
    ),
    Operation(
        "list_checkpoints",
        "GET",
        "checkpoints",
        "List checkpoints: newest first, or one run's in the order saved",
        query=ListCheckpointsQuery,
        query_fields=True,
        response=ListCheckpointsResponse,
        errors=(400,),
    ),
    Operation(
        "create_checkpoint",
        "POST",
        "checkpoints",
        "Record a checkpoint whose file contents were uploaded to blobs/{sha256}",
        body=CreateCheckpoint,
        response=DescribeCheckpoint,
        status=201,
        errors=(400, 403),
        location="checkpoints/{uuid}",
    ),
    Operation(
        "get_checkpoint",
        "GET",
        "checkpoints/{checkpoint_uuid}",
        "Describe a checkpoint",
        response=DescribeCheckpoint,
        errors=(404,),
    ),
    Operation(
        "get_tensors",
        "GET",
        "checkpoints/{checkpoint_uuid}/safetensors",
        "A safetensors file's tensor names, dtypes, shapes and parameter count, "
        "read from its header alone",
        query=TensorsQuery,
        query_fields=True,
        response=DescribeTensors,
        errors=(400, 404),
    ),
    Operation(
        "delete_checkpoint",
        "DELETE",
        "checkpoints/{checkpoint_uuid}",
        "Delete a checkpoint no version points at",
        status=204,
        errors=(403, 404, 409),
    ),
    Operation(
        "blob_size",
        "HEAD",
        "blobs/{sha256}",
        "Whether the store already holds this content (size in Content-Length)",
        streamed=True,
        errors=(400, 404),
    ),
    Operation(
        "read_blob",
        "GET",
        "blobs/{sha256}",
        "Stream a stored file; verified against its SHA-256 as it is read",
        streamed=True,
        resumable=True,
        errors=(400, 404, 416),
    ),
    Operation(
        "put_blob",
        "PUT",
        "blobs/{sha256}",
        "Upload a file's bytes as the request body; stored only if they hash to {sha256}",
        response=BlobInfo,
        status=201,
        streamed=True,
        raw_body=True,
        errors=(400, 403, 413),
    ),
    Operation(
        "list_changes",
        "GET",
        "changes",
        "History entries of every model after a cursor: changes made by any writer",
        query=ChangesQuery,
        response=ListChangesResponse,
        errors=(400,),
    ),
    # Direct transfer: with an S3 store, blob bytes go between clients and the bucket.
    Operation(
        "get_direct_transfer",
        "GET",
        "direct",
        "Whether blobs may go straight to and from the bucket through presigned URLs",
        response=DirectTransfer,
    ),
    Operation(
        "presign_upload",
        "POST",
        "direct/uploads/{sha256}",
        "Presigned PUT URLs (one, or one per part) for a file's bytes; writers only",
        body=PresignUpload,
        response=PresignedUpload,
        errors=(400, 403, 404),
    ),
    Operation(
        "complete_direct_upload",
        "PUT",
        "direct/uploads/{sha256}",
        "Verify a presigned upload and store it as blob {sha256}; refused and discarded "
        "unless its bytes hash to {sha256}",
        body=CompleteDirectUpload,
        response=BlobInfo,
        errors=(400, 403, 404),
    ),
    Operation(
        "presign_download",
        "GET",
        "direct/blobs/{sha256}",
        "A presigned GET URL (Range allowed) of a stored file",
        response=PresignedDownload,
        errors=(400, 404),
    ),
    # Transfers: a small checkpoint in one request, big files in resumable chunks.
    Operation(
        "create_bundle",
        "POST",
        "bundles",
        "Create a checkpoint, and optionally register it, from its files sent in one "
        "multipart/form-data request: a 'checkpoint' part (CreateCheckpoint JSON), an optional "
        "'version' part (BundleVersion JSON) and one 'file' part per file, its filename the "
        "checkpoint path; each verified against its declared sha256, all or nothing",
        response=CreatedBundle,
        status=201,
        streamed=True,
        raw_body=True,
        body_type="multipart/form-data",
        errors=(400, 403, 404, 409, 413),
    ),
    Operation(
        "start_upload",
        "POST",
        "uploads",
        "Start a resumable upload of one file's bytes, sent in chunks",
        body=StartUpload,
        response=UploadStatus,
        status=201,
        errors=(400, 403),
        location="uploads/{upload_id}",
    ),
    Operation(
        "get_upload",
        "GET",
        "uploads/{upload_id}",
        "What the server holds of an upload: its verified chunks (resume by sending the others)",
        response=UploadStatus,
        errors=(400, 404),
    ),
    Operation(
        "commit_upload",
        "POST",
        "uploads/{upload_id}",
        "Finish an upload: every chunk's sha256 must match; the file is stored under its own",
        body=CommitUpload,
        response=BlobInfo,
        status=201,
        errors=(400, 403, 404),
    ),
    Operation(
        "delete_upload",
        "DELETE",
        "uploads/{upload_id}",
        "Abandon an upload and delete its chunks",
        status=204,
        errors=(400, 403, 404),
    ),
    Operation(
        "put_chunk",
        "PUT",
        "uploads/{upload_id}/chunks/{index}",
        "Send one chunk of an upload as the request body; answers its sha256 as received",
        response=ChunkInfo,
        streamed=True,
        raw_body=True,
        errors=(400, 403, 404, 413),
    ),
    # Maintenance, so a remote client can upgrade and clean the server's own storage.
    Operation(
        "upgrade_schema",
        "POST",
        "admin/migrate",
        "Upgrade the database schema to the server's head revision, keeping all data",
        response=SchemaRevision,
    ),
    Operation(
        "collect_garbage",
        "POST",
        "admin/gc",
        "Delete stored files no checkpoint uses and older than the grace period",
        body=CollectGarbage,
        response=GarbageCollected,
        errors=(400,),
    ),
)

_BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}


def operation(name: str) -> Operation:
    """The operation called ``name`` (a service and client method name)."""
    return _BY_NAME[name]


def routes() -> dict[str, list[Operation]]:
    """Each route with its operations, in declaration order (one tornado handler per route)."""
    grouped: dict[str, list[Operation]] = {}
    for op in OPERATIONS:
        grouped.setdefault(op.route, []).append(op)
    return grouped
