"""Pure translations between MLflow's Model Registry objects and the registry's (SPEC §8).

A registered model is a model (description ↔ description, tags ↔ the
metadata entries whose values are strings, aliases ↔ aliases); a model
version is a version (tags ↔ version metadata, description ↔ comment, and
``source``/``run_id``/``run_link`` kept under ``mlflow`` in the checkpoint's
lineage). MLflow filter strings are parsed here into clauses matched in
Python, so no part of a filter ever reaches SQL as text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..lineage import MLFLOW_KEY as LINEAGE_KEY
from ..schemas import DescribeModel, DescribeVersion

ARTIFACTS_ROUTE = "api/2.0/mlflow-artifacts/artifacts"
# MLflow's own defaults and caps of search_registered_models / search_model_versions
MODELS_PAGE = (100, 1000)
VERSIONS_PAGE = (10_000, 200_000)


class MlflowError(Exception):
    """An error MLflow's client raises as ``MlflowException`` with this ``error_code``."""

    STATUS = {
        "INVALID_PARAMETER_VALUE": 400,
        "RESOURCE_ALREADY_EXISTS": 400,
        "INVALID_STATE": 400,
        "UNAUTHENTICATED": 401,
        "PERMISSION_DENIED": 403,
        "RESOURCE_DOES_NOT_EXIST": 404,
        "ENDPOINT_NOT_FOUND": 404,
        "INTERNAL_ERROR": 500,
        "TEMPORARILY_UNAVAILABLE": 503,
    }

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message

    @property
    def status(self) -> int:
        return self.STATUS.get(self.error_code, 500)


#: the registry's error types (``ERROR_TYPES`` of server/base.py) → MLflow's error codes
_CODE_FOR_TYPE = {
    "ValidationError": "INVALID_PARAMETER_VALUE",
    "UntrustedCodeError": "INVALID_PARAMETER_VALUE",
    "NotFoundError": "RESOURCE_DOES_NOT_EXIST",
    "ConflictError": "INVALID_STATE",
    "Unauthorized": "UNAUTHENTICATED",
    "Forbidden": "PERMISSION_DENIED",
    "IntegrityError": "INTERNAL_ERROR",
    "StorageError": "TEMPORARILY_UNAVAILABLE",
}


def code_for(error_type: str, status: int) -> str:
    """MLflow's error code for one of our errors, by its type, else by its HTTP status."""
    if error_type in _CODE_FOR_TYPE:
        return _CODE_FOR_TYPE[error_type]
    by_status = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "ENDPOINT_NOT_FOUND"}
    by_status[405] = "ENDPOINT_NOT_FOUND"
    return by_status.get(status, "INTERNAL_ERROR" if status >= 500 else "INVALID_PARAMETER_VALUE")


def millis(time: datetime) -> int:
    return int(time.timestamp() * 1000)


def tags_of(metadata: dict[str, Any]) -> list[dict[str, str]]:
    """MLflow tags: the metadata entries whose values are strings (others have no tag form)."""
    return [{"key": k, "value": v} for k, v in sorted(metadata.items()) if isinstance(v, str)]


def metadata_of(tags: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for tag in tags or []:
        if not isinstance(tag, dict) or not isinstance(tag.get("key"), str) or not tag["key"]:
            raise MlflowError("INVALID_PARAMETER_VALUE", f"a tag needs a string key: {tag!r}")
        metadata[tag["key"]] = str(tag.get("value", ""))
    return metadata


def registered_model(
    model: DescribeModel, latest: DescribeVersion | None, artifact_base: str
) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": model.name,
        "creation_timestamp": millis(model.creation_time),
        "last_updated_timestamp": millis(model.last_updated_time),
        "description": model.description or "",
        "tags": tags_of(model.metadata),
        "aliases": [
            {"alias": alias, "version": str(number)}
            for alias, number in sorted(model.aliases.items())
        ],
    }
    if model.created_by:
        described["user_id"] = model.created_by
    if latest is not None:
        described["latest_versions"] = [model_version(latest, artifact_base)]
    return described


def lineage(version: DescribeVersion) -> dict[str, Any]:
    recorded = version.checkpoint.source.get(LINEAGE_KEY)
    return recorded if isinstance(recorded, dict) else {}


def download_uri(version: DescribeVersion, artifact_base: str) -> str:
    """Where MLflow's HTTP artifact repository lists and downloads the version's files.

    A reference version (no files here) points at the source it was registered
    with, which the client reads itself, as with W&B's reference artifacts.
    """
    reference = lineage(version).get("source")
    if not version.checkpoint.files and reference:
        return str(reference)
    return f"{artifact_base}/checkpoints/{version.checkpoint.uuid}"


def model_version(version: DescribeVersion, artifact_base: str) -> dict[str, Any]:
    recorded = lineage(version)
    described: dict[str, Any] = {
        "name": version.model_name,
        "version": str(version.version),
        "creation_timestamp": millis(version.creation_time),
        "last_updated_timestamp": millis(version.creation_time),
        "current_stage": "None",
        "description": version.comment or "",
        "source": str(recorded.get("source") or download_uri(version, artifact_base)),
        "run_id": str(recorded.get("run_id") or ""),
        "status": "READY",
        "tags": tags_of(version.metadata),
        "aliases": sorted(version.aliases),
    }
    if recorded.get("run_link"):
        described["run_link"] = str(recorded["run_link"])
    if version.created_by:
        described["user_id"] = version.created_by
    return described


def version_number(value: Any) -> int:
    """MLflow sends version numbers as strings."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or int(text) < 1:
        raise MlflowError("INVALID_PARAMETER_VALUE", f"invalid model version {value!r}")
    return int(text)


# --- filter strings -----------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One ``key OP 'value'`` comparison of an MLflow filter string."""

    key: str  # "name", "run_id", "source", or "tags.<key>"
    op: str  # "=", "!=", "LIKE", "ILIKE"
    value: str

    def matches(self, fields: dict[str, str | None]) -> bool:
        actual = fields.get(self.key)
        if actual is None:
            return self.op == "!="  # how MLflow's client leaves out prompts: untagged passes
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        pattern = "".join(
            ".*" if c == "%" else "." if c == "_" else re.escape(c) for c in self.value
        )
        flags = re.IGNORECASE | re.DOTALL if self.op == "ILIKE" else re.DOTALL
        return re.fullmatch(pattern, actual, flags) is not None


_CLAUSE = re.compile(
    r"""\s*(?P<key>tags?\.(?:`[^`]+`|"[^"]+"|[\w.\-]+)|[A-Za-z_][\w.]*)\s*
    (?P<op>!=|=|(?i:ILIKE)|(?i:LIKE))\s*
    (?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*""",
    re.VERBOSE,
)
_AND = re.compile(r"\s+(?i:AND)\s+")


def parse_filter(text: str | None, keys: Iterable[str]) -> list[Clause]:
    """Clauses of ``a = 'x' AND tags.k LIKE 'y%'``; ``keys`` are the attributes allowed."""
    allowed = set(keys)
    clauses: list[Clause] = []
    rest = (text or "").strip()
    while rest:
        match = _CLAUSE.match(rest)
        if match is None:
            raise MlflowError("INVALID_PARAMETER_VALUE", f"invalid filter string {text!r}")
        key = match["key"]
        if key.startswith(("tags.", "tag.")):
            key = "tags." + key.partition(".")[2].strip('`"')
        elif key not in allowed:
            supported = ", ".join(sorted(allowed)) + ", tags.<key>"
            raise MlflowError(
                "INVALID_PARAMETER_VALUE",
                f"invalid filter string {text!r}: {key!r} is not one of {supported}",
            )
        value = re.sub(r"\\(.)", r"\1", match["value"][1:-1])
        clauses.append(Clause(key, match["op"].upper(), value))
        rest = rest[match.end() :]
        if rest:
            joined = _AND.match(" " + rest)
            if joined is None:
                raise MlflowError(
                    "INVALID_PARAMETER_VALUE",
                    f"invalid filter string {text!r}: clauses join with AND",
                )
            rest = (" " + rest)[joined.end() :]
    return clauses


def model_fields(model: DescribeModel) -> dict[str, str | None]:
    fields: dict[str, str | None] = {"name": model.name}
    fields.update({f"tags.{t['key']}": t["value"] for t in tags_of(model.metadata)})
    return fields


def version_fields(version: DescribeVersion) -> dict[str, str | None]:
    recorded = lineage(version)
    fields: dict[str, str | None] = {
        "name": version.model_name,
        "run_id": str(recorded.get("run_id") or ""),
        "source": str(recorded.get("source") or ""),
    }
    fields.update({f"tags.{t['key']}": t["value"] for t in tags_of(version.metadata)})
    return fields


def exact_name(clauses: list[Clause]) -> str | None:
    """The model name a filter pins with ``name = '…'``: only that model need be read."""
    return next((c.value for c in clauses if c.key == "name" and c.op == "="), None)


# --- paging and ordering -------------------------------------------------------


def page_offset(token: str | None) -> int:
    """The offset a ``page_token`` we handed out stands for."""
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, binascii.Error, UnicodeError):
        raise MlflowError("INVALID_PARAMETER_VALUE", f"invalid page_token {token!r}") from None
    if offset < 0:
        raise MlflowError("INVALID_PARAMETER_VALUE", f"invalid page_token {token!r}")
    return offset


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def max_results(value: Any, bounds: tuple[int, int]) -> int:
    """``max_results`` within MLflow's (default, cap) for the search."""
    default, cap = bounds
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= cap:
        raise MlflowError("INVALID_PARAMETER_VALUE", f"max_results must be 1-{cap}, not {value!r}")
    return int(text)


ORDER_KEYS = {
    "name": "name",
    "creation_timestamp": "creation_timestamp",
    "timestamp": "creation_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
    "version_number": "version",
}


def order_keys(order_by: list[str], allowed: Iterable[str]) -> list[tuple[str, bool]]:
    """``["name ASC", "last_updated_timestamp DESC"]`` → ``[(field, descending), …]``."""
    permitted = set(allowed)
    keys: list[tuple[str, bool]] = []
    for item in order_by:
        words = item.split()
        field = ORDER_KEYS.get(words[0]) if words else None
        direction = words[1].upper() if len(words) > 1 else "ASC"
        if field not in permitted or len(words) > 2 or direction not in ("ASC", "DESC"):
            raise MlflowError("INVALID_PARAMETER_VALUE", f"invalid order_by clause {item!r}")
        keys.append((field, direction == "DESC"))
    return keys


def ordered(items: list[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Stable sorts, last key first, so the first key decides."""
    for field, descending in reversed(keys):
        items.sort(key=lambda item: _sort_value(item[field]), reverse=descending)
    return items


def _sort_value(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def required(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value:
        raise MlflowError(
            "INVALID_PARAMETER_VALUE", f"missing value for required parameter {name!r}"
        )
    return value
