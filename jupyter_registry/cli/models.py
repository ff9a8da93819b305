"""``jupyter registry model …``: Determined's ``det model`` verbs over the SDK."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TextIO

import click

from ..schemas import (
    MAX_LINEAGE_DEPTH,
    CompareQuery,
    DescribeComparison,
    DescribeLineage,
    DescribeModel,
    DescribeVersion,
    ModelSortBy,
    OrderBy,
    Relation,
    parse,
)
from ..sdk import Model, ModelVersion
from . import tables
from .app import CONTEXT_SETTINGS, Invocation, OrderedGroup, registry_command
from .params import JSON_OBJECT

MODEL_HEADERS = ("Name", "Description", "Versions", "Labels", "Archived", "Created", "Updated")
VERSION_HEADERS = (
    "Version",
    "Aliases",
    "Name",
    "Comment",
    "Checkpoint",
    "Framework",
    "Format",
    "Metrics",
    "Created",
)


def _model_row(info: DescribeModel) -> Sequence[Any]:
    return (
        info.name,
        info.description,
        info.num_versions,
        info.labels,
        info.archived,
        info.creation_time,
        info.last_updated_time,
    )


def version_row(info: DescribeVersion) -> Sequence[Any]:
    ckpt = info.checkpoint
    return (
        info.version,
        info.aliases,
        info.name,
        info.comment,
        ckpt.uuid,
        ckpt.framework,
        ckpt.format,
        ckpt.metrics,
        info.creation_time,
    )


def model_details(info: DescribeModel) -> str:
    return tables.details(
        [
            ("Name", info.name),
            ("Description", info.description),
            ("Labels", info.labels),
            ("Archived", info.archived),
            ("Versions", info.num_versions),
            ("Created", info.creation_time),
            ("Created by", info.created_by),
            ("Maintainers", info.maintainers),
            ("Updated", info.last_updated_time),
            ("Metadata", info.metadata),
        ]
    )


def versions_table(versions: Sequence[ModelVersion]) -> str:
    return tables.table(VERSION_HEADERS, [version_row(v.info) for v in versions])


@click.group(cls=OrderedGroup, context_settings=CONTEXT_SETTINGS)
def model() -> None:
    """Create and list models; register and alias versions."""


@registry_command(model, "create")
@click.argument("name")
@click.option("--description", "-d", help="A one-line description.")
@click.option("--metadata", type=JSON_OBJECT, help='A JSON object, e.g. \'{"dataset": "mnist"}\'.')
@click.option("--label", "labels", multiple=True, metavar="LABEL", help="A label; repeatable.")
def create(
    inv: Invocation,
    name: str,
    description: str | None,
    metadata: dict[str, Any] | None,
    labels: tuple[str, ...],
) -> None:
    """Create a model.

    NAME is 1-128 letters, digits, '_', '-' or '.', starting with a letter or digit.
    """
    created = inv.registry.create_model(
        name, description=description, metadata=metadata, labels=labels
    )
    inv.emit(created.info, f"Created model {created.name}")


def _enum_option(flag: str, choices: type[Enum], default: Enum, help: str) -> Any:
    return click.option(
        flag,
        type=click.Choice([c.value for c in choices]),
        default=default.value,
        show_default=True,
        help=help,
    )


@registry_command(model, "list")
@_enum_option("--sort-by", ModelSortBy, ModelSortBy.NAME, "Column to sort by.")
@_enum_option("--order-by", OrderBy, OrderBy.ASC, "Sort order.")
@click.option("--name", metavar="TEXT", help="Only names containing TEXT (any case).")
@click.option("--description", metavar="TEXT", help="Only descriptions containing TEXT.")
@click.option("--label", "labels", multiple=True, metavar="LABEL", help="Only models with LABEL.")
@click.option(
    "--archived/--active", default=None, help="Only archived, or only active, models [all]."
)
@click.option(
    "--filter",
    "expression",
    metavar="EXPR",
    help="Only models matching EXPR, e.g. \"labels contains 'vision' and metadata.owner = 'ana'\".",
)
def list_models(
    inv: Invocation,
    sort_by: str,
    order_by: str,
    name: str | None,
    description: str | None,
    labels: tuple[str, ...],
    archived: bool | None,
    expression: str | None,
) -> None:
    """List models, by name unless --sort-by says otherwise.

    --filter takes the filter language of README "Search": fields name,
    description, labels, alias, archived, created_by, creation_time,
    metadata.KEY; operators = != < <= > >= contains in; and, or, not.
    """
    models = inv.registry.get_models(
        sort_by=sort_by,
        order_by=order_by,
        name=name,
        description=description,
        labels=labels,
        archived=archived,
        filter=expression,
    )
    infos = [m.info for m in models]
    inv.emit({"models": infos}, lambda: tables.table(MODEL_HEADERS, map(_model_row, infos)))


@registry_command(model, "describe")
@click.argument("name")
def describe(inv: Invocation, name: str) -> None:
    """Show a model and its latest version."""
    found = inv.registry.get_model(name)
    latest = found.get_version() if found.num_versions else None

    def text() -> str:
        if latest is None:
            return f"{model_details(found.info)}\n\nNo versions yet."
        return f"{model_details(found.info)}\n\nLatest version:\n{versions_table([latest])}"

    inv.emit({"model": found.info, "latest_version": latest and latest.info}, text)


@registry_command(model, "update")
@click.argument("name")
@click.option("--description", "-d", help="The new description ('' clears it).")
@click.option("--label", "labels", multiple=True, metavar="LABEL", help="Replace the labels.")
@click.option("--clear-labels", is_flag=True, help="Remove every label.")
def update(
    inv: Invocation,
    name: str,
    description: str | None,
    labels: tuple[str, ...],
    clear_labels: bool,
) -> None:
    """Change a model's description or labels."""
    found = inv.registry.get_model(name)
    if description is not None:
        found.set_description(description or None)
    if labels or clear_labels:
        found.set_labels(labels)
    inv.emit(found.info, lambda: model_details(found.info))


@registry_command(model, "register-version")
@click.argument("name")
@click.argument("checkpoint_uuid")
@click.option("--alias", "aliases", multiple=True, metavar="ALIAS", help="Alias; repeatable.")
@click.option("--name", "version_name", metavar="TEXT", help="A name for this version.")
@click.option("--comment", metavar="TEXT", help="A comment on this version.")
@click.option("--metadata", type=JSON_OBJECT, help="A JSON object of version metadata.")
@click.option(
    "--base",
    "bases",
    multiple=True,
    metavar="REF",
    help="The version it was made from (NAME:3, NAME:alias, NAME); repeatable for a merge.",
)
@click.option(
    "--relation",
    type=click.Choice([r.value for r in Relation]),
    help="How it was made from --base (default: finetune; merge for several bases).",
)
def register_version(
    inv: Invocation,
    name: str,
    checkpoint_uuid: str,
    aliases: tuple[str, ...],
    version_name: str | None,
    comment: str | None,
    metadata: dict[str, Any] | None,
    bases: tuple[str, ...],
    relation: str | None,
) -> None:
    """Register a checkpoint as the next version of a model.

    Prints the new version number; --alias points aliases at it at once,
    --base records the version(s) it was made from.
    """
    version = inv.registry.get_model(name).register_version(
        checkpoint_uuid,
        name=version_name,
        comment=comment,
        metadata=metadata,
        aliases=aliases,
        base=list(bases) or None,
        relation=relation,
    )
    inv.emit(version.info, f"Registered {version.model_name} version {version.version}")


def lineage_lines(graph: DescribeLineage) -> str:
    """One line per relation, bases first (by layer), then the nodes with no relation shown."""
    layer = {node.id: node.layer for node in graph.nodes}
    gone = {node.id for node in graph.nodes if node.deleted}
    name = lambda node_id: f"{node_id} (deleted)" if node_id in gone else node_id  # noqa: E731
    edges = sorted(graph.edges, key=lambda e: (layer[e.base], e.base, e.derived))
    lines = [f"{name(e.base)} --{e.relation.value}--> {name(e.derived)}" for e in edges]
    if not lines:
        lines = [f"{graph.root}: no recorded base, and nothing was made from it"]
    if graph.truncated:
        lines.append("… more beyond: raise --depth or start from a version at the edge")
    return "\n".join(lines)


@registry_command(model, "lineage")
@click.argument("ref", metavar="NAME[:VERSION]")
@click.option(
    "--depth", type=click.IntRange(1, MAX_LINEAGE_DEPTH), default=3, help="Steps each way."
)
def lineage(inv: Invocation, ref: str, depth: int) -> None:
    """Show a version's bases and descendants.

    NAME is its newest version; NAME:3 and NAME:alias name one.
    """
    graph = inv.registry.get_lineage(ref, depth=depth)
    inv.emit(graph, lambda: lineage_lines(graph))


@registry_command(model, "list-versions")
@click.argument("name")
def list_versions(inv: Invocation, name: str) -> None:
    """List a model's versions, newest first."""
    versions = inv.registry.get_model(name).get_versions()
    inv.emit({"versions": [v.info for v in versions]}, lambda: versions_table(versions))


@registry_command(model, "compare")
@click.argument("name")
@click.argument("versions", nargs=-1, metavar="[VERSION]...")
@click.option(
    "--only-differences", is_flag=True, help="Only the rows whose values differ between versions."
)
def compare(inv: Invocation, name: str, versions: tuple[str, ...], only_differences: bool) -> None:
    """Compare versions of a model side by side, a column each.

    VERSION is a number (3, v3), 'latest' or an alias; none compares the newest
    ten. Rows are metrics, hparams, framework and format, size, files changed
    (from the first version), aliases, metadata and lineage.
    """
    query = parse(CompareQuery, {"versions": list(versions), "only_differences": only_differences})
    comparison = inv.registry.client.compare_versions(name, query)
    inv.emit(comparison, lambda: comparison_table(comparison))


def comparison_table(comparison: DescribeComparison) -> str:
    if not comparison.versions:
        return f"{comparison.model_name} has no versions to compare."
    if not comparison.rows:
        return "No differences between these versions."
    headers = ("Field", *(f"v{n}" for n in comparison.versions))
    rows = [
        (row.key, *(tables.human_size(v) if row.key == "size" else v for v in row.values))
        for row in comparison.rows
    ]
    return tables.table(headers, rows)


@registry_command(model, "alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version", type=click.IntRange(min=1))
def alias(inv: Invocation, name: str, alias: str, version: int) -> None:
    """Point an alias at a version.

    An alias names one version of a model; setting it again moves it.
    `latest` is reserved: it always means the highest version.
    """
    moved = inv.registry.get_model(name).set_alias(alias, version)
    inv.emit(moved.info, f"{name}:{alias} -> version {moved.version}")


@registry_command(model, "remove-alias")
@click.argument("name")
@click.argument("alias")
def remove_alias(inv: Invocation, name: str, alias: str) -> None:
    """Remove an alias from a model."""
    inv.registry.get_model(name).remove_alias(alias)
    inv.emit({"model": name, "removed_alias": alias}, f"Removed alias {name}:{alias}")


@registry_command(model, "delete-version")
@click.argument("name")
@click.argument("version", metavar="VERSION")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete_version(inv: Invocation, name: str, version: str, yes: bool) -> None:
    """Delete one version of a model.

    VERSION is a number (3, v3) or an alias. Its number is never reused.
    """
    found = inv.registry.get_model(name).get_version(version)
    if not yes:
        click.confirm(f"Delete {name} version {found.version}?", abort=True, err=True)
    found.delete()
    inv.emit(
        {"model": name, "deleted_version": found.version},
        f"Deleted {name} version {found.version}",
    )


@registry_command(model, "delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(inv: Invocation, name: str, yes: bool) -> None:
    """Delete a model and all its versions.

    The checkpoints the versions pointed at stay in the registry.
    """
    if not yes:
        click.confirm(f"Delete model {name} and all its versions?", abort=True, err=True)
    inv.registry.delete_model(name)
    inv.emit({"deleted": name}, f"Deleted model {name}")


def _set_archived(inv: Invocation, name: str, archived: bool) -> None:
    found = inv.registry.get_model(name)
    if archived:
        found.archive()
    else:
        found.unarchive()
    inv.emit(found.info, f"{'Archived' if archived else 'Unarchived'} model {name}")


@registry_command(model, "archive")
@click.argument("name")
def archive(inv: Invocation, name: str) -> None:
    """Archive a model.

    Nothing is deleted; `model list --active` leaves it out.
    """
    _set_archived(inv, name, True)


@registry_command(model, "unarchive")
@click.argument("name")
def unarchive(inv: Invocation, name: str) -> None:
    """Unarchive a model."""
    _set_archived(inv, name, False)


@registry_command(model, "notes")
@click.argument("name")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def notes(inv: Invocation, name: str, file: TextIO) -> None:
    """Set a model's Markdown notes from a file.

    The notes are replaced by the contents of FILE ('-' reads stdin).
    """
    found = inv.registry.get_model(name)
    found.set_notes(file.read())
    inv.emit(found.info, f"Updated the notes of model {name}")


@click.group(cls=OrderedGroup, context_settings=CONTEXT_SETTINGS)
def metadata() -> None:
    """Add or remove keys of a model's metadata."""


model.add_command(metadata)


def _show_metadata(inv: Invocation, found: Model) -> None:
    inv.emit(found.info, lambda: tables.details([("Metadata", found.metadata)]))


@registry_command(metadata, "add")
@click.argument("name")
@click.argument("data", metavar="JSON", type=JSON_OBJECT)
def metadata_add(inv: Invocation, name: str, data: dict[str, Any]) -> None:
    """Merge top-level keys into a model's metadata.

    A key in JSON replaces the old value of that key whole:

    \b
      jupyter registry model metadata add mnist_cnn '{"metrics": {"acc": 0.97}}'
    """
    found = inv.registry.get_model(name)
    found.add_metadata(data)
    _show_metadata(inv, found)


@registry_command(metadata, "remove")
@click.argument("name")
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
def metadata_remove(inv: Invocation, name: str, keys: tuple[str, ...]) -> None:
    """Remove top-level keys from a model's metadata."""
    found = inv.registry.get_model(name)
    found.remove_metadata(list(keys))
    _show_metadata(inv, found)


@click.group(cls=OrderedGroup, context_settings=CONTEXT_SETTINGS)
def maintainers() -> None:
    """List, add or remove a model's maintainers."""


model.add_command(maintainers)


def _show_maintainers(inv: Invocation, found: Model, done: str = "") -> None:
    listed = ", ".join(found.maintainers) or "none"
    inv.emit({"maintainers": found.maintainers}, f"{done}Maintainers of {found.name}: {listed}")


@registry_command(maintainers, "list")
@click.argument("name")
def maintainers_list(inv: Invocation, name: str) -> None:
    """Show who maintains a model.

    The creator comes first, then the others in the order they were added.
    """
    _show_maintainers(inv, inv.registry.get_model(name))


def _maintainer_command(
    verb: str, summary: str, change: Callable[[Model, str], None], done: str
) -> None:
    """``maintainers add`` and ``maintainers remove``: one SDK call, then the new list."""

    @registry_command(
        maintainers, verb, help=f"{summary}\n\nOnly the model's maintainers and admins may."
    )
    @click.argument("name")
    @click.argument("user")
    def command(inv: Invocation, name: str, user: str) -> None:
        found = inv.registry.get_model(name)
        change(found, user)
        _show_maintainers(inv, found, f"{done} {user}. ")


_maintainer_command("add", "Make USER a maintainer of model NAME.", Model.add_maintainer, "Added")
_maintainer_command(
    "remove", "Remove USER from the maintainers of NAME.", Model.remove_maintainer, "Removed"
)
