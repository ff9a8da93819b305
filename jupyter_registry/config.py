"""Where the registry keeps its data, configured only through traitlets.

``RegistryConfig`` is read by the server extension (``c.RegistryConfig.*`` in
a Jupyter config file) and by the embedded SDK, so a notebook's ``Registry()``
and the server beside it resolve the same defaults: the environment first,
then ``JUPYTER_REGISTRY_HOME``, then ``<jupyter data dir>/registry/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir
from traitlets import Unicode, default
from traitlets.config import Configurable

ENV_HOME = "JUPYTER_REGISTRY_HOME"
ENV_DATABASE = "JUPYTER_REGISTRY_DATABASE"
ENV_ARTIFACTS = "JUPYTER_REGISTRY_ARTIFACTS"
ENV_STORAGE_OPTIONS = "JUPYTER_REGISTRY_STORAGE_OPTIONS"
ENV_SERVER = "JUPYTER_REGISTRY_SERVER"
ENV_TOKEN = "JUPYTER_REGISTRY_TOKEN"
ENV_HUB_TOKEN = "JUPYTERHUB_API_TOKEN"


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

    @default("home")
    def _default_home(self) -> str:
        return os.environ.get(ENV_HOME) or str(Path(jupyter_data_dir()) / "registry")

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
