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


class IntegrityError(RegistryError):
    """Stored bytes no longer match their recorded SHA-256 or size."""


class StorageError(RegistryError):
    """The database or artifact store could not be reached or written (disk full, …)."""


HTTP_STATUS: dict[type[RegistryError], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 400,
    UntrustedCodeError: 400,
    IntegrityError: 500,
    StorageError: 503,
}


def status_for(error: RegistryError) -> int:
    """The HTTP status of an error, walking its class hierarchy."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


def error_for_type(type_name: str, message: str) -> RegistryError:
    """Rebuild a typed error from the ``{"type", "message"}`` body of a response."""
    by_name = {cls.__name__: cls for cls in (*HTTP_STATUS, RegistryError)}
    return by_name.get(type_name, RegistryError)(message)
