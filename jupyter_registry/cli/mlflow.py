"""``jupyter registry import mlflow`` and ``export mlflow``: move whole registries (SPEC §8)."""

from __future__ import annotations

from dataclasses import asdict

import click

from ..mlflow_sync import Copied, export_mlflow, import_mlflow
from .app import CONTEXT_SETTINGS, Invocation, OrderedGroup, UserError, registry_command
from .tables import table


@click.group("import", cls=OrderedGroup, context_settings=CONTEXT_SETTINGS)
def import_group() -> None:
    """Copy models into this registry from another one."""


@click.group("export", cls=OrderedGroup, context_settings=CONTEXT_SETTINGS)
def export_group() -> None:
    """Copy this registry's models into another one."""


TRACKING_URI = click.option(
    "--tracking-uri", required=True, metavar="URI", help="The MLflow server, e.g. http://host:5000."
)
MODELS = click.option(
    "--model", "models", multiple=True, metavar="NAME", help="Copy only this model; repeatable."
)


@registry_command(import_group, "mlflow")
@TRACKING_URI
@MODELS
def import_command(inv: Invocation, tracking_uri: str, models: tuple[str, ...]) -> None:
    """Copy models from an MLflow server.

    Registered models, versions, aliases, tags, descriptions and files.
    Version numbers are kept when the model is new here. Running it again
    copies only what is not here yet.
    """
    _report(inv, import_mlflow(inv.registry, tracking_uri, models))


@registry_command(export_group, "mlflow")
@TRACKING_URI
@MODELS
def export_command(inv: Invocation, tracking_uri: str, models: tuple[str, ...]) -> None:
    """Copy models to an MLflow server.

    Models, versions, aliases, tags, descriptions and files. Version
    numbers are kept when the model is new there. Running it again copies
    only what is not there yet.
    """
    _report(inv, export_mlflow(inv.registry, tracking_uri, models))


def _report(inv: Invocation, results: list[Copied]) -> None:
    """The summary table; exit 1 when any model could not be copied (the rest were)."""
    rows = [
        (
            r.name,
            ", ".join(map(str, r.copied)) or "-",
            ", ".join(map(str, r.skipped)) or "-",
            ", ".join(r.aliases) or "-",
            r.error or "ok",
        )
        for r in results
    ]
    headers = ("model", "copied versions", "already there", "aliases set", "result")
    inv.emit([asdict(r) for r in results], lambda: table(headers, rows))
    failed = [r.name for r in results if r.error]
    if failed:
        raise UserError(f"{len(failed)} model(s) could not be copied: {', '.join(failed)}")
