"""The lineage queries: which versions a version was made from, and which were made from it.

:class:`RelationQueries` is part of :class:`~.transaction.SqlTransaction`
(a mixin, so the relation SQL lives apart from the rest); the service walks
the graph with :meth:`~RelationQueries.edges_up` and
:meth:`~RelationQueries.edges_down`, one query per level for a whole level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, delete, insert, or_, select, text, update

from ..schemas import DescribeVersion, Relation, VersionRef
from . import mappers
from . import statements as sql
from .orm import AliasRow, ModelRow, RelationRow, VersionRow

RELATIONS_T = RelationRow.__table__
LINEAGE_LOCK_ID = 0x6A726C696E65  # "jrline": changes of existing versions' bases, one at a time

_KEY = select(VersionRow.id, ModelRow.name, VersionRow.version).join(
    ModelRow, ModelRow.id == VersionRow.model_id
)
_KEY_OF_MODEL = _KEY.where(ModelRow.name == bindparam("model"))
KEY_BY_NUMBER = _KEY_OF_MODEL.where(VersionRow.version == bindparam("number"))
KEY_BY_ALIAS = _KEY_OF_MODEL.join(AliasRow, AliasRow.version_id == VersionRow.id).where(
    AliasRow.alias == bindparam("alias")
)
KEY_LATEST = _KEY_OF_MODEL.order_by(VersionRow.version.desc()).limit(1)
# A base being recorded is held (FOR KEY SHARE on PostgreSQL) so that a concurrent delete
# waits for the registration, or wins first and the base is simply not found.
HELD = {
    stmt: stmt.with_for_update(of=VersionRow, read=True, key_share=True)
    for stmt in (KEY_BY_NUMBER, KEY_BY_ALIAS, KEY_LATEST)
}
_EDGES = select(
    RelationRow.version_id,
    RelationRow.base_id,
    RelationRow.base_model,
    RelationRow.base_version,
    RelationRow.relation,
).order_by(RelationRow.version_id, RelationRow.position)
EDGES_UP = _EDGES.where(RelationRow.version_id.in_(bindparam("ids", expanding=True)))
EDGES_DOWN = _EDGES.where(RelationRow.base_id.in_(bindparam("ids", expanding=True)))
VERSIONS_BY_IDS = (
    sql.VERSIONS.add_columns(ModelRow.name.label("model_name"))
    .join(ModelRow, ModelRow.id == VersionRow.model_id)
    .where(VersionRow.id.in_(bindparam("ids", expanding=True)))
)
DELETE_RELATIONS = delete(RELATIONS_T).where(RELATIONS_T.c.version_id == bindparam("version_id"))
INSERT_RELATIONS = insert(RELATIONS_T)


class VersionKey(NamedTuple):
    """A version's row id and its name as a user writes it (``model:version``)."""

    id: int
    model_name: str
    version: int

    @property
    def node(self) -> str:
        return f"{self.model_name}:{self.version}"


class Edge(NamedTuple):
    """``version_id`` was made from ``base_id`` (None: that base was deleted)."""

    version_id: int
    base_id: int | None
    base_model: str
    base_version: int
    relation: Relation

    @property
    def base_node(self) -> str:
        return f"{self.base_model}:{self.base_version}"


def _edges(db: Connection, statement: object, ids: Iterable[int]) -> list[Edge]:
    wanted = list(ids)
    if not wanted:
        return []
    rows = db.execute(statement, {"ids": wanted})  # type: ignore[call-overload]
    return [Edge(r[0], r[1], r[2], r[3], Relation(r[4])) for r in rows]


class RelationQueries:
    """Lineage reads and writes on the transaction's connection."""

    db: Connection

    def version_key(
        self, model_name: str, ref: VersionRef, hold: bool = False
    ) -> VersionKey | None:
        """The version ``ref`` names (by alias, number, or the newest), as a key;
        ``hold`` keeps it from being deleted until the transaction ends."""
        if ref.alias is not None:
            stmt, params = KEY_BY_ALIAS, {"model": model_name, "alias": ref.alias}
        elif ref.number is not None:
            stmt, params = KEY_BY_NUMBER, {"model": model_name, "number": ref.number}
        else:
            stmt, params = KEY_LATEST, {"model": model_name}
        if hold:
            stmt = HELD[stmt]
        row = self.db.execute(stmt, params).first()
        return VersionKey(*row) if row else None

    def set_bases(self, version_id: int, bases: Sequence[tuple[VersionKey, Relation]]) -> None:
        """Replace the version's bases with ``bases``, in that order."""
        self.db.execute(DELETE_RELATIONS, {"version_id": version_id})
        rows = [
            {
                "version_id": version_id,
                "position": position,
                "base_id": key.id,
                "base_model": key.model_name,
                "base_version": key.version,
                "relation": relation.value,
            }
            for position, (key, relation) in enumerate(bases)
        ]
        if rows:
            self.db.execute(INSERT_RELATIONS, rows)

    def edges_up(self, version_ids: Iterable[int]) -> list[Edge]:
        """The bases of these versions, deleted ones included."""
        return _edges(self.db, EDGES_UP, version_ids)

    def edges_down(self, version_ids: Iterable[int]) -> list[Edge]:
        """The relations that name one of these versions as base."""
        return _edges(self.db, EDGES_DOWN, version_ids)

    def versions_by_ids(self, version_ids: Iterable[int]) -> dict[int, DescribeVersion]:
        """Versions of any models, by row id (ids of deleted versions are left out)."""
        wanted = list(version_ids)
        if not wanted:
            return {}
        rows = self.db.execute(VERSIONS_BY_IDS, {"ids": wanted}).all()
        described = mappers.describe_versions(self.db, rows, None)
        return {row.id: version for row, version in zip(rows, described, strict=True)}

    def rename_bases(self, model_id: int, old: str, new: str) -> None:
        """Keep the names relations give a renamed model's versions (deleted ones too)."""
        of_model = select(VersionRow.id).where(VersionRow.model_id == model_id)
        self.db.execute(
            update(RELATIONS_T)
            .where(
                or_(
                    RELATIONS_T.c.base_id.in_(of_model),
                    RELATIONS_T.c.base_id.is_(None) & (RELATIONS_T.c.base_model == old),
                )
            )
            .values(base_model=new)
        )

    def hold_lineage(self) -> None:
        """Change existing versions' bases one transaction at a time (PostgreSQL).

        Two concurrent changes could each pass the cycle check and close a
        cycle together; SQLite's write transactions already run one at a time.
        """
        if self.db.dialect.name == "postgresql":
            self.db.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LINEAGE_LOCK_ID})
