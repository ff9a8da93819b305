"""Typed requests and responses: the one source of truth for every interface.

The SDK builds these before calling a client, the REST handlers parse request
bodies into them, the service accepts them, and the OpenAPI document is
generated from them. The rules of SPEC §1 (names, metadata size and
finiteness, references) live here as validators, so every way in checks them
the same way; :func:`parse` turns a pydantic failure into our
:class:`~jupyter_registry.errors.ValidationError` with a message naming the rule.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from .errors import ValidationError

MAX_METADATA_BYTES = 1024 * 1024
#: Deepest nesting of objects and arrays accepted in any JSON field (metadata,
#: hparams, metrics, source). JSON parsers and serialisers stop a few hundred
#: levels down; a stored value past theirs would break every read listing it.
MAX_JSON_DEPTH = 32
UNREADABLE_KEY = "__unreadable__"
MAX_LABELS = 64
MAX_FILTER_LENGTH = 1024
MAX_FILTER_EXPRESSION = 4096
MAX_PAGE = 10_000
MAX_OFFSET = 2**62  # fits every database's 64-bit integers

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")
_NUMBER_REF = re.compile(r"v?([0-9]+)")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_ENTRYPOINT = re.compile(rf"(?:{_IDENT}(?:\.{_IDENT})*)?:{_IDENT}(?:\.{_IDENT})*")
_SHA256 = re.compile(r"[0-9a-f]{64}")

NAME_RULE = (
    "names are 1-128 characters: a letter or digit first, then letters, digits, "
    "'_', '-' or '.', with no '..'"
)


def check_name(value: str) -> str:
    """A model name per SPEC §1; aliases follow the same character rule."""
    if not _NAME.fullmatch(value) or ".." in value:
        raise ValueError(f"invalid name {value!r}: {NAME_RULE}")
    return value


def check_alias(value: str) -> str:
    """An alias: a name that cannot be mistaken for a version number or ``latest``."""
    check_name(value)
    if value == "latest":
        raise ValueError("'latest' is reserved: it always means the highest version")
    if _NUMBER_REF.fullmatch(value):
        raise ValueError(f"invalid alias {value!r}: it would read as a version number")
    return value


def check_label(value: str) -> str:
    if (
        not value.strip()
        or len(value) > 128
        or value != value.strip()
        or any(c < " " or c == "\x7f" for c in value)
    ):
        raise ValueError(
            f"invalid label {value!r}: labels are 1-128 characters, not padded, "
            "without control characters"
        )
    return value


def check_text(value: str) -> str:
    """Free text (descriptions, notes, comments, filters): anything but NUL.

    PostgreSQL cannot store NUL in text, and SQLite's LIKE stops at it, so a
    search for it would match everything.
    """
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _check_json(value: Any) -> None:
    """Finite numbers only, and at most :data:`MAX_JSON_DEPTH` levels of nesting.

    Walked without recursion, so a value nested thousands of levels deep is
    refused with a clear error instead of overflowing the interpreter's stack.
    """
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("must not contain NaN or infinite numbers")
        if isinstance(item, str) and "\x00" in item:
            raise ValueError("must not contain NUL characters")
        if isinstance(item, dict) and any("\x00" in str(key) for key in item):
            raise ValueError("must not contain NUL characters")
        if isinstance(item, (dict, list, tuple)):
            if depth >= MAX_JSON_DEPTH:
                raise ValueError(
                    f"is nested more than {MAX_JSON_DEPTH} levels deep; "
                    f"the limit is {MAX_JSON_DEPTH}"
                )
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests containers more than ``limit`` levels (stops at the first)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def readable_json(value: Any, field: str) -> Any:
    """A stored JSON value as reads return it: one too deep to serialise becomes a marker.

    Writes refuse such values, but rows stored before the limit existed may
    hold them; one such row must not make every list that includes it fail.
    """
    if not json_depth_exceeds(value):
        return value
    return {
        UNREADABLE_KEY: f"this {field} is nested more than {MAX_JSON_DEPTH} levels deep "
        "and cannot be shown; replace it"
    }


def encode_json(value: Any) -> str:
    """Serialise a JSON value the way it is stored, rejecting what JSON cannot hold."""
    _check_json(value)
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"must be JSON-serialisable: {exc}") from None


def check_metadata(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON object of at most 1 MiB serialised, nested at most 32 levels, numbers finite."""
    try:
        size = len(encode_json(value).encode())
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"is {size} bytes serialised; the limit is {MAX_METADATA_BYTES} (1 MiB)")
    return value


def check_entrypoint(value: str | None) -> str | None:
    if value is not None and not _ENTRYPOINT.fullmatch(value):
        raise ValueError(
            f"invalid entrypoint {value!r}: expected '<module>:<object reference>', "
            "e.g. 'model_def:Net', ':Net' or 'pkg.mod:classes.Net'"
        )
    return value


MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DRIVE = re.compile(r"[A-Za-z]:")


def check_relative_path(value: str) -> str:
    """A checkpoint path that every supported OS can write inside a download folder.

    Relative and POSIX (no leading ``/``, no backslash, no drive letter such as
    ``C:``), no empty, ``.`` or ``..`` segment, no control character (NUL
    included), at most MAX_PATH_BYTES in UTF-8 and MAX_SEGMENT_BYTES a segment
    (the usual filesystem limit). A trailing ``/`` marks a directory.
    """
    parts = value.removesuffix("/").split("/")
    problem = None
    if not value or value.startswith("/") or any(p in ("", ".", "..") for p in parts):
        problem = "must be relative, without '..' or empty segments"
    elif "\\" in value:
        problem = "use '/' between folders, not backslashes"
    elif _CONTROL.search(value):
        problem = "control characters (NUL, newline, …) are not allowed"
    elif _DRIVE.match(value):
        problem = "drive letters are not allowed"
    elif len(value.encode()) > MAX_PATH_BYTES:
        problem = f"longer than {MAX_PATH_BYTES} bytes"
    elif any(len(p.encode()) > MAX_SEGMENT_BYTES for p in parts):
        problem = f"a name is longer than {MAX_SEGMENT_BYTES} bytes"
    if problem:
        raise ValueError(f"invalid checkpoint path {value!r}: {problem}")
    return value


def check_file_layout(files: Iterable[str], directories: Iterable[str]) -> None:
    """Check that files and directories can all exist together in one folder.

    Each path on its own follows :func:`check_relative_path`; a file path does
    not end in ``/``; no path repeats, and no path is both a file and a
    directory (a file ``a`` with ``a/b``, or a directory ``a/`` with a file ``a``).
    """
    files, directories = list(files), list(directories)
    for path in (*files, *directories):
        check_relative_path(path)
    folders = {d.removesuffix("/") for d in directories}
    for path in files:
        if path.endswith("/"):
            raise ValueError(f"checkpoint file {path!r} ends with '/', which marks a directory")
        if path in folders:
            raise ValueError(f"checkpoint path {path!r} is both a file and a directory")
    seen = set(files)
    if len(seen) + len(folders) != len(files) + len(directories):
        raise ValueError("checkpoint paths must be unique")
    for path in (*files, *folders):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            if parent in seen:
                raise ValueError(
                    f"checkpoint path {path!r} needs {parent!r} to be a directory, but it is a file"
                )


def check_sha256(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise ValueError(f"invalid sha256 {value!r}: expected 64 lowercase hex digits")
    return value


USER_PATTERN = r"^[^\s\x00-\x1f\x7f/](?:[^\x00-\x1f\x7f/]{0,254}[^\s\x00-\x1f\x7f/])?$"
_USER = re.compile(USER_PATTERN)


def check_user(value: str) -> str:
    """A user name as Jupyter (or JupyterHub) gives it: 1-256 characters, no ``/`` or controls."""
    if not _USER.fullmatch(value):
        raise ValueError(
            f"invalid user name {value!r}: 1-256 characters, no '/', control characters "
            "or surrounding spaces"
        )
    return value


# The validators decide; these patterns only describe the same rules in the
# generated OpenAPI document (so API clients and fuzzers know them up front).
NAME_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
ALIAS_PATTERN = r"^(?!latest$)(?!v?[0-9]+$)(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
VERSION_REF_PATTERN = (
    r"^(?:latest|v?[1-9][0-9]{0,17}|(?!v?[0-9]+$)(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.\-]{0,127})$"
)
TEXT_PATTERN = r"^[^\x00]*$"
LABEL_PATTERN = r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"
_IDENT_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
ENTRYPOINT_PATTERN = (
    rf"^(?:{_IDENT_PATTERN}(?:\.{_IDENT_PATTERN})*)?:{_IDENT_PATTERN}(?:\.{_IDENT_PATTERN})*$"
)
JSON_OBJECT_SCHEMA = {
    "type": "object",
    "description": f"A JSON object of at most {MAX_METADATA_BYTES} bytes serialised, "
    f"nested at most {MAX_JSON_DEPTH} levels, with finite numbers and no NUL characters",
    "x-max-depth": MAX_JSON_DEPTH,
    "x-max-bytes": MAX_METADATA_BYTES,
}

ModelName = Annotated[
    str, AfterValidator(check_name), WithJsonSchema({"type": "string", "pattern": NAME_PATTERN})
]
AliasName = Annotated[
    str, AfterValidator(check_alias), WithJsonSchema({"type": "string", "pattern": ALIAS_PATTERN})
]
Label = Annotated[
    str,
    AfterValidator(check_label),
    WithJsonSchema({"type": "string", "pattern": LABEL_PATTERN, "maxLength": 128}),
]
Metadata = Annotated[
    dict[str, Any], AfterValidator(check_metadata), WithJsonSchema(JSON_OBJECT_SCHEMA)
]
UserName = Annotated[
    str, AfterValidator(check_user), WithJsonSchema({"type": "string", "pattern": USER_PATTERN})
]
Sha256 = Annotated[
    str, AfterValidator(check_sha256), WithJsonSchema({"type": "string", "pattern": SHA256_PATTERN})
]
Entrypoint = Annotated[
    str | None,
    AfterValidator(check_entrypoint),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "pattern": ENTRYPOINT_PATTERN}, {"type": "null"}]}
    ),
]
JsonObject = Metadata


def _integral(value: Any) -> Any:
    """JSON has one number type: ``3.0`` is the integer 3 (as JSON Schema says), ``3.5`` is not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: An integer in a JSON body; strict parsing otherwise refuses ``3.0``.
JsonInt = Annotated[int, BeforeValidator(_integral)]


def _text(max_length: int) -> Any:
    """A free-text field type: its length limit, and no NUL (said in the OpenAPI document too)."""
    schema = {"type": "string", "maxLength": max_length, "pattern": TEXT_PATTERN}
    return Annotated[
        str, Field(max_length=max_length), AfterValidator(check_text), WithJsonSchema(schema)
    ]


Text = _text(MAX_METADATA_BYTES)
ShortText = _text(256)
FilterText = _text(MAX_FILTER_LENGTH)
FormatName = _text(64)
RunName = _text(512)
Labels = Annotated[list[Label], Field(max_length=MAX_LABELS)]


class ModelSortBy(str, Enum):
    """Columns models can be sorted by (Determined's ``ModelSortBy``)."""

    NAME = "name"
    DESCRIPTION = "description"
    CREATION_TIME = "creation_time"
    LAST_UPDATED_TIME = "last_updated_time"


class OrderBy(str, Enum):
    ASC = "asc"
    DESC = "desc"


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


# --- models ---------------------------------------------------------------


class CreateModel(_Request):
    name: ModelName
    description: Text | None = None
    metadata: Metadata = Field(default_factory=dict)
    labels: Labels = Field(default_factory=list)
    notes: Text = ""


class UpdateModel(_Request):
    """Fields to replace; fields left out are left alone."""

    description: Text | None = None
    notes: Text | None = None
    labels: Labels | None = None
    archived: bool | None = None


class PatchMetadata(_Request):
    """Top-level keys to merge in (replacing whole values), then keys to remove."""

    add: Metadata = Field(default_factory=dict)
    remove: list[str] = Field(default_factory=list)


class DescribeModel(_Response):
    name: str
    description: str | None
    metadata: dict[str, Any]
    labels: list[str]
    #: alias → version number, every alias of the model
    aliases: dict[str, int] = Field(default_factory=dict)
    notes: str
    archived: bool
    creation_time: datetime
    last_updated_time: datetime
    num_versions: int
    latest_version: int | None
    created_by: str | None = None
    updated_by: str | None = None
    #: who may archive, delete, manage maintainers and move protected aliases (with admins)
    maintainers: list[str] = Field(default_factory=list)


#: A filter expression (``jupyter_registry.filters``); its parser checks length and
#: characters, so a refusal names the position rather than a schema rule.
FilterExpression = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": MAX_FILTER_EXPRESSION,
            "description": "a filter expression, as in metrics.acc > 0.9 and labels contains 'x'",
        }
    ),
]


class ListModelsQuery(_Request):
    filter: FilterExpression | None = None
    sort_by: ModelSortBy = ModelSortBy.NAME
    order_by: OrderBy = OrderBy.ASC
    name: FilterText | None = None
    description: FilterText | None = None
    labels: Annotated[list[FilterText], Field(max_length=MAX_LABELS)] = Field(default_factory=list)
    archived: bool | None = None
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(100, ge=1, le=MAX_PAGE)


class PageQuery(_Request):
    """Paging of ``GET models/{name}/versions`` (newest first) and ``…/history`` (oldest first)."""

    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


class SearchVersionsQuery(_Request):
    """``GET versions``: versions of every model matching ``filter``, newest first unless
    ``order_by`` (``FIELD [asc|desc]``, as in ``metrics.acc desc``)."""

    filter: FilterExpression | None = None
    order_by: FilterExpression | None = None
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(100, ge=1, le=MAX_PAGE)


class ListModelsResponse(_Response):
    models: list[DescribeModel]
    #: how many models match; an estimate when ``total_is_estimate`` (see ``Page``)
    total: int
    total_is_estimate: bool = False


# --- checkpoints ----------------------------------------------------------


# A file's path is checked with the whole list (CreateCheckpoint), not here, so a
# checkpoint stored under older rules can still be described and listed; only
# writing it to a folder refuses a bad path.
class CheckpointFile(_Request):
    path: str
    sha256: Sha256
    size: JsonInt = Field(ge=0, le=MAX_OFFSET)


class CreateCheckpoint(_Request):
    """A checkpoint whose file contents are already in the artifact store."""

    files: list[CheckpointFile]
    directories: list[str] = Field(default_factory=list)
    framework: ShortText | None = None
    format: FormatName | None = None
    entrypoint: Entrypoint = None
    hparams: JsonObject = Field(default_factory=dict)
    metrics: JsonObject = Field(default_factory=dict)
    metadata: Metadata = Field(default_factory=dict)
    run: RunName | None = None
    source: JsonObject = Field(default_factory=dict)

    @model_validator(mode="after")
    def _materializable(self) -> CreateCheckpoint:
        check_file_layout((f.path for f in self.files), self.directories)
        return self


class DescribeCheckpoint(_Response):
    uuid: str
    resources: dict[str, int]
    files: list[CheckpointFile]
    framework: str | None
    format: str | None
    entrypoint: str | None
    hparams: dict[str, Any]
    metrics: dict[str, Any]
    metadata: dict[str, Any]
    run: str | None
    source: dict[str, Any]
    creation_time: datetime
    created_by: str | None = None


class ListCheckpointsQuery(_Request):
    """Filters of ``GET checkpoints``: one run's checkpoints in order, or all newest first."""

    run: str | None = Field(None, max_length=512)
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


class ListCheckpointsResponse(_Response):
    checkpoints: list[DescribeCheckpoint]


class TensorsQuery(_Request):
    """Which file of a checkpoint to read a safetensors header from."""

    path: str = Field(min_length=1, max_length=1024)


class TensorInfo(_Response):
    name: str
    dtype: str
    shape: list[int]
    #: elements in the tensor (the product of its shape)
    parameters: int


class DescribeTensors(_Response):
    """A safetensors file's tensors, read from its header alone (never the tensors' bytes)."""

    path: str
    size: int
    #: bytes read: the 8-byte length and the JSON header
    header_bytes: int
    parameters: int
    tensors: list[TensorInfo]
    metadata: dict[str, str]


class BlobInfo(_Response):
    sha256: str
    size: int


# --- versions -------------------------------------------------------------


class Relation(str, Enum):
    """How a version was made from its base (SPEC §9)."""

    FINETUNE = "finetune"
    ADAPTER = "adapter"
    QUANTIZED = "quantized"
    MERGE = "merge"
    DISTILLED = "distilled"


def _relation(value: Any) -> Any:
    """JSON carries a relation as its string, which strict parsing would refuse as an enum."""
    if isinstance(value, str) and not isinstance(value, Relation):
        try:
            return Relation(value)
        except ValueError:
            choices = ", ".join(r.value for r in Relation)
            raise ValueError(f"unknown relation {value!r}: one of {choices}") from None
    return value


RelationName = Annotated[Relation, BeforeValidator(_relation)]

#: A version names at most this many bases (a merge of many models stays one row each).
MAX_BASES = 16
#: How far :meth:`RegistryService.get_lineage` walks up and down, and how many versions it returns.
MAX_LINEAGE_DEPTH = 10
MAX_LINEAGE_NODES = 200


class BaseRef(_Request):
    """A base to derive from: ``NAME`` (its newest version), ``NAME:3`` or ``NAME:alias``.

    The service resolves it to one concrete version when the relation is
    recorded, so a later alias move or new version never changes a lineage.
    """

    ref: str = Field(
        min_length=1,
        max_length=300,
        description="NAME, NAME:latest, NAME:<n>, NAME:v<n> or NAME:<alias>",
    )
    relation: RelationName


Bases = Annotated[list[BaseRef], Field(max_length=MAX_BASES)]


class RegisterVersion(_Request):
    checkpoint_uuid: str = Field(min_length=1, max_length=64)
    name: ShortText | None = None
    comment: Text | None = None
    metadata: Metadata = Field(default_factory=dict)
    aliases: list[AliasName] = Field(default_factory=list)
    bases: Bases = Field(default_factory=list)


class SetBases(_Request):
    """Replace a version's bases (an empty list removes them)."""

    bases: Bases


class DescribeBase(_Response):
    """One base of a version; ``deleted`` when that version was deleted since.

    A deleted base keeps its edge (with the name and number it had), so a
    lineage never silently loses where a version came from.
    """

    model_name: str
    version: int
    relation: Relation
    deleted: bool = False


class UpdateVersion(_Request):
    name: ShortText | None = None
    comment: Text | None = None
    notes: Text | None = None


class DescribeVersion(_Response):
    model_name: str
    version: int
    name: str | None
    comment: str | None
    metadata: dict[str, Any]
    notes: str
    aliases: list[str]
    creation_time: datetime
    checkpoint: DescribeCheckpoint
    created_by: str | None = None
    updated_by: str | None = None
    #: the versions this one was made from, in the order given
    bases: list[DescribeBase] = Field(default_factory=list)


class ListVersionsResponse(_Response):
    versions: list[DescribeVersion]
    #: how many versions the model has; an estimate when ``total_is_estimate``
    total: int
    total_is_estimate: bool = False


# --- lineage --------------------------------------------------------------


class LineageQuery(_Request):
    """How far ``GET models/{name}/versions/{ref}/lineage`` walks each way."""

    depth: int = Field(3, ge=1, le=MAX_LINEAGE_DEPTH)
    max_nodes: int = Field(MAX_LINEAGE_NODES, ge=2, le=MAX_LINEAGE_NODES)


class LineageNode(_Response):
    """A version in a lineage graph, with what was captured where it was made."""

    id: str = Field(description="NAME:VERSION")
    model_name: str
    version: int
    #: 0 for versions with no base in the graph, else one below its lowest base
    layer: int = 0
    deleted: bool = False
    name: str | None = None
    aliases: list[str] = Field(default_factory=list)
    created_by: str | None = None
    creation_time: datetime | None = None
    framework: str | None = None
    format: str | None = None
    checkpoint: str | None = None
    run: str | None = None
    notebook: str | None = None
    execution_count: int | None = None
    script: str | None = None
    git: dict[str, Any] | None = None
    packages: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)


class LineageEdge(_Response):
    """``derived`` was made from ``base`` by ``relation`` (node ids)."""

    base: str
    derived: str
    relation: Relation


class DescribeLineage(_Response):
    """A version's ancestors and descendants up to ``depth`` steps each way.

    ``truncated`` says the walk stopped at the depth or the node limit with
    more to see (ask again from a node at the edge).
    """

    root: str
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    truncated: bool = False


#: Most versions one comparison holds: each is a column in every surface.
MAX_COMPARED = 50
#: Compared when none are named: a model's newest versions, at most this many.
DEFAULT_COMPARED = 10


def _version_refs(value: Any) -> Any:
    """``versions=1,3`` and ``versions=1&versions=3`` alike: one list of references."""
    items = value if isinstance(value, (list, tuple)) else [value]
    refs: list[Any] = []
    for item in items:
        if isinstance(item, str):
            refs.extend(part.strip() for part in item.split(",") if part.strip())
        elif isinstance(item, int) and not isinstance(item, bool):
            refs.append(str(item))
        else:
            refs.append(item)
    return refs


# Documented without a pattern: one query value may hold several references
# separated by commas, each then checked by :func:`parse_version_ref`.
VersionRefText = Annotated[
    str,
    Field(max_length=130),
    WithJsonSchema(
        {
            "type": "string",
            "description": "a version number (3 or v3), 'latest' or an alias; "
            "several may be given separated by commas",
        }
    ),
]


class CompareQuery(_Request):
    """Which versions ``GET models/{name}/compare`` compares, in column order.

    Each is a number (``3``, ``v3``), ``latest`` or an alias; none means the
    model's newest :data:`DEFAULT_COMPARED` versions, oldest first.
    """

    versions: Annotated[
        list[VersionRefText], BeforeValidator(_version_refs), Field(max_length=MAX_COMPARED)
    ] = Field(default_factory=list)
    only_differences: bool = False


class CompareRow(_Response):
    """One compared field and its value in each version (``null`` where a version has none)."""

    #: the row's label, ``metrics.acc``, ``framework``, ``files changed``…
    key: str
    #: ``metrics``, ``hparams``, ``checkpoint``, ``files``, ``version``, ``metadata``,
    #: ``checkpoint metadata`` or ``lineage``
    section: str
    #: the field's own name within its section (a metric's name, as logged)
    name: str
    values: list[Any]
    differs: bool


class DescribeComparison(_Response):
    """Versions of one model side by side: one column a version, one row a field."""

    model_name: str
    versions: list[int]
    rows: list[CompareRow]


class DescribeAction(_Response):
    """One change to a model, its versions or aliases, and who made it (W&B-style history)."""

    model_name: str
    action: str
    version: int | None
    alias: str | None
    user: str | None
    time: datetime
    details: dict[str, Any]


class ListActionsResponse(_Response):
    actions: list[DescribeAction]
    total: int


class ChangesQuery(_Request):
    """Where to read the registry-wide change feed from (``GET changes``).

    Without ``after`` the answer is only the current cursor: a reader starts
    from now and asks again with it.
    """

    after: int | None = Field(None, ge=0)
    limit: int = Field(100, ge=1, le=MAX_PAGE)


class ListChangesResponse(_Response):
    """History entries of every model after the query's cursor, oldest first."""

    changes: list[DescribeAction]
    cursor: int


class ListMaintainersResponse(_Response):
    maintainers: list[str]


class DescribeIdentity(_Response):
    """Who the registry takes the caller to be, and the rules that apply to them (SPEC §7).

    The SDK reads it to decide whether to import a checkpoint's captured code;
    the panel to disable what the caller may not do.
    """

    user: str | None
    #: ``admin``, ``member`` or ``readonly``
    role: str
    protected_aliases: list[str]
    trusted_users: list[str]


class SetAlias(_Request):
    version: JsonInt = Field(ge=1, le=MAX_OFFSET)


# --- references -----------------------------------------------------------


class VersionRef(_Response):
    """``NAME``, ``NAME:latest``, ``NAME:<alias>``, ``NAME:<n>`` or ``NAME:v<n>``, parsed."""

    number: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        return self.alias or (str(self.number) if self.number is not None else "latest")


def parse_version_ref(ref: int | str | None) -> VersionRef:
    """Read the part after ``NAME:``; numbers, ``v<n>`` and ``latest`` before aliases."""
    if ref is None or ref == "latest" or ref == "":
        return VersionRef()
    if isinstance(ref, bool):
        raise ValidationError(f"invalid version reference {ref!r}")
    if isinstance(ref, int):
        if ref < 1:
            raise ValidationError(f"invalid version number {ref}: versions start at 1")
        if ref > MAX_OFFSET:
            raise ValidationError(f"invalid version number {ref}: too large")
        return VersionRef(number=ref)
    match = _NUMBER_REF.fullmatch(ref)
    if match:
        return parse_version_ref(int(match.group(1)))
    try:
        check_name(ref)
    except ValueError as exc:
        raise ValidationError(f"invalid version reference {ref!r}: {exc}") from None
    return VersionRef(alias=ref)


def split_model_ref(ref: str) -> tuple[str, VersionRef]:
    """Split ``NAME[:ref]`` into a validated model name and a version reference."""
    if not isinstance(ref, str):
        raise ValidationError(
            f"a version reference is a string like 'name:production', not {ref!r}"
        )
    name, _, version = ref.partition(":")
    return parse(CheckName, {"name": name}).name, parse_version_ref(version or None)


class CheckName(_Request):
    name: ModelName


class CheckUser(_Request):
    user: UserName


# --- transfers ------------------------------------------------------------

UPLOAD_ID_PATTERN = r"^[0-9a-f]{32}$"
#: The largest chunk a resumable upload may use: one chunk is what a dropped connection loses.
MAX_CHUNK_BYTES = 1 << 30
MAX_CHUNKS = 1_000_000
_UPLOAD_ID = re.compile(UPLOAD_ID_PATTERN)


def check_upload_id(value: str) -> str:
    if not _UPLOAD_ID.fullmatch(value):
        raise ValueError(f"invalid upload id {value!r}: expected 32 lowercase hex digits")
    return value


def check_chunk_index(value: str) -> int:
    if not value.isdigit() or len(value) > 7 or int(value) >= MAX_CHUNKS:
        raise ValueError(f"invalid chunk index {value!r}: expected 0 to {MAX_CHUNKS - 1}")
    return int(value)


class StartUpload(_Request):
    """A resumable upload of ``size`` bytes, sent in chunks of ``chunk_size`` (the last shorter)."""

    size: JsonInt = Field(ge=0, le=MAX_OFFSET)
    chunk_size: JsonInt = Field(ge=1, le=MAX_CHUNK_BYTES)


class ChunkInfo(_Response):
    index: int
    size: int
    sha256: str


class UploadStatus(_Response):
    """What the server holds of an upload: the client resumes by sending the other chunks."""

    upload_id: str
    size: int
    chunk_size: int
    chunks: list[ChunkInfo]


class CommitUpload(_Request):
    """Every chunk's SHA-256 as the client hashed it while sending, and the file's if known.

    The chunks' hashes prove the server holds what the client read; the
    server hashes the joined file itself, and refuses it if ``sha256`` is
    given and differs.
    """

    chunks: list[Sha256] = Field(max_length=MAX_CHUNKS)
    sha256: Sha256 | None = None


class BundleVersion(_Request):
    """The version a bundle's checkpoint becomes: a :class:`RegisterVersion` without uuid."""

    model_name: ModelName
    name: ShortText | None = None
    comment: Text | None = None
    metadata: Metadata = Field(default_factory=dict)
    aliases: list[AliasName] = Field(default_factory=list)
    bases: Bases = Field(default_factory=list)

    def register(self, checkpoint_uuid: str) -> RegisterVersion:
        fields = self.model_dump(exclude={"model_name"})
        return RegisterVersion(checkpoint_uuid=checkpoint_uuid, **fields)


class CreatedBundle(_Response):
    checkpoint: DescribeCheckpoint
    version: DescribeVersion | None = None


# --- administration -------------------------------------------------------


class CollectGarbage(_Request):
    #: Unreferenced blobs younger than this are kept: their registration may be under way.
    grace_seconds: JsonInt = Field(default=3600, ge=0, le=10**9)


class GarbageCollected(_Response):
    deleted: list[Sha256]


class SchemaRevision(_Response):
    revision: str


# --- direct transfer: blobs straight to and from an S3 bucket ------------

#: S3 numbers the parts of one multipart upload 1 to 10,000.
MAX_PARTS = 10_000
UPLOAD_ID_PATTERN = r"^[0-9a-f]{32}$"


class DirectTransfer(_Response):
    """Whether clients move blobs straight to and from the bucket, and in what pieces."""

    available: bool
    #: Files up to this size go in one presigned PUT; bigger ones in parts of this size.
    part_bytes: int | None = None
    #: How long each presigned URL stays valid.
    expires_seconds: int | None = None


class PresignUpload(_Request):
    size: JsonInt = Field(ge=0, le=MAX_OFFSET)


class PresignedPart(_Response):
    """One ``PUT`` of the file's bytes ``offset .. offset + size`` to ``url``."""

    number: int
    offset: int
    size: int
    url: str


class PresignedUpload(_Response):
    """Where to put a file's bytes; ``headers`` go with every ``PUT`` (they are signed)."""

    upload: str
    multipart: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    parts: list[PresignedPart]
    expires_at: datetime


class UploadedPart(_Request):
    number: JsonInt = Field(ge=1, le=MAX_PARTS)
    etag: str = Field(min_length=1, max_length=256)


class CompleteDirectUpload(_Request):
    """The upload of :class:`PresignedUpload` is done: verify it and store it as its blob."""

    upload: str = Field(pattern=UPLOAD_ID_PATTERN)
    multipart: str | None = Field(default=None, min_length=1, max_length=1024)
    size: JsonInt = Field(ge=0, le=MAX_OFFSET)
    parts: list[UploadedPart] = Field(default_factory=list, max_length=MAX_PARTS)


class PresignedDownload(_Response):
    """A ``GET`` (``Range`` allowed) of a stored blob's bytes, valid until ``expires_at``."""

    url: str
    size: int
    expires_at: datetime


T = TypeVar("T", bound=BaseModel)

#: Told of each committed change: its event name (``version.registered``…) and payload.
Listener = Callable[[str, dict[str, Any]], None]


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "__root__")
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse(schema: type[T], data: Any, strict: bool = False) -> T:
    """Validate ``data`` into ``schema``, raising our ValidationError with a readable message.

    ``strict`` refuses type coercion (``0`` for ``false``, ``"5"`` for ``5``), as
    the REST layer does for JSON bodies, whose types are exact.
    """
    try:
        return schema.model_validate(data, strict=strict)
    except pydantic.ValidationError as exc:
        raise ValidationError("; ".join(_describe(e) for e in exc.errors())) from None
