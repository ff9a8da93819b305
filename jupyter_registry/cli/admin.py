"""``jupyter registry db upgrade`` and ``gc``: maintenance of an embedded store."""

from __future__ import annotations

import click

from .app import CONTEXT_SETTINGS, Invocation, OrderedGroup, registry_command


@click.group(cls=OrderedGroup, context_settings=CONTEXT_SETTINGS)
def db() -> None:
    """Manage the database schema."""


@registry_command(db, "upgrade")
def upgrade(inv: Invocation) -> None:
    """Upgrade the database schema, keeping all data.

    Brings the schema to the revision this jupyter_registry needs.
    """
    revision = inv.registry.migrate()
    inv.emit({"revision": revision}, f"Database schema at revision {revision}")


@registry_command(None, "gc")
def gc(inv: Invocation) -> None:
    """Delete stored files no checkpoint uses.

    Files younger than an hour are kept: an upload may still be under way.
    """
    deleted = inv.registry.gc()
    inv.emit({"deleted": deleted}, f"Deleted {len(deleted)} unused blob(s)")
