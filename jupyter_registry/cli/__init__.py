"""The ``jupyter registry`` command line (SPEC §4), a thin adapter over the SDK.

Installed as the ``jupyter-registry`` console script, which Jupyter's
subcommand dispatch runs for ``jupyter registry …``.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import cards  # noqa: F401  (adds `model card` and `model tensors`)
from .admin import db, gc
from .app import cli
from .checkpoints import checkpoint
from .mlflow import export_group, import_group
from .models import model
from .versions import version

cli.add_command(model)
cli.add_command(version)
cli.add_command(checkpoint)
cli.add_command(db)
cli.add_command(gc)
cli.add_command(import_group)
cli.add_command(export_group)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="jupyter registry")


__all__ = ["cli", "main"]
