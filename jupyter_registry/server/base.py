"""The one handler base class: authentication, authorisation, parsing and error mapping.

Every REST verb is declared with :func:`endpoint`, which is the single place
that (1) requires Jupyter's authentication and ``@authorized`` on the
``registry`` resource, (2) parses the body and query string into the pydantic
schema named in the declaration, (3) runs the service call off the event loop
and (4) serialises the typed response. The declarations are the operations of
:mod:`jupyter_registry.api`, which :mod:`jupyter_registry.server.openapi` also
reads to describe the route, so the document cannot drift from what the
handler accepts.

Errors always leave as ``{"error": {"type", "message"}}``: registry errors by
:func:`~jupyter_registry.errors.status_for`, tornado's own (403, 405, 413) by
their status, and anything unexpected as a logged 500 without a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import json
import typing
from collections.abc import Awaitable, Callable
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from ..api import API_PREFIX, Operation
from ..errors import RegistryError, status_for, type_name
from ..schemas import MAX_JSON_DEPTH, parse
from ..service import RegistryService

MAX_JSON_BODY = 16 * 1024 * 1024
#: jupyter_server's own providers know no people: behind a plain token every caller
#: is a made-up "Anonymous <moon>" with a random uuid as username.
ANONYMOUS_PROVIDERS = (IdentityProvider, PasswordIdentityProvider)
SERVICE_KEY = "jupyter_registry_service"

ERROR_TYPES = {
    400: "ValidationError",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFoundError",
    405: "MethodNotAllowed",
    409: "ConflictError",
    413: "PayloadTooLarge",
    416: "RangeNotSatisfiable",
}


class ApiError(tornado.web.HTTPError):
    """An HTTP error that carries the registry error type name for the JSON body."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(status, reason=None)
        self.error_type = error_type
        self.message = message


def from_registry_error(error: RegistryError) -> ApiError:
    return ApiError(status_for(error), type_name(error), error.message)


Verb = Callable[..., Awaitable[Any]]


def endpoint(operation: Operation) -> Callable[[Callable[..., Any]], Verb]:
    """Declare a verb: auth, parse, run off the loop, serialise — in that order.

    The decorated method receives the path arguments plus ``body=`` and/or
    ``query=`` (parsed schemas) and returns a pydantic response, ``None``
    (empty 204) or, for ``streamed`` operations without a response schema,
    writes the response itself.
    """

    def wrap(method: Callable[..., Any]) -> Verb:
        @functools.wraps(method)
        async def verb(self: RegistryHandler, *args: str) -> None:
            kwargs: dict[str, Any] = {}
            try:
                if operation.body is not None:
                    kwargs["body"] = parse(operation.body, self.json_body(), strict=True)
                if operation.query is not None:
                    kwargs["query"] = parse(operation.query, self.query_args(operation))
                result = method(self, *args, **kwargs)
                if asyncio.iscoroutine(result):
                    result = await result
            except RegistryError as exc:
                raise from_registry_error(exc) from None
            if operation.streamed and operation.response is None:
                return
            self.set_status(operation.status)
            if result is None:
                self.finish()
            else:
                self.finish(result.model_dump_json())

        guarded = tornado.web.authenticated(authorized(verb))
        guarded.__registry_operation__ = operation  # type: ignore[attr-defined]
        return guarded

    return wrap


class RegistryHandler(APIHandler):
    """Base of every registry route; thin adapters over :class:`RegistryService`."""

    auth_resource = "registry"

    @property
    def service(self) -> RegistryService:
        """The extension's service acting for this request's Jupyter user."""
        service: RegistryService = self.settings[SERVICE_KEY]
        return service.acting_as(self.registry_user(service))

    def registry_user(self, service: RegistryService) -> str | None:
        """The person making this request, as the registry names them (SPEC §7).

        Jupyter's user when the identity provider knows people (JupyterHub's,
        or any configured one); with jupyter_server's own token or password
        provider the user is an anonymous random id, so the registry names
        its default user (``RegistryConfig.default_user``, else the server's
        OS user) instead.
        """
        if type(self.identity_provider) in ANONYMOUS_PROVIDERS:
            return service.policy.default_user
        return getattr(self.current_user, "username", None)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking service call in a worker thread so the server stays responsive."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
        except RegistryError as exc:
            raise from_registry_error(exc) from None

    def json_body(self) -> Any:
        body = self.request.body
        if len(body) > MAX_JSON_BODY:
            raise ApiError(413, "PayloadTooLarge", f"request body is over {MAX_JSON_BODY} bytes")
        if not body.strip():
            raise ApiError(400, "ValidationError", "a JSON request body is required")
        try:
            data = json.loads(body)
            # JSON may escape lone surrogates, which no database can store as text.
            json.dumps(data, ensure_ascii=False).encode()
        except (ValueError, UnicodeError) as exc:
            message = f"request body is not valid JSON: {exc}"
            raise ApiError(400, "ValidationError", message) from None
        except RecursionError:
            message = f"request body is nested too deeply (the limit is {MAX_JSON_DEPTH} levels)"
            raise ApiError(400, "ValidationError", message) from None
        return data

    def query_args(self, operation: Operation) -> dict[str, Any]:
        """The query string as schema fields: list fields repeat, others take the last value."""
        assert operation.query is not None
        args: dict[str, Any] = {}
        for name, info in operation.query.model_fields.items():
            key = operation.query_aliases.get(name, name)
            values = [self.decode_argument(v).strip() for v in self.request.arguments.get(key, [])]
            if not values:
                continue
            args[name] = values if typing.get_origin(info.annotation) is list else values[-1]
        return args

    def check_xsrf_cookie(self) -> None:
        """Say 401 to a request with no identity at all; XSRF refusals of a session stay 403."""
        if getattr(self, "_jupyter_current_user", True) is None:
            raise ApiError(401, "Unauthorized", "authentication required: send a Jupyter token")
        super().check_xsrf_cookie()

    def get_login_url(self) -> str:
        # Reached through @web.authenticated with no user: an API answers 401, not a redirect.
        raise ApiError(401, "Unauthorized", "authentication required: send a Jupyter token")

    @classmethod
    def allowed_methods(cls) -> list[str]:
        verbs = ("get", "head", "post", "put", "patch", "delete")
        declared = [v for v in verbs if hasattr(getattr(cls, v), "__registry_operation__")]
        return [v.upper() for v in declared]

    def api_url(self, path: str = "") -> str:
        """The absolute path of an API resource (``path`` already percent-encoded)."""
        return url_path_join(self.base_url, API_PREFIX, path)

    def created(self, location: str) -> None:
        self.set_header("Location", location)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error_type = ERROR_TYPES.get(
            status_code, "InternalError" if status_code >= 500 else "Error"
        )
        message = self._reason
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            error_type, message = exc.error_type, exc.message
        elif isinstance(exc, tornado.web.HTTPError):
            message = exc.log_message or message
        elif isinstance(exc, RegistryError):
            error_type, message = type_name(exc), exc.message
        elif exc is not None:
            message = "internal error; see the server log"
        self.set_header("Content-Type", "application/json")
        self.clear_header("Content-Disposition")
        if status_code == 401:
            self.set_header("WWW-Authenticate", "token")
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.finish(json.dumps({"error": {"type": error_type, "message": message}}))


class NotFoundHandler(RegistryHandler):
    """Any other path under the API prefix: a JSON 404 instead of an HTML page."""

    async def prepare(self) -> None:
        await super().prepare()
        if self.current_user is None:
            raise ApiError(401, "Unauthorized", "authentication required: send a Jupyter token")
        raise ApiError(404, "NotFoundError", f"no registry API route {self.request.path}")
