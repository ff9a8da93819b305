"""One database transaction of the registry, with the queries the service needs.

:class:`SqlTransaction` is the only place that knows tables and SQL. The
service decides (what is allowed, which number comes next, where an alias
goes) and calls these methods inside one transaction that it opens with
:meth:`~jupyter_registry.store.sql.SqlStore.read` or ``write()``; they return
plain values and response schemas, never rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, exists, func, select, text, update
from sqlalchemy.exc import IntegrityError

from ..errors import ConflictError
from ..filters import Node, Order
from ..schemas import (
    CreateCheckpoint,
    CreateModel,
    DescribeAction,
    DescribeCheckpoint,
    DescribeModel,
    DescribeVersion,
    ListModelsQuery,
    ModelSortBy,
    OrderBy,
    RegisterVersion,
    VersionRef,
)
from . import filters, mappers
from . import statements as sql
from .orm import (
    ActionRow,
    BlobRow,
    CheckpointFileRow,
    CheckpointRow,
    LabelRow,
    ModelRow,
    VersionRow,
)
from .relations import RelationQueries
from .search_values import index_document
from .totals import Total, page_total

BLOB_LOCK_ID = 0x6A7262626C6F  # "jrbblo": gc vs checkpoint creation

_SORT_COLUMNS = {
    ModelSortBy.NAME: ModelRow.name,
    ModelSortBy.DESCRIPTION: ModelRow.description,
    ModelSortBy.CREATION_TIME: ModelRow.creation_time,
    ModelSortBy.LAST_UPDATED_TIME: ModelRow.last_updated_time,
}


class LockedModel(NamedTuple):
    """A model row held for the rest of a write transaction."""

    id: int
    name: str
    metadata: dict[str, Any]
    archived: bool


class LockedVersion(NamedTuple):
    id: int
    version: int
    metadata: dict[str, Any]


class Allocation(NamedTuple):
    """The next version number of a model, taken by bumping its counter."""

    model_id: int
    number: int
    archived: bool


def _like(text_: str) -> str:
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _model_filters(query: ListModelsQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.name:
        conditions.append(ModelRow.name.ilike(_like(query.name), escape="\\"))
    if query.description:
        conditions.append(ModelRow.description.ilike(_like(query.description), escape="\\"))
    for label in query.labels:
        conditions.append(exists().where(LabelRow.model_id == ModelRow.id, LabelRow.label == label))
    if query.archived is not None:
        conditions.append(ModelRow.archived.is_(query.archived))
    return conditions


def _model_order(query: ListModelsQuery) -> list[ColumnElement[Any]]:
    column = _SORT_COLUMNS[query.sort_by]
    ascending = query.order_by is OrderBy.ASC
    primary = column.asc() if ascending else column.desc()
    if query.sort_by is ModelSortBy.DESCRIPTION:
        # Only description can be null; saying where nulls go on the NOT NULL
        # columns would stop PostgreSQL from walking their indexes.
        primary = primary.nulls_first() if ascending else primary.nulls_last()
    order = [primary]
    if query.sort_by is not ModelSortBy.NAME:  # names are unique: no tie to break
        order.append(ModelRow.id.asc() if ascending else ModelRow.id.desc())
    return order


class SqlTransaction(RelationQueries):
    """The registry's queries, run on one connection inside one transaction."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    # --- models -------------------------------------------------------------

    def model_id(self, name: str) -> int | None:
        return self.db.execute(sql.MODEL_ID, {"name": name}).scalar()

    def insert_model(self, request: CreateModel, user: str | None, now: datetime) -> int:
        try:
            model_id: int = self.db.execute(
                sql.INSERT_MODEL,
                {
                    "name": request.name,
                    "description": request.description,
                    "metadata": request.metadata,
                    "notes": request.notes,
                    "archived": False,
                    "creation_time": now,
                    "last_updated_time": now,
                    "last_version": 0,
                    "created_by": user,
                    "updated_by": user,
                },
            ).scalar_one()
        except IntegrityError:  # another writer created it since model_id() said no
            raise ConflictError(f"a model named {request.name!r} already exists") from None
        self.add_labels(model_id, request.labels)
        index_document(self.db, "model", model_id, "metadata", request.metadata)
        return model_id

    def add_labels(self, model_id: int, labels: Iterable[str]) -> None:
        """Give a model (with none) its labels: the order given, duplicates dropped."""
        unique = dict.fromkeys(labels)
        if unique:
            rows = [
                {"model_id": model_id, "label": label, "position": i}
                for i, label in enumerate(unique)
            ]
            self.db.execute(sql.INSERT_LABEL, rows)

    def replace_labels(self, model_id: int, labels: Iterable[str]) -> None:
        self.db.execute(sql.DELETE_LABELS, {"model_id": model_id})
        self.add_labels(model_id, labels)

    def model(self, name: str) -> DescribeModel | None:
        rows = self.db.execute(sql.MODEL_BY_NAME, {"name": name}).all()
        return mappers.describe_models(self.db, rows)[0] if rows else None

    def model_by_id(self, model_id: int) -> DescribeModel:
        rows = self.db.execute(sql.MODEL_BY_ID, {"id": model_id}).all()
        return mappers.describe_models(self.db, rows)[0]

    def list_models(
        self, query: ListModelsQuery, where: Node | None = None
    ) -> tuple[list[DescribeModel], Total]:
        """One page of models and the number matching, filtered and sorted as asked;
        ``where`` is a parsed filter expression (``ListModelsQuery.filter``)."""
        conditions = _model_filters(query)
        if where is not None:
            conditions.append(filters.model_condition(where, self.db.dialect.name))
        order = _model_order(query)
        # Page the ids first, then compute the per-model columns for that page
        # only: PostgreSQL evaluates a select list's subqueries for the rows an
        # OFFSET skips too.
        page = (
            select(ModelRow.id)
            .where(*conditions)
            .order_by(*order)
            .offset(query.offset)
            .limit(query.limit)
            .subquery()
        )
        rows = self.db.execute(sql.MODELS.join(page, page.c.id == ModelRow.id).order_by(*order))
        models = mappers.describe_models(self.db, rows.all())
        matching = select(ModelRow.id).where(*conditions)
        return models, page_total(self.db, matching, query.offset, query.limit, len(models))

    def lock_model(self, name: str) -> LockedModel | None:
        row = self.db.execute(sql.MODEL_LOCKED, {"name": name}).first()
        return LockedModel(row.id, row.name, row.meta, row.archived) if row else None

    def update_model(
        self, model_id: int, fields: dict[str, Any], user: str | None, now: datetime
    ) -> None:
        """Set model columns (description, notes, archived) and who changed it, when."""
        self.db.execute(
            update(sql.MODELS_T)
            .where(sql.MODELS_T.c.id == model_id)
            .values(**fields, last_updated_time=now, updated_by=user)
        )

    def set_model_metadata(
        self, model_id: int, metadata: dict[str, Any], user: str | None, now: datetime
    ) -> None:
        params = {"model_id": model_id, "meta": metadata, "now": now, "user": user}
        self.db.execute(sql.SET_MODEL_METADATA, params)
        index_document(self.db, "model", model_id, "metadata", metadata)

    def touch_model(self, model_id: int, user: str | None, now: datetime) -> None:
        self.db.execute(sql.TOUCH_MODEL, {"model_id": model_id, "now": now, "user": user})

    def delete_model(self, model_id: int) -> None:
        self.db.execute(sql.DELETE_MODEL, {"model_id": model_id})

    def rename_model(
        self, model_id: int, old: str, new: str, user: str | None, now: datetime
    ) -> None:
        """Give a model a new name; its history (kept by name) follows it."""
        try:
            self.update_model(model_id, {"name": new}, user, now)
        except IntegrityError:  # another writer took the name since model_id() said no
            raise ConflictError(f"a model named {new!r} already exists") from None
        actions = ActionRow.__table__
        self.db.execute(update(actions).where(actions.c.model_name == old).values(model_name=new))
        self.rename_bases(model_id, old, new)

    def maintainers(self, model_id: int) -> list[str]:
        """The model's maintainers, in the order they became maintainers."""
        return [user for _, user in self.db.execute(sql.MAINTAINERS_OF, {"ids": [model_id]})]

    def add_maintainer(self, model_id: int, user: str, by: str | None, now: datetime) -> None:
        params = {"model_id": model_id, "username": user, "creation_time": now, "created_by": by}
        self.db.execute(sql.INSERT_MAINTAINER, params)

    def remove_maintainer(self, model_id: int, user: str) -> bool:
        """Whether ``user`` was a maintainer of the model (and now is not)."""
        removed = self.db.execute(sql.DELETE_MAINTAINER, {"model_id": model_id, "username": user})
        return bool(removed.rowcount)

    # --- versions -------------------------------------------------------------

    def allocate_version(
        self, model_name: str, user: str | None, now: datetime
    ) -> Allocation | None:
        """Bump the model's version counter (row-locking it) and return the new number."""
        params = {"model_name": model_name, "now": now, "user": user}
        row = self.db.execute(sql.ALLOCATE_VERSION, params).one_or_none()
        return Allocation(*row) if row else None

    def insert_version(
        self,
        model_id: int,
        number: int,
        checkpoint_id: int,
        request: RegisterVersion,
        user: str | None,
        now: datetime,
    ) -> int:
        version_id: int = self.db.execute(
            sql.INSERT_VERSION,
            {
                "model_id": model_id,
                "version": number,
                "checkpoint_id": checkpoint_id,
                "name": request.name,
                "comment": request.comment,
                "metadata": request.metadata,
                "notes": "",
                "creation_time": now,
                "created_by": user,
                "updated_by": user,
            },
        ).scalar_one()
        index_document(self.db, "version", version_id, "metadata", request.metadata)
        return version_id

    def version(self, model_name: str, ref: VersionRef) -> DescribeVersion | None:
        """The version ``ref`` names: by alias, by number, or the latest."""
        if ref.alias is not None:
            stmt, params = sql.BY_ALIAS, {"model": model_name, "alias": ref.alias}
        elif ref.number is not None:
            stmt, params = sql.BY_NUMBER, {"model": model_name, "number": ref.number}
        else:
            stmt, params = sql.LATEST, {"model": model_name}
        rows = self.db.execute(stmt, params).all()
        return mappers.describe_versions(self.db, rows, model_name)[0] if rows else None

    def version_by_id(self, version_id: int, model_name: str) -> DescribeVersion:
        rows = self.db.execute(sql.VERSION_BY_ID, {"id": version_id}).all()
        return mappers.describe_versions(self.db, rows, model_name)[0]

    def list_versions(
        self, model_id: int, model_name: str, offset: int, limit: int | None
    ) -> tuple[list[DescribeVersion], Total]:
        """A page of the model's versions, newest first, and how many it has."""
        condition = VersionRow.model_id == model_id
        rows = self.db.execute(
            sql.VERSIONS.where(condition)
            .order_by(VersionRow.version.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        versions = mappers.describe_versions(self.db, rows, model_name)
        matching = select(VersionRow.id).where(condition)
        return versions, page_total(self.db, matching, offset, limit, len(versions))

    def search_versions(
        self, where: Node | None, order: Order | None, offset: int, limit: int | None
    ) -> tuple[list[DescribeVersion], int]:
        """A page of the versions of all models matching a parsed filter, and how many match."""
        return filters.search_versions(self.db, where, order, offset, limit)

    def lock_version(self, model_id: int, ref: VersionRef) -> LockedVersion | None:
        if ref.alias is not None:
            stmt, params = sql.VERSION_BY_ALIAS_LOCKED, {"model_id": model_id, "alias": ref.alias}
        elif ref.number is not None:
            stmt = sql.VERSION_BY_NUMBER_LOCKED
            params = {"model_id": model_id, "number": ref.number}
        else:
            stmt, params = sql.LATEST_VERSION_LOCKED, {"model_id": model_id}
        row = self.db.execute(stmt, params).first()
        return LockedVersion(row.id, row.version, row.meta) if row else None

    def update_version(self, version_id: int, fields: dict[str, Any], user: str | None) -> None:
        """Set version columns (name, comment, notes) and who changed it."""
        self.db.execute(
            update(sql.VERSIONS_T)
            .where(sql.VERSIONS_T.c.id == version_id)
            .values(**fields, updated_by=user)
        )

    def set_version_metadata(
        self, version_id: int, metadata: dict[str, Any], user: str | None
    ) -> None:
        params = {"version_id": version_id, "meta": metadata, "user": user}
        self.db.execute(sql.SET_VERSION_METADATA, params)
        index_document(self.db, "version", version_id, "metadata", metadata)

    def delete_version(self, version_id: int) -> None:
        self.db.execute(sql.DELETE_VERSION, {"version_id": version_id})

    def set_alias(self, model_id: int, alias: str, version_id: int) -> None:
        """Point ``alias`` at a version, taking it from any other version of the model."""
        params = {"model_id": model_id, "alias": alias, "version_id": version_id}
        self.db.execute(sql.DELETE_ALIAS, params)
        self.db.execute(sql.INSERT_ALIAS, params)

    def remove_alias(self, model_id: int, alias: str) -> bool:
        """Whether the model had the alias (and now has not)."""
        removed = self.db.execute(sql.DELETE_ALIAS, {"model_id": model_id, "alias": alias})
        return bool(removed.rowcount)

    # --- history --------------------------------------------------------------

    def add_action(
        self,
        model_name: str,
        action: str,
        user: str | None,
        now: datetime,
        version: int | None = None,
        alias: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.db.execute(
            sql.INSERT_ACTION,
            {
                "model_name": model_name,
                "action": action,
                "version": version,
                "alias": alias,
                "user": user,
                "time": now,
                "details": details or {},
            },
        )

    def list_actions(
        self, model_name: str, offset: int, limit: int | None
    ) -> tuple[list[DescribeAction], int]:
        """A page of a model's history, oldest first, and its length."""
        condition = ActionRow.model_name == model_name
        total = self.db.scalar(select(func.count(ActionRow.id)).where(condition)) or 0
        stmt = select(ActionRow.__table__).where(condition).order_by(ActionRow.id)
        rows = self.db.execute(stmt.offset(offset).limit(limit)).all()
        return [mappers.describe_action(row) for row in rows], total

    def last_action_id(self) -> int:
        """The id of the newest history entry of any model (0 for none)."""
        return self.db.scalar(select(func.max(ActionRow.id))) or 0

    def actions_after(self, action_id: int, limit: int) -> list[tuple[int, DescribeAction]]:
        """History entries of every model newer than ``action_id``, oldest first, with ids."""
        stmt = select(ActionRow.__table__).where(ActionRow.id > action_id).order_by(ActionRow.id)
        rows = self.db.execute(stmt.limit(limit)).all()
        return [(row.id, mappers.describe_action(row)) for row in rows]

    # --- checkpoints and blobs -------------------------------------------------

    def hold_blobs(self, exclusive: bool) -> None:
        """Order checkpoint creation (shared) against garbage collection (exclusive).

        Without it, on PostgreSQL, gc could delete an old unreferenced blob in
        the moment a new checkpoint with the same content finds it in the store
        and references it. Held to the end of the transaction. SQLite needs
        nothing: its write transactions already run one at a time.
        """
        if self.db.dialect.name == "postgresql":
            lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            self.db.execute(text(f"SELECT {lock}(:id)"), {"id": BLOB_LOCK_ID})

    def blob_sizes(self, shas: Iterable[str]) -> dict[str, int]:
        """The recorded size of each blob a checkpoint already references."""
        wanted = list(shas)
        if not wanted:
            return {}
        return dict(self.db.execute(sql.BLOB_SIZES, {"shas": wanted}).tuples().all())

    def blob_size(self, sha256: str) -> int | None:
        return self.db.execute(sql.BLOB_SIZE, {"sha256": sha256}).scalar()

    def add_blob(self, sha256: str, size: int, now: datetime) -> None:
        self.db.execute(sql.INSERT_BLOB, {"sha256": sha256, "size": size, "creation_time": now})

    def insert_checkpoint(
        self, uuid: str, request: CreateCheckpoint, user: str | None, now: datetime
    ) -> int:
        """A checkpoint row and its file entries (directories as paths ending in ``/``)."""
        checkpoint_id: int = self.db.execute(
            sql.INSERT_CHECKPOINT,
            {
                "uuid": uuid,
                "run": request.run,
                "framework": request.framework,
                "format": request.format,
                "entrypoint": request.entrypoint,
                "hparams": request.hparams,
                "metrics": request.metrics,
                "metadata": request.metadata,
                "source": request.source,
                "creation_time": now,
                "created_by": user,
            },
        ).scalar_one()
        entries = [
            {"checkpoint_id": checkpoint_id, "path": f.path, "sha256": f.sha256, "size": f.size}
            for f in request.files
        ] + [
            {
                "checkpoint_id": checkpoint_id,
                "path": d if d.endswith("/") else f"{d}/",
                "sha256": None,
                "size": 0,
            }
            for d in request.directories
        ]
        if entries:
            self.db.execute(sql.INSERT_FILES, entries)
        for field in ("metrics", "hparams"):  # what the filter language searches
            index_document(self.db, "checkpoint", checkpoint_id, field, getattr(request, field))
        return checkpoint_id

    def checkpoint_id(self, uuid: str) -> int | None:
        return self.db.execute(sql.CHECKPOINT_ID, {"uuid": uuid}).scalar()

    def checkpoint(self, uuid: str) -> DescribeCheckpoint | None:
        rows = self.db.execute(sql.CHECKPOINT_BY_UUID, {"uuid": uuid}).all()
        return mappers.describe_checkpoints(self.db, rows)[0] if rows else None

    def checkpoint_by_id(self, checkpoint_id: int) -> DescribeCheckpoint:
        rows = self.db.execute(sql.CHECKPOINT_BY_ID, {"id": checkpoint_id}).all()
        return mappers.describe_checkpoints(self.db, rows)[0]

    def list_checkpoints(self, run: str | None, limit: int | None) -> list[DescribeCheckpoint]:
        """Newest first; a run's checkpoints in the order they were saved."""
        if run is not None:
            stmt = sql.CHECKPOINTS.where(CheckpointRow.run == run).order_by(CheckpointRow.id.asc())
        else:
            stmt = sql.CHECKPOINTS.order_by(CheckpointRow.id.desc())
        return mappers.describe_checkpoints(self.db, self.db.execute(stmt.limit(limit)).all())

    def checkpoint_versions(self, checkpoint_id: int) -> list[tuple[str, int]]:
        """``(model name, version)`` of every version pointing at the checkpoint."""
        rows = self.db.execute(sql.CHECKPOINT_USERS, {"id": checkpoint_id})
        return [(name, number) for name, number in rows]

    def delete_checkpoint(self, checkpoint_id: int) -> None:
        self.db.execute(sql.DELETE_CHECKPOINT, {"id": checkpoint_id})

    def forget_unreferenced_blobs(self) -> None:
        """Drop the records of blobs no checkpoint file references."""
        orphans = select(BlobRow.sha256).where(
            ~exists().where(CheckpointFileRow.sha256 == BlobRow.sha256)
        )
        shas = list(self.db.scalars(orphans))
        if shas:
            self.db.execute(BlobRow.__table__.delete().where(BlobRow.sha256.in_(shas)))

    def referenced_blobs(self) -> set[str]:
        stmt = select(CheckpointFileRow.sha256).where(CheckpointFileRow.sha256.is_not(None))
        return set(self.db.scalars(stmt.distinct()))
