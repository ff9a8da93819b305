"""What the cache last knew of one registry: the versions its refs named, and who you were.

Every successful online ``load()`` records, per registry location (a server
URL or a database URL), the version it loaded under each ref that named it
then (``NAME:latest`` if fetched so, ``NAME:<n>`` and ``NAME:<alias>`` for each
alias it held), with the time; the identity the registry gave a token (kept
as a digest) is recorded whenever it is asked for. An offline registry
(``JUPYTER_REGISTRY_OFFLINE=1``) resolves refs from these records alone, and
says as of when.

A record is one small JSON file, ``<cache>/refs/<location hash>/<ref hash>.json``,
replaced in one rename: concurrent loads of different refs never lose each
other's records, and a reader sees a whole record or the one before.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel

from ..schemas import DescribeIdentity, DescribeVersion, parse_version_ref

IDENTITY = "identity"


class Known(NamedTuple):
    """A recorded answer and when the registry gave it."""

    value: Any
    time: datetime


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def ref_key(model_name: str, ref: int | str | None) -> str:
    """``NAME:<ref>`` spelled one way: ``v3`` and ``3`` name one record, as do ``""`` and
    ``latest``."""
    return f"{model_name}:{parse_version_ref(ref)}"


class KnownRefs:
    """The records of the registry at ``location``, under the cache folder ``cache``."""

    def __init__(self, cache: Path, location: str) -> None:
        # Hashed: a database URL may hold a password, and a folder name has no room for it.
        self.folder = cache / "refs" / _digest(location)

    def _write(self, key: str, value: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {"key": key, "time": datetime.now(timezone.utc).isoformat(), "value": value}
        target = self.folder / f"{_digest(key)}.json"
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        partial.write_text(json.dumps(record))
        os.replace(partial, target)

    def _read(self, key: str, schema: type[BaseModel]) -> Known | None:
        """The record of ``key`` as ``schema``; None if there is none or it is not whole."""
        try:
            record = json.loads((self.folder / f"{_digest(key)}.json").read_text())
            if record["key"] != key:
                return None
            return Known(
                schema.model_validate(record["value"]), datetime.fromisoformat(record["time"])
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def remember_version(self, refs: Iterable[str], version: DescribeVersion) -> None:
        """Record that each of ``refs`` (see :func:`ref_key`) named ``version`` just now."""
        value = version.model_dump(mode="json")
        for key in dict.fromkeys(refs):
            self._write(key, value)

    def version(self, key: str) -> Known | None:
        return self._read(key, DescribeVersion)

    def remember_identity(self, identity: DescribeIdentity, credential: str) -> None:
        """Record who the registry said the holder of ``credential`` (a token's digest) is."""
        self._write(f"{IDENTITY}:{credential}", identity.model_dump(mode="json"))

    def identity(self, credential: str) -> Known | None:
        return self._read(f"{IDENTITY}:{credential}", DescribeIdentity)


def refs_naming(version: DescribeVersion, fetched_as: str | None) -> list[str]:
    """The refs a loaded version answers to now: how it was fetched, its number, its aliases."""
    name = version.model_name
    refs = [] if fetched_as is None else [fetched_as]
    refs.append(ref_key(name, version.version))
    refs.extend(ref_key(name, alias) for alias in version.aliases)
    return refs
