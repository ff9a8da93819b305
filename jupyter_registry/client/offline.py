"""The offline client (``JUPYTER_REGISTRY_OFFLINE=1``): answers from the local cache alone.

Like Hugging Face's ``HF_HUB_OFFLINE``, it lets a process with no network
(a plane, a locked-down cluster node, a server that is down) load versions it
loaded before, by the same references. A ref resolves to the version it
named at the last online load that recorded it
(:mod:`~jupyter_registry.artifacts.known_refs`), with an
:class:`OfflineWarning` giving that time, since the registry may have moved
an alias since. A checkpoint comes from its cache entry, checked as on every
load. Nothing here opens a socket or a database: what the cache does not hold
is a :class:`NotCachedError`, and every other operation an :class:`OfflineError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from ..artifacts.cache import cached_description
from ..artifacts.known_refs import KnownRefs, ref_key
from ..config import ENV_OFFLINE
from ..errors import NotFoundError, RegistryError
from ..schemas import DescribeCheckpoint, DescribeIdentity, DescribeVersion
from .protocol import RegistryClient, VersionKey

HINT = f"unset {ENV_OFFLINE} to reach the registry"


class OfflineError(RegistryError):
    """The call needs the registry itself, and this process is offline."""


class NotCachedError(NotFoundError):
    """Offline, and the local cache holds nothing for this reference or checkpoint."""


class OfflineWarning(UserWarning):
    """A reference was resolved from the cache's records, which may be out of date."""


class OfflineClient:
    """Satisfies the reads of :class:`RegistryClient` a load needs, from the cache at ``cache``.

    ``location`` names the registry whose records to read, spelled as its
    online client spells it (``location`` of the HTTP and local clients), and
    ``credential`` whose identity to trust code by.
    """

    def __init__(self, cache: Path, location: str, credential: str) -> None:
        self.cache = cache
        self.location = location
        #: The digest of the token an online client would speak with (see ``HttpClient``).
        self.credential = credential
        self.known = KnownRefs(cache, location)

    def __repr__(self) -> str:
        return f"<OfflineClient {self.location}>"

    def get_version(self, model_name: str, ref: VersionKey = None) -> DescribeVersion:
        key = ref_key(model_name, ref)
        known = self.known.version(key)
        if known is None:
            raise NotCachedError(
                f"{key} is not in the local cache: {ENV_OFFLINE} is set, and no online "
                f"load of {key} from {self.location} was recorded; {HINT}"
            )
        version: DescribeVersion = known.value
        warnings.warn(
            f"{ENV_OFFLINE}: {key} resolved from the local cache as of "
            f"{known.time:%Y-%m-%d %H:%M:%S %Z} (version {version.version}, "
            f"checkpoint {version.checkpoint.uuid})",
            OfflineWarning,
            stacklevel=3,
        )
        return version

    def get_checkpoint(self, checkpoint_uuid: str) -> DescribeCheckpoint:
        found = cached_description(self.cache / "checkpoints", checkpoint_uuid)
        if found is None:
            raise NotCachedError(
                f"checkpoint {checkpoint_uuid} is not in the local cache ({ENV_OFFLINE} is set)"
            )
        return found

    def get_identity(self) -> DescribeIdentity:
        """Who the registry last said you are: what a default load() decides trust by."""
        known = self.known.identity(self.credential)
        if known is None:
            raise NotCachedError(
                f"{ENV_OFFLINE} is set and no online load from {self.location} recorded "
                "who you are there, so whose code to trust is unknown; load(trusted=True) "
                f"after reviewing the code, or {HINT}"
            )
        identity: DescribeIdentity = known.value
        return identity

    def read_blob(self, sha256: str) -> tuple[int, Iterator[bytes]]:
        raise NotCachedError(
            f"blob {sha256} is not in the local cache, or its cached copy changed on disk "
            f"and was discarded ({ENV_OFFLINE} is set); {HINT}"
        )

    def __getattr__(self, name: str) -> Callable[..., NoReturn]:
        """Every other operation of the client contract: refused, naming it."""
        if name not in _OPERATIONS:
            raise AttributeError(name)

        def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
            raise OfflineError(f"{name} needs the registry, and {ENV_OFFLINE} is set; {HINT}")

        return refuse


#: The contract's operations, so that an unknown attribute is still an AttributeError.
_OPERATIONS = frozenset(
    name for cls in RegistryClient.__mro__ for name in vars(cls) if not name.startswith("_")
)
