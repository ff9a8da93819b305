"""``jupyter registry version …``: versions across every model, found with the filter language."""

from __future__ import annotations

import click

from . import tables
from .app import CONTEXT_SETTINGS, Invocation, OrderedGroup, registry_command
from .models import VERSION_HEADERS, version_row


@click.group(cls=OrderedGroup, context_settings=CONTEXT_SETTINGS)
def version() -> None:
    """Find versions across models by what matters."""


@registry_command(version, "search")
@click.argument("expression", metavar="EXPR", required=False)
@click.option(
    "--order-by",
    metavar="FIELD [asc|desc]",
    help="Sort key, e.g. 'metrics.acc desc' [newest first].",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many versions.")
def search(
    inv: Invocation, expression: str | None, order_by: str | None, limit: int | None
) -> None:
    """List versions of every model matching EXPR.

    Without EXPR, every version. EXPR is the filter language of README "Search", e.g.
    "metrics.acc > 0.9 and labels contains 'vision'": fields model, version,
    name, comment, framework, format, run, created_by, creation_time, alias,
    labels (the model's), metrics.KEY, hparams.KEY, metadata.KEY; operators
    = != < <= > >= contains in; and, or, not and parentheses.
    """
    found = inv.registry.search_versions(expression, order_by=order_by, limit=limit)
    infos = [v.info for v in found]
    rows = [(info.model_name, *version_row(info)) for info in infos]
    inv.emit({"versions": infos}, lambda: tables.table(("Model", *VERSION_HEADERS), rows))
