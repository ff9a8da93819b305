"""The registry's error types: one hierarchy, one status map.

Every layer raises these; the REST layer maps them to status codes through
:data:`HTTP_STATUS`, the HTTP client maps status codes back through
:func:`error_for_type`, and the CLI prints their message. A user mistake is
always one of these, never a bare exception.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base class of every error the registry raises on purpose."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class NotFoundError(RegistryError):
    """An unknown model, version, alias, checkpoint or blob."""


class ConflictError(RegistryError):
    """A duplicate name, or a change that would break a reference."""


class ValidationError(RegistryError):
    """Input that breaks one of the registry's rules; nothing was changed."""


class UntrustedCodeError(ValidationError):
    """Loading would import or run code the user has not said they trust.

    A default ``load()`` builds only model classes from the checkpoint's own
    code or the framework itself (SPEC §7); ``load(trusted=True)`` lifts that.
    """


class PermissionDeniedError(RegistryError):
    """The acting user's role does not allow this change (SPEC §7); nothing was changed."""


class IntegrityError(RegistryError):
    """Stored bytes no longer match their recorded SHA-256 or size."""


class StorageError(RegistryError):
    """The database or artifact store could not be reached or written (disk full, …)."""


HTTP_STATUS: dict[type[RegistryError], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 400,
    UntrustedCodeError: 400,
    PermissionDeniedError: 403,
    IntegrityError: 500,
    StorageError: 503,
}


def status_for(error: RegistryError) -> int:
    """The HTTP status of an error, walking its class hierarchy."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


#: Wire names that differ from the class name (SPEC §7 names a refusal ``PermissionDenied``).
WIRE_NAMES: dict[type[RegistryError], str] = {PermissionDeniedError: "PermissionDenied"}


def type_name(error: RegistryError) -> str:
    """The ``type`` of an error's ``{"error": {"type", "message"}}`` body."""
    return WIRE_NAMES.get(type(error), type(error).__name__)


def error_for_type(type_name: str, message: str) -> RegistryError:
    """Rebuild a typed error from the ``{"type", "message"}`` body of a response."""
    by_name = {cls.__name__: cls for cls in (*HTTP_STATUS, RegistryError)}
    by_name.update({name: cls for cls, name in WIRE_NAMES.items()})
    return by_name.get(type_name, RegistryError)(message)
