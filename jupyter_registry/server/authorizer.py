"""A Jupyter server that serves the registry and nothing else: the JupyterHub service's authorizer.

The central registry of a hub runs in a ``jupyterhub-singleuser`` process
holding the database URL and the bucket credentials, and JupyterHub's
identity provider lets every user with access to the service in. Its default
authorizer would then let any of them start a kernel or a terminal in that
process, or read its files, and so read the credentials. With
``--ServerApp.authorizer_class=jupyter_registry.server.authorizer.RegistryOnlyAuthorizer``
every Jupyter API but the registry's answers 403.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth import Authorizer

from .base import RegistryHandler


class RegistryOnlyAuthorizer(Authorizer):
    """Authorizes authenticated users on the ``registry`` resource only."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource == RegistryHandler.auth_resource
