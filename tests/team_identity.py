"""A jupyter_server identity provider for tests: each token is one named person.

Set with ``ServerApp.identity_provider_class`` and ``TokenUsersIdentityProvider.users``
(token → username), it gives one server the several identities a JupyterHub
would, without a hub. The server's own token still works and stays anonymous.
"""

from __future__ import annotations

from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web
from traitlets import Dict


class TokenUsersIdentityProvider(IdentityProvider):
    users = Dict(config=True, help="token → username")

    async def get_user_token(self, handler: web.RequestHandler) -> User | None:
        token = self.get_token(handler)
        if token in self.users:
            return User(username=self.users[token])
        return await super().get_user_token(handler)
