"""The rules of a team registry (SPEC §7): who may change what, and whose code is trusted.

A :class:`Policy` is built once from :class:`~jupyter_registry.config.RegistryConfig`
and handed to the service, which asks it before every write. It holds no
state of its own and does no I/O, so the same decisions hold in the embedded
SDK and behind the server. Refusals are :class:`PermissionDeniedError` whose
message names the user, the action and who may do it.

Loading is the other side of trust: :func:`trusts_code` says whether a
default ``load()`` may import code captured by someone else. It runs in the
loading process, with the :class:`~jupyter_registry.schemas.DescribeIdentity`
the registry gives for the caller, because protecting a user from a
teammate's code is the loading process's business.
"""

from __future__ import annotations

import getpass
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from .config import RegistryConfig
from .errors import PermissionDeniedError
from .schemas import DescribeIdentity

ADMIN, MEMBER, READONLY = "admin", "member", "readonly"


def os_user() -> str | None:
    """The login name of this process, or None (no passwd entry in some containers)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _names(users: Iterable[str]) -> str:
    return ", ".join(sorted(users)) or "none"


@dataclass(frozen=True)
class Policy:
    """Roles, protected aliases and trusted users, as configured."""

    admin_users: frozenset[str] = frozenset()
    readonly_users: frozenset[str] = frozenset()
    trusted_users: frozenset[str] = frozenset()
    protected_aliases: frozenset[str] = frozenset({"production"})
    #: who a call without a Jupyter identity is made by: the configured default or the OS user
    default_user: str | None = None

    @classmethod
    def from_config(cls, config: RegistryConfig) -> Policy:
        return cls(
            admin_users=frozenset(config.admin_users),
            readonly_users=frozenset(config.readonly_users),
            trusted_users=frozenset(config.trusted_users),
            protected_aliases=frozenset(config.protected_aliases),
            default_user=config.default_user or os_user(),
        )

    def role(self, user: str | None) -> str:
        """A read-only listing wins over an admin one: the narrower grant is the deliberate one."""
        if user in self.readonly_users:
            return READONLY
        if user in self.admin_users:
            return ADMIN
        return MEMBER

    def identity(self, user: str | None) -> DescribeIdentity:
        return DescribeIdentity(
            user=user,
            role=self.role(user),
            protected_aliases=sorted(self.protected_aliases),
            trusted_users=sorted(self.trusted_users),
        )

    def is_protected(self, alias: str) -> bool:
        return alias in self.protected_aliases

    def check_writer(self, user: str | None, action: str) -> None:
        """Members and admins write; read-only users are refused."""
        if self.role(user) == READONLY:
            raise PermissionDeniedError(
                f"{user} may not {action}: {user} is a read-only user of this registry "
                f"(only members and admins may; admins: {_names(self.admin_users)})"
            )

    def check_maintainer(
        self, user: str | None, model: str, maintainers: Collection[str], action: str
    ) -> None:
        """Only the model's maintainers and the admins; everyone else is refused."""
        self.check_writer(user, action)
        if self.role(user) == ADMIN or user in maintainers:
            return
        raise PermissionDeniedError(
            f"{user} may not {action}: only the maintainers of model {model!r} "
            f"({_names(maintainers)}) and admins ({_names(self.admin_users)}) may"
        )

    def check_alias(
        self, user: str | None, model: str, maintainers: Collection[str], alias: str, action: str
    ) -> None:
        """Unprotected aliases are the members'; protected ones the maintainers' and admins'."""
        if self.is_protected(alias):
            self.check_maintainer(
                user, model, maintainers, f"{action} protected alias {alias!r} of model {model!r}"
            )
        else:
            self.check_writer(user, f"{action} alias {alias!r} of model {model!r}")


def trusts_code(
    identity: DescribeIdentity, creator: str | None, aliases: Iterable[str] = ()
) -> bool:
    """Whether a default ``load()`` may import code that ``creator`` captured.

    Yes for one's own checkpoints, for a trusted user's, and for a version
    holding a protected alias (a maintainer promoted it, vouching for it).
    """
    if creator is not None and (creator == identity.user or creator in identity.trusted_users):
        return True
    return any(alias in identity.protected_aliases for alias in aliases)


__all__ = ["ADMIN", "MEMBER", "READONLY", "Policy", "os_user", "trusts_code"]
