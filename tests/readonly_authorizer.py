"""A Jupyter authorizer that lets every user read the registry and nobody change it.

Loaded by the ``jupyter server`` subprocesses of tests that check a refused write
(``ServerApp.authorizer_class``), with this folder on their ``PYTHONPATH``.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.authorizer import Authorizer


class ReadOnlyAuthorizer(Authorizer):
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "registry" or action == "read"
