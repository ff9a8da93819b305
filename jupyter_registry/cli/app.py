"""What every ``jupyter registry`` command shares: target, ``--json``, errors.

Commands are thin adapters over the SDK. Each one is declared with
:func:`registry_command`, which adds the common options and turns the
registry's own errors into a one-line message on stderr with exit code 1
(click already uses 2 for usage errors), so a user never sees a traceback
unless they ask for it with ``--debug``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from pydantic_core import to_jsonable_python

from .. import __version__
from ..errors import RegistryError
from ..sdk import Registry

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

TARGET_HELP = """\b
Which registry a command talks to, first match wins:
  --server URL [--token T]          a Jupyter server's registry, over its REST API
  --database URL [--artifacts URI]  a database and artifact store, directly
  JUPYTER_REGISTRY_SERVER / _TOKEN / _DATABASE / _ARTIFACTS environment variables
  the embedded registry under JUPYTER_REGISTRY_HOME (default: <jupyter data dir>/registry)
"""


class UserError(click.ClickException):
    """A mistake the user can fix: shown as ``Error: <message>``, exit code 1."""

    exit_code = 1


@dataclass
class Invocation:
    """The parsed common options of one command, with a lazily opened registry."""

    as_json: bool
    server: str | None = None
    token: str | None = None
    database: str | None = None
    artifacts: str | None = None
    _registry: Registry | None = field(default=None, repr=False)

    @property
    def registry(self) -> Registry:
        """Opened on first use so ``--help`` and usage errors never touch storage."""
        if self._registry is None:
            if self.server and (self.database or self.artifacts):
                raise click.UsageError("--server cannot be combined with --database/--artifacts")
            self._registry = Registry(
                database=self.database,
                artifacts=self.artifacts,
                server=self.server,
                token=self.token,
            )
        return self._registry

    def emit(self, payload: Any, text: str | Callable[[], str]) -> None:
        """Print ``payload`` as JSON with ``--json``, else the human ``text``."""
        if self.as_json:
            click.echo(json.dumps(to_jsonable_python(payload), indent=2, ensure_ascii=False))
        else:
            click.echo(text() if callable(text) else text)


def _common_params() -> list[click.Parameter]:
    return [
        click.Option(
            ["--json", "as_json"], is_flag=True, help="Print machine-readable JSON on stdout."
        ),
        click.Option(
            ["--server"],
            metavar="URL",
            help="Jupyter server URL [env: JUPYTER_REGISTRY_SERVER].",
        ),
        click.Option(
            ["--token"], metavar="TOKEN", help="Jupyter server token [env: JUPYTER_REGISTRY_TOKEN]."
        ),
        click.Option(
            ["--database"],
            metavar="URL",
            help="Database URL [env: JUPYTER_REGISTRY_DATABASE].",
        ),
        click.Option(
            ["--artifacts"],
            metavar="URI",
            help="Artifact store URI [env: JUPYTER_REGISTRY_ARTIFACTS].",
        ),
        click.Option(["--debug"], is_flag=True, help="Show the full traceback of an error."),
    ]


def _message(exc: BaseException) -> str:
    """One line for the user: the registry's own message, else the exception's."""
    if isinstance(exc, RegistryError):
        text = exc.message
    elif isinstance(exc, OSError):
        text = str(exc) or type(exc).__name__
    else:
        text = f"unexpected {type(exc).__name__}: {exc} (run again with --debug for details)"
    return " ".join(text.splitlines())


def registry_command(
    group: click.Group | None, name: str, **settings: Any
) -> Callable[[Callable[..., None]], click.Command]:
    """Declare command ``name`` (in ``group``, if given) whose callback gets an Invocation."""

    def decorate(fn: Callable[..., None]) -> click.Command:
        @functools.wraps(fn)
        def run(
            as_json: bool,
            server: str | None,
            token: str | None,
            database: str | None,
            artifacts: str | None,
            debug: bool,
            **params: Any,
        ) -> None:
            invocation = Invocation(as_json, server, token, database, artifacts)
            try:
                fn(invocation, **params)
            except (click.ClickException, click.exceptions.Abort, click.exceptions.Exit):
                raise
            except Exception as exc:
                if debug:
                    raise
                raise UserError(_message(exc)) from None

        command = (group.command if group else click.command)(name, **settings)(run)
        command.params.extend(_common_params())
        return command

    return decorate


class OrderedGroup(click.Group):
    """Lists subcommands in the order they were added (the walkthrough order), not A-Z."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=OrderedGroup, context_settings=CONTEXT_SETTINGS, epilog=TARGET_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="jupyter registry")
def cli() -> None:
    """Organise trained models: models, numbered versions, checkpoints and aliases.

    Every command takes --json for machine-readable output and the target
    options below; run `jupyter registry COMMAND --help` for details.
    """
