"""Where the registry keeps its data, configured only through traitlets.

``RegistryConfig`` is read by the server extension (``c.RegistryConfig.*`` in
a Jupyter config file) and by the embedded SDK, so a notebook's ``Registry()``
and the server beside it resolve the same defaults: the environment first,
then ``JUPYTER_REGISTRY_HOME``, then ``<jupyter data dir>/registry/``.

The team rules (SPEC §7) are configured here too: who the registry names when
Jupyter does not know the user, who is an admin, who may only read, whose
captured code is trusted and which aliases are protected. Each list may also
come from the environment, comma-separated, so a kernel's embedded registry
follows the same rules as the server that started it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from traitlets import Bool, Int, List, TraitError, Unicode, default, validate
from traitlets.config import Configurable

#: S3's smallest part (but the last) and largest single PUT.
MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PART_BYTES = 5 * 1024 * 1024 * 1024

ENV_HOME = "JUPYTER_REGISTRY_HOME"
ENV_DATABASE = "JUPYTER_REGISTRY_DATABASE"
ENV_ARTIFACTS = "JUPYTER_REGISTRY_ARTIFACTS"
ENV_STORAGE_OPTIONS = "JUPYTER_REGISTRY_STORAGE_OPTIONS"
ENV_SERVER = "JUPYTER_REGISTRY_SERVER"
ENV_TOKEN = "JUPYTER_REGISTRY_TOKEN"
ENV_HUB_TOKEN = "JUPYTERHUB_API_TOKEN"
ENV_USER = "JUPYTER_REGISTRY_USER"
ENV_OFFLINE = "JUPYTER_REGISTRY_OFFLINE"
#: Values of JUPYTER_REGISTRY_OFFLINE that turn offline mode on (as Hugging Face's HF_HUB_OFFLINE).
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
#: Role lists read from the environment (comma-separated), by traitlet name.
ENV_LISTS = {
    "admin_users": "JUPYTER_REGISTRY_ADMIN_USERS",
    "readonly_users": "JUPYTER_REGISTRY_READONLY_USERS",
    "trusted_users": "JUPYTER_REGISTRY_TRUSTED_USERS",
    "protected_aliases": "JUPYTER_REGISTRY_PROTECTED_ALIASES",
}


def token_digest(token: str | None) -> str:
    """Who a token speaks for, as the load cache may record it: a digest, never the token."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:32]


def _env_list(name: str, fallback: list[str]) -> list[str]:
    value = os.environ.get(ENV_LISTS[name])
    if value is None:
        return fallback
    return [item.strip() for item in value.split(",") if item.strip()]


class RegistryConfig(Configurable):
    """Storage locations and limits of one registry."""

    home = Unicode(
        config=True,
        help="Folder of the embedded registry (SQLite database and artifact folder).",
    )
    database = Unicode(
        config=True,
        help="SQLAlchemy URL of the metadata database, e.g. "
        "postgresql+psycopg://user@host/db. Defaults to SQLite under `home`.",
    )
    artifacts = Unicode(
        config=True,
        help="fsspec URI of the artifact store, e.g. s3://bucket/prefix. "
        "Defaults to the `artifacts` folder under `home`.",
    )
    storage_options = Unicode(
        "",
        config=True,
        help="JSON object of fsspec storage options for the artifact store "
        "(e.g. an S3 endpoint). Also read from JUPYTER_REGISTRY_STORAGE_OPTIONS.",
    )

    direct_transfer = Bool(
        True,
        config=True,
        help="With an S3 artifact store, let HTTP clients upload and download blobs "
        "straight to and from the bucket through presigned URLs; the server only "
        "verifies and records them. False streams every blob through this server.",
    )
    direct_transfer_expiry = Int(
        900,
        config=True,
        help="Seconds a presigned URL stays valid (1 to 604800, S3's limit).",
    )
    direct_part_bytes = Int(
        64 * 1024 * 1024,
        config=True,
        help="Files up to this size go to the bucket in one presigned PUT, which the "
        "bucket checks against the file's SHA-256; bigger ones in parallel parts of "
        "this size (5 MiB to 5 GiB, S3's limits), which the server hashes back from "
        "the bucket.",
    )

    server = Unicode(
        config=True,
        help="URL of a central registry (e.g. the JupyterHub service "
        "http://hub/services/registry/). When set, this Jupyter server opens no "
        "database: it forwards its registry REST API there under `token`, and its "
        "kernels get the URL and token instead of storage locations. Defaults to "
        "JUPYTER_REGISTRY_SERVER.",
    )
    token = Unicode(
        config=True,
        help="Token sent to `server`, acting as this server's user. Defaults to "
        "JUPYTER_REGISTRY_TOKEN, then JupyterHub's JUPYTERHUB_API_TOKEN.",
    )

    offline = Bool(
        config=True,
        help="Load only what the local cache holds and touch no network or database: "
        "a reference resolves from the refs recorded by earlier online loads, with a "
        "warning naming their time. Defaults to JUPYTER_REGISTRY_OFFLINE=1.",
    )

    default_user = Unicode(
        "",
        config=True,
        help="Who the registry names when Jupyter does not know the user (plain token "
        "authentication gives an anonymous random id) and in the embedded SDK. "
        "Defaults to the operating-system user. Also read from JUPYTER_REGISTRY_USER.",
    )
    admin_users = List(
        Unicode(),
        config=True,
        help="Users who may do everything. Also JUPYTER_REGISTRY_ADMIN_USERS (comma-separated).",
    )
    readonly_users = List(
        Unicode(),
        config=True,
        help="Users who may only read (this wins over admin_users). "
        "Also JUPYTER_REGISTRY_READONLY_USERS.",
    )
    trusted_users = List(
        Unicode(),
        config=True,
        help="Users whose captured model code load() imports without trusted=True. "
        "Also JUPYTER_REGISTRY_TRUSTED_USERS.",
    )
    protected_aliases = List(
        Unicode(),
        config=True,
        help="Aliases only a model's maintainers and admins may set, move or remove. "
        "Also JUPYTER_REGISTRY_PROTECTED_ALIASES.",
    )

    @validate("direct_transfer_expiry")
    def _valid_expiry(self, proposal: dict[str, int]) -> int:
        if not 1 <= proposal["value"] <= 604800:
            raise TraitError("direct_transfer_expiry must be 1 to 604800 seconds")
        return proposal["value"]

    @validate("direct_part_bytes")
    def _valid_part_bytes(self, proposal: dict[str, int]) -> int:
        if not MIN_PART_BYTES <= proposal["value"] <= MAX_PART_BYTES:
            raise TraitError("direct_part_bytes must be 5 MiB to 5 GiB (S3's part sizes)")
        return proposal["value"]

    @default("offline")
    def _default_offline(self) -> bool:
        return os.environ.get(ENV_OFFLINE, "").strip().lower() in TRUE_WORDS

    @default("default_user")
    def _default_default_user(self) -> str:
        return os.environ.get(ENV_USER, "")

    @default("admin_users")
    def _default_admin_users(self) -> list[str]:
        return _env_list("admin_users", [])

    @default("readonly_users")
    def _default_readonly_users(self) -> list[str]:
        return _env_list("readonly_users", [])

    @default("trusted_users")
    def _default_trusted_users(self) -> list[str]:
        return _env_list("trusted_users", [])

    @default("protected_aliases")
    def _default_protected_aliases(self) -> list[str]:
        return _env_list("protected_aliases", ["production"])

    @default("home")
    def _default_home(self) -> str:
        if os.environ.get(ENV_HOME):
            return os.environ[ENV_HOME]
        from jupyter_core.paths import jupyter_data_dir  # platformdirs: only when needed

        return str(Path(jupyter_data_dir()) / "registry")

    @default("database")
    def _default_database(self) -> str:
        env = os.environ.get(ENV_DATABASE)
        if env:
            return env
        return f"sqlite:///{Path(self.home).expanduser().resolve() / 'registry.db'}"

    @default("artifacts")
    def _default_artifacts(self) -> str:
        env = os.environ.get(ENV_ARTIFACTS)
        if env:
            return env
        return str(Path(self.home).expanduser().resolve() / "artifacts")

    @default("storage_options")
    def _default_storage_options(self) -> str:
        return os.environ.get(ENV_STORAGE_OPTIONS, "")

    @default("server")
    def _default_server(self) -> str:
        return os.environ.get(ENV_SERVER, "")

    @default("token")
    def _default_token(self) -> str:
        return os.environ.get(ENV_TOKEN) or os.environ.get(ENV_HUB_TOKEN, "")
