"""``jupyter registry checkpoint …``: create, inspect and download checkpoints."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import click

from ..schemas import DescribeCheckpoint
from ..sdk import Checkpoint
from . import tables
from .app import CONTEXT_SETTINGS, Invocation, OrderedGroup, registry_command
from .params import JSON_OBJECT

CHECKPOINT_HEADERS = ("UUID", "Run", "Framework", "Format", "Files", "Size", "Created")


def _is_uuid(ref: str) -> bool:
    try:
        uuid.UUID(ref)
    except ValueError:
        return False
    return True


def resolve(inv: Invocation, ref: str) -> Checkpoint:
    """A checkpoint by uuid, or the one a version reference (``NAME[:alias|:n]``) points at."""
    if _is_uuid(ref):
        return inv.registry.get_checkpoint(ref)
    return inv.registry.get_model_version(ref).checkpoint


def _files_table(info: DescribeCheckpoint) -> str:
    rows = [(path, size) for path, size in sorted(info.resources.items())]
    return tables.table(("Path", "Size"), rows)


def _details(info: DescribeCheckpoint) -> str:
    size = sum(f.size for f in info.files)
    summary = tables.details(
        [
            ("UUID", info.uuid),
            ("Run", info.run),
            ("Framework", info.framework),
            ("Format", info.format),
            ("Entrypoint", info.entrypoint),
            ("Created", info.creation_time),
            ("Metrics", info.metrics),
            ("Hparams", info.hparams),
            ("Metadata", info.metadata),
            ("Files", f"{len(info.files)} ({tables.human_size(size)})"),
        ]
    )
    return f"{summary}\n\n{_files_table(info)}"


@click.group(cls=OrderedGroup, context_settings=CONTEXT_SETTINGS)
def checkpoint() -> None:
    """Create, inspect and download checkpoints.

    A checkpoint is the immutable set of files and facts of one trained state.
    """


@registry_command(checkpoint, "create")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--entrypoint", metavar="MODULE:OBJECT", help="How to load it, e.g. 'model_def:Net'.")
@click.option("--framework", metavar="TEXT", help="Framework and version, e.g. 'torch-2.13.0'.")
@click.option("--format", "format_", metavar="TEXT", help="Storage format [files].")
@click.option("--metrics", type=JSON_OBJECT, help="A JSON object, e.g. '{\"acc\": 0.97}'.")
@click.option("--hparams", type=JSON_OBJECT, help="A JSON object of hyperparameters.")
@click.option("--metadata", type=JSON_OBJECT, help="A JSON object of metadata.")
@click.option("--run", metavar="TEXT", help="The training run it belongs to.")
def create(
    inv: Invocation,
    path: Path,
    entrypoint: str | None,
    framework: str | None,
    format_: str | None,
    metrics: dict[str, Any] | None,
    hparams: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
    run: str | None,
) -> None:
    """Create a checkpoint from a file or folder and print its uuid.

    The files are copied, so later changes to PATH change nothing.

    A `.registryignore` at the folder's top (gitignore syntax) leaves files out.
    """
    created = inv.registry.create_checkpoint(
        path,
        framework=framework,
        format=format_,
        entrypoint=entrypoint,
        hparams=hparams,
        metrics=metrics,
        metadata=metadata,
        run=run,
    )
    inv.emit(created.info, created.uuid)


@registry_command(checkpoint, "describe")
@click.argument("ref", metavar="REF")
def describe(inv: Invocation, ref: str) -> None:
    """Show a checkpoint and its files.

    REF is a checkpoint uuid or a version reference (NAME, NAME:ALIAS, NAME:N).
    """
    found = resolve(inv, ref)
    inv.emit(found.info, lambda: _details(found.info))


@registry_command(checkpoint, "files")
@click.argument("ref", metavar="REF")
def files(inv: Invocation, ref: str) -> None:
    """List a checkpoint's files with their sizes in bytes.

    REF is a checkpoint uuid or a version reference (NAME, NAME:ALIAS, NAME:N).
    """
    found = resolve(inv, ref)
    payload = {"uuid": found.uuid, "resources": found.resources, "files": found.info.files}
    inv.emit(payload, lambda: _files_table(found.info))


@registry_command(checkpoint, "download")
@click.argument("ref", metavar="REF")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the files to [./checkpoints/UUID].",
)
def download(inv: Invocation, ref: str, output: Path | None) -> None:
    """Download a verified copy of a checkpoint and print the folder.

    REF is a checkpoint uuid or a version reference: NAME (latest version),
    NAME:ALIAS, NAME:N or NAME:vN, e.g. `mnist_cnn:production`.
    """
    found = resolve(inv, ref)
    folder = found.download(output)
    inv.emit({"uuid": found.uuid, "path": str(folder.resolve())}, str(folder))


@registry_command(checkpoint, "list")
@click.option("--run", metavar="TEXT", help="Only this run's checkpoints, in the order saved.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
def list_checkpoints(inv: Invocation, run: str | None, limit: int | None) -> None:
    """List checkpoints, newest first."""
    infos = [c.info for c in inv.registry.get_checkpoints(run=run, limit=limit)]
    rows = [
        (
            c.uuid,
            c.run,
            c.framework,
            c.format,
            len(c.files),
            tables.human_size(sum(f.size for f in c.files)),
            c.creation_time,
        )
        for c in infos
    ]
    inv.emit({"checkpoints": infos}, lambda: tables.table(CHECKPOINT_HEADERS, rows))
