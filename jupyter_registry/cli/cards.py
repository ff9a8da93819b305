"""``jupyter registry model card`` and ``model tensors``: a model's card, a version's weights."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from ..schemas import DescribeTensors
from . import tables
from .app import Invocation, registry_command
from .models import model


@registry_command(model, "card")
@click.argument("name")
@click.option(
    "--set",
    "source",
    type=click.File("r", encoding="utf-8"),
    help="Replace the card with this file's text ('-' reads stdin); checked first.",
)
@click.option(
    "--export",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the card as a Hugging Face style README.md to this file.",
)
def card(inv: Invocation, name: str, source: TextIO | None, target: Path | None) -> None:
    """Show, set or export a model's card.

    The card is the model's notes: Markdown under an optional YAML front matter.
    The front matter's fields (license, datasets, language, tags, base_model,
    intended_use, limitations, model-index) are checked; an error names its line.
    The export fills model-index from the production (else newest) version's
    metrics when the card has none.
    """
    found = inv.registry.get_model(name)
    if source is not None:
        found.set_notes(source.read())
    if target is not None:
        found.export_card(target)
        inv.emit({"model": name, "exported": str(target)}, f"Wrote the card of {name} to {target}")
        return
    parsed = found.card()
    inv.emit({"model": name, "fields": parsed.fields, "body": parsed.body}, found.notes)


def tensors_table(info: DescribeTensors) -> str:
    rows = [
        (t.name, t.dtype, " x ".join(map(str, t.shape)) or "scalar", t.parameters)
        for t in info.tensors
    ]
    size = tables.human_size(info.size)
    total = f"{len(info.tensors)} tensors, {info.parameters:,} parameters ({info.path}, {size})"
    return f"{tables.table(('Tensor', 'Dtype', 'Shape', 'Parameters'), rows)}\n{total}"


@registry_command(model, "tensors")
@click.argument("name")
@click.argument("version", metavar="VERSION")
@click.argument("path", metavar="FILE")
def tensors(inv: Invocation, name: str, version: str, path: str) -> None:
    """List the tensors of a .safetensors file.

    FILE is a file of version VERSION of model NAME; only its header is read.
    """
    info = inv.registry.get_model(name).get_version(version).tensors(path)
    inv.emit(info, lambda: tensors_table(info))
