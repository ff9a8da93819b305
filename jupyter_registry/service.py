"""RegistryService: the one API that validates, orchestrates and decides.

Every adapter (local client, REST handlers, CLI, magics, widgets) calls these
methods with the typed requests of :mod:`jupyter_registry.schemas` and gets
typed responses back. The service never builds SQL: each method opens one
transaction of the :class:`~jupyter_registry.store.Store`, asks it for what it
needs in the registry's own terms, and decides — whether a name is taken,
which number a version gets, where an alias goes, whether an archived model
may change — then records the change in the model's history and, once
committed, tells the listeners.

Version numbers come from a per-model counter bumped inside the registration
transaction (a row lock on PostgreSQL; SQLite's write transactions run one at
a time). The counter is never decremented, so numbers are never reused.

Every write asks the :class:`~jupyter_registry.policy.Policy` first, inside its
transaction and before changing anything (SPEC §7): read-only users are
refused, and archiving, deleting, managing maintainers and moving protected
aliases need a maintainer of the model or an admin. The acting user comes
from one place, :meth:`RegistryService._user`.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import time
import uuid as uuid_lib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, BinaryIO

from . import graph
from .artifacts import BlobStore, DirectSettings, open_blob_store
from .artifacts.s3_store import offered
from .artifacts.safetensors_header import read_safetensors_header
from .artifacts.uploads import UploadSessions
from .cards import check_card
from .compare import compare_versions
from .config import RegistryConfig
from .errors import ConflictError, IntegrityError, NotFoundError, ValidationError
from .filters import given, parse_filter, parse_order
from .policy import Policy
from .schemas import (
    DEFAULT_COMPARED,
    MAX_LINEAGE_NODES,
    AliasName,
    BaseRef,
    BlobInfo,
    BundleVersion,
    ChangesQuery,
    CheckName,
    CheckUser,
    ChunkInfo,
    CollectGarbage,
    CommitUpload,
    CompareQuery,
    CompleteDirectUpload,
    CreateCheckpoint,
    CreatedBundle,
    CreateModel,
    DescribeCheckpoint,
    DescribeComparison,
    DescribeIdentity,
    DescribeLineage,
    DescribeModel,
    DescribeTensors,
    DescribeVersion,
    DirectTransfer,
    GarbageCollected,
    LineageQuery,
    ListActionsResponse,
    ListChangesResponse,
    ListCheckpointsResponse,
    Listener,
    ListMaintainersResponse,
    ListModelsQuery,
    ListModelsResponse,
    ListVersionsResponse,
    PatchMetadata,
    PresignedDownload,
    PresignedUpload,
    PresignUpload,
    RegisterVersion,
    Relation,
    SchemaRevision,
    SearchVersionsQuery,
    SetAlias,
    SetBases,
    StartUpload,
    UpdateModel,
    UpdateVersion,
    UploadStatus,
    VersionRef,
    check_alias,
    check_metadata,
    parse,
    parse_version_ref,
    split_model_ref,
)
from .store import LockedModel, LockedVersion, SqlStore, Store, Transaction
from .store.relations import Edge, VersionKey

Change = tuple[str, dict[str, Any]]
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _merge(current: dict[str, Any], patch: PatchMetadata) -> dict[str, Any]:
    """Top-level merge: a key in ``add`` replaces the old value whole; then removals."""
    merged = {**current, **patch.add}
    for key in patch.remove:
        merged.pop(key, None)
    try:
        return check_metadata(merged)
    except ValueError as exc:
        raise ValidationError(f"metadata: {exc}") from None


def _as_ref(ref: VersionRef | int | str | None) -> VersionRef:
    return ref if isinstance(ref, VersionRef) else parse_version_ref(ref)


def _no_version(model_name: str, ref: VersionRef) -> NotFoundError:
    if ref.alias is not None:
        return NotFoundError(f"model {model_name!r} has no alias {ref.alias!r}")
    if ref.number is not None:
        return NotFoundError(f"model {model_name!r} has no version {ref.number}")
    return NotFoundError(f"model {model_name!r} has no versions")


def _no_model(name: str) -> NotFoundError:
    return NotFoundError(f"no model named {name!r}")


def _no_checkpoint(checkpoint_uuid: str) -> NotFoundError:
    return NotFoundError(f"no checkpoint with uuid {checkpoint_uuid!r}")


def _saved_notes(fields: dict[str, Any]) -> dict[str, Any]:
    """The history's copy of a notes text being saved, so each revision can be read back."""
    return {"notes": fields["notes"]} if "notes" in fields else {}


def _check_page(offset: int, limit: int | None) -> None:
    if offset < 0 or (limit is not None and limit < 1):
        raise ValidationError("offset must be >= 0 and limit >= 1")


class RegistryService:
    """Models, versions, aliases and checkpoints over one store and one blob store."""

    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        policy: Policy | None = None,
        user: str | None = None,
        direct: DirectSettings | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        #: Presigned transfers, when configured; only an S3 blob store can make them.
        self.direct = direct
        self.uploads = UploadSessions(blobs)
        self.policy = policy if policy is not None else Policy.from_config(RegistryConfig())
        self.listeners: list[Listener] = []
        #: Who makes this service's calls: a server's requester (see :meth:`acting_as`),
        #: else, in history, the operating-system user.
        self.user = user

    @classmethod
    def from_config(
        cls,
        config: RegistryConfig | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> RegistryService:
        """The service over ``config``'s locations; ``storage_options`` (a dict, which may
        hold objects JSON cannot carry) replaces the configured JSON string."""
        config = config or RegistryConfig()
        options = config.storage_options if storage_options is None else storage_options
        blobs = open_blob_store(config.artifacts, options)
        direct = (
            DirectSettings(config.direct_part_bytes, config.direct_transfer_expiry)
            if config.direct_transfer
            else None
        )
        return cls(SqlStore(config.database), blobs, Policy.from_config(config), direct=direct)

    def acting_as(self, user: str | None) -> RegistryService:
        """This service with ``user`` as the actor of its calls: a server makes one per request.

        The copy shares the store, the blob store and the listeners, so it
        costs one small object, and the requester travels with the call
        explicitly instead of through process-wide state.
        """
        view = copy.copy(self)
        view.user = user
        return view

    def _user(self) -> str | None:
        """Who makes the current call: the server's Jupyter user, else the configured default."""
        return self.user or self.policy.default_user

    def get_identity(self) -> DescribeIdentity:
        """The caller's name and role, and the protected aliases and trusted users."""
        return self.policy.identity(self._user())

    def check_writer(self, action: str) -> None:
        """Refuse a read-only caller before a write starts (an upload's first byte)."""
        self.policy.check_writer(self._user(), action)

    def _check_maintainer(
        self, tx: Transaction, model: LockedModel, user: str | None, action: str
    ) -> None:
        self.policy.check_maintainer(user, model.name, tx.maintainers(model.id), action)

    def _check_alias(
        self, tx: Transaction, model: LockedModel, user: str | None, alias: str, action: str
    ) -> None:
        maintainers = tx.maintainers(model.id) if self.policy.is_protected(alias) else ()
        self.policy.check_alias(user, model.name, maintainers, alias, action)

    def close(self) -> None:
        """Release the database connections; the service is not used afterwards."""
        self.store.close()
        self.blobs.close()

    def _emit(self, *changes: Change) -> None:
        """Tell listeners about committed changes; one failing listener fails nothing else.

        The changes are already committed, so raising here would report a
        success as an error (and a retry would, say, register a version twice).
        """
        for event, change in changes:
            payload = {**change, "user": self.user}
            for listener in self.listeners:
                try:
                    listener(event, payload)
                except Exception:
                    log.exception("registry: a listener failed on %s %s", event, payload)

    @staticmethod
    def _record(
        tx: Transaction,
        event: str,
        payload: dict[str, Any],
        user: str | None,
        kept: dict[str, Any] | None = None,
    ) -> Change:
        """Add a model action to the history in the caller's transaction; emit it after commit.

        ``kept`` goes into the history only, not to listeners: a saved notes
        text (a model card's revision) is read back from there, but is too
        large to send with every event.
        """
        details = {k: v for k, v in payload.items() if k not in ("model", "version", "alias")}
        details.update(kept or {})
        tx.add_action(
            payload["model"],
            event,
            user,
            _now(),
            version=payload.get("version"),
            alias=payload.get("alias"),
            details=details,
        )
        return event, payload

    @staticmethod
    def _locked_model(tx: Transaction, name: str) -> LockedModel:
        model = tx.lock_model(name)
        if model is None:
            raise _no_model(name)
        return model

    @staticmethod
    def _locked_version(tx: Transaction, model: LockedModel, ref: VersionRef) -> LockedVersion:
        version = tx.lock_version(model.id, ref)
        if version is None:
            raise _no_version(model.name, ref)
        return version

    # --- models -----------------------------------------------------------

    def create_model(self, request: CreateModel) -> DescribeModel:
        """A new model whose creator is its first maintainer."""
        user = self._user()
        self.policy.check_writer(user, f"create model {request.name!r}")
        check_card(request.notes)
        with self.store.write() as tx:
            if tx.model_id(request.name) is not None:
                raise ConflictError(f"a model named {request.name!r} already exists")
            model_id = tx.insert_model(request, user, _now())
            if user is not None:
                tx.add_maintainer(model_id, user, user, _now())
            model = tx.model_by_id(model_id)
            kept = {"notes": request.notes} if request.notes else None
            change = self._record(tx, "model.created", {"model": model.name}, user, kept)
        self._emit(change)
        return model

    def get_model(self, name: str) -> DescribeModel:
        with self.store.read() as tx:
            model = tx.model(name)
        if model is None:
            raise _no_model(name)
        return model

    def list_models(self, query: ListModelsQuery) -> ListModelsResponse:
        """A page of models; ``query.filter`` is parsed first, so a bad one changes nothing."""
        where = parse_filter(query.filter, "models") if given(query.filter) else None
        with self.store.read() as tx:
            models, total = tx.list_models(query, where)
        return ListModelsResponse(
            models=models, total=total.count, total_is_estimate=total.is_estimate
        )

    def update_model(self, name: str, request: UpdateModel) -> DescribeModel:
        changes = request.model_dump(exclude_unset=True)
        # description may be cleared with null; notes and archived are never
        # null, so an explicit null leaves them alone
        fields = {
            field: changes[field]
            for field in ("description", "notes", "archived")
            if field in changes and (changes[field] is not None or field == "description")
        }
        user = self._user()
        self.policy.check_writer(user, f"change model {name!r}")
        check_card(fields.get("notes", ""))
        with self.store.write() as tx:
            model = self._locked_model(tx, name)
            if fields.get("archived", model.archived) != model.archived:
                verb = "archive" if fields["archived"] else "unarchive"
                self._check_maintainer(tx, model, user, f"{verb} model {name!r}")
            tx.update_model(model.id, fields, user, _now())
            if request.labels is not None:
                tx.replace_labels(model.id, request.labels)
            payload = {"model": name, "fields": sorted(changes)}
            change = self._record(tx, "model.updated", payload, user, _saved_notes(fields))
            described = tx.model_by_id(model.id)
        self._emit(change)
        return described

    def patch_model_metadata(self, name: str, patch: PatchMetadata) -> DescribeModel:
        """Merge/remove top-level keys in one transaction holding the model's row lock."""
        user = self._user()
        self.policy.check_writer(user, f"change the metadata of model {name!r}")
        with self.store.write() as tx:
            model = self._locked_model(tx, name)
            tx.set_model_metadata(model.id, _merge(model.metadata, patch), user, _now())
            payload = {"model": name, "fields": ["metadata"]}
            change = self._record(tx, "model.updated", payload, user)
            described = tx.model_by_id(model.id)
        self._emit(change)
        return described

    def delete_model(self, name: str) -> None:
        user = self._user()
        with self.store.write() as tx:
            model = self._locked_model(tx, name)
            self._check_maintainer(tx, model, user, f"delete model {name!r}")
            tx.delete_model(model.id)
            change = self._record(tx, "model.deleted", {"model": name}, user)
        self._emit(change)

    def rename_model(self, name: str, new_name: str) -> DescribeModel:
        """Give a model a new name (maintainers and admins: references by name change).

        Its versions, aliases, maintainers and history stay with it.
        """
        new_name = validate_model_name(new_name)
        user = self._user()
        with self.store.write() as tx:
            model = self._locked_model(tx, name)
            self._check_maintainer(tx, model, user, f"rename model {name!r}")
            if new_name == name:
                return tx.model_by_id(model.id)
            if tx.model_id(new_name) is not None:
                raise ConflictError(f"a model named {new_name!r} already exists")
            tx.rename_model(model.id, name, new_name, user, _now())
            change = self._record(tx, "model.renamed", {"model": new_name, "from": name}, user)
            described = tx.model_by_id(model.id)
        self._emit(change)
        return described

    # --- maintainers ------------------------------------------------------

    def list_maintainers(self, name: str) -> ListMaintainersResponse:
        return ListMaintainersResponse(maintainers=self.get_model(name).maintainers)

    def add_maintainer(self, name: str, user_name: str) -> ListMaintainersResponse:
        """Make ``user_name`` a maintainer (already one: nothing changes)."""
        user_name = parse(CheckUser, {"user": user_name}).user
        user = self._user()
        with self.store.write() as tx:
            model = self._locked_model(tx, name)
            self._check_maintainer(tx, model, user, f"add maintainers to model {name!r}")
            maintainers = tx.maintainers(model.id)
            if user_name in maintainers:
                return ListMaintainersResponse(maintainers=maintainers)
            tx.add_maintainer(model.id, user_name, user, _now())
            tx.touch_model(model.id, user, _now())
            payload = {"model": name, "maintainer": user_name}
            change = self._record(tx, "maintainer.added", payload, user)
            maintainers = tx.maintainers(model.id)
        self._emit(change)
        return ListMaintainersResponse(maintainers=maintainers)

    def remove_maintainer(self, name: str, user_name: str) -> None:
        user_name = parse(CheckUser, {"user": user_name}).user
        user = self._user()
        with self.store.write() as tx:
            model = self._locked_model(tx, name)
            self._check_maintainer(tx, model, user, f"remove maintainers of model {name!r}")
            if not tx.remove_maintainer(model.id, user_name):
                raise NotFoundError(f"{user_name!r} is not a maintainer of model {name!r}")
            tx.touch_model(model.id, user, _now())
            payload = {"model": name, "maintainer": user_name}
            change = self._record(tx, "maintainer.removed", payload, user)
        self._emit(change)

    # --- versions ---------------------------------------------------------

    def register_version(self, model_name: str, request: RegisterVersion) -> DescribeVersion:
        """Give a checkpoint the model's next version number, in one transaction."""
        user = self._user()
        self.policy.check_writer(user, f"register versions of model {model_name!r}")
        with self.store.write() as tx:
            version, changes = self._register(tx, model_name, request, user)
        self._emit(*changes)
        return version

    def _register(
        self, tx: Transaction, model_name: str, request: RegisterVersion, user: str | None
    ) -> tuple[DescribeVersion, list[Change]]:
        """Register inside ``tx``: the new version and the changes to announce after commit."""
        protected = [a for a in request.aliases if self.policy.is_protected(a)]
        if protected:
            model = self._locked_model(tx, model_name)
            self._check_alias(tx, model, user, protected[0], "set")
        allocated = tx.allocate_version(model_name, user, _now())
        if allocated is None:
            raise _no_model(model_name)
        if allocated.archived:
            raise ConflictError(
                f"model {model_name!r} is archived; unarchive it to register versions"
            )
        checkpoint_id = tx.checkpoint_id(request.checkpoint_uuid)
        if checkpoint_id is None:
            raise _no_checkpoint(request.checkpoint_uuid)
        bases = self._resolve_bases(tx, request.bases)
        number = allocated.number
        version_id = tx.insert_version(
            allocated.model_id, number, checkpoint_id, request, user, _now()
        )
        tx.set_bases(version_id, bases)
        registered = {"model": model_name, "version": number}
        payload = {**registered, "checkpoint": request.checkpoint_uuid}
        changes = [self._record(tx, "version.registered", payload, user)]
        for alias in dict.fromkeys(request.aliases):
            tx.set_alias(allocated.model_id, alias, version_id)
            changes.append(self._record(tx, "alias.set", {**registered, "alias": alias}, user))
        return tx.version_by_id(version_id, model_name), changes

    def get_version(
        self, model_name: str, ref: VersionRef | int | str | None = None
    ) -> DescribeVersion:
        version_ref = _as_ref(ref)
        with self.store.read() as tx:
            version = tx.version(model_name, version_ref)
            # Only when nothing was found, look the model up on its own to say what was missing.
            if version is None and tx.model_id(model_name) is None:
                raise _no_model(model_name)
        if version is None:
            raise _no_version(model_name, version_ref)
        return version

    def list_versions(
        self, model_name: str, offset: int = 0, limit: int | None = None
    ) -> ListVersionsResponse:
        """Versions newest first."""
        _check_page(offset, limit)
        with self.store.read() as tx:
            model_id = tx.model_id(model_name)
            if model_id is None:
                raise _no_model(model_name)
            versions, total = tx.list_versions(model_id, model_name, offset, limit)
        return ListVersionsResponse(
            versions=versions, total=total.count, total_is_estimate=total.is_estimate
        )

    def compare_versions(self, model_name: str, query: CompareQuery) -> DescribeComparison:
        """Versions side by side (:mod:`.compare`), read in one transaction.

        Named versions are the columns in the order given; none named means
        the newest :data:`~.schemas.DEFAULT_COMPARED`, oldest first.
        """
        refs = [parse_version_ref(ref) for ref in query.versions]
        with self.store.read() as tx:
            model_id = tx.model_id(model_name)
            if model_id is None:
                raise _no_model(model_name)
            if not refs:
                newest, _ = tx.list_versions(model_id, model_name, 0, DEFAULT_COMPARED)
                versions = newest[::-1]
            else:
                found = [(ref, tx.version(model_name, ref)) for ref in refs]
                missing = next((ref for ref, v in found if v is None), None)
                if missing is not None:
                    raise _no_version(model_name, missing)
                versions = [v for _, v in found if v is not None]
        return compare_versions(model_name, versions, query.only_differences)

    def search_versions(self, query: SearchVersionsQuery) -> ListVersionsResponse:
        """Versions of every model that match ``query.filter``, in ``query.order_by``."""
        where = parse_filter(query.filter, "versions") if given(query.filter) else None
        order = parse_order(query.order_by, "versions") if given(query.order_by) else None
        with self.store.read() as tx:
            versions, total = tx.search_versions(where, order, query.offset, query.limit)
        return ListVersionsResponse(versions=versions, total=total)

    def _edit_version(
        self,
        model_name: str,
        ref: VersionRef | int | str | None,
        edit: Callable[[Transaction, LockedVersion, str | None], None],
        fields: list[str],
        kept: dict[str, Any] | None = None,
    ) -> DescribeVersion:
        """Lock the model and the version, apply ``edit``, stamp and record the change."""
        version_ref = _as_ref(ref)
        user = self._user()
        self.policy.check_writer(user, f"change versions of model {model_name!r}")
        with self.store.write() as tx:
            model = self._locked_model(tx, model_name)
            version = self._locked_version(tx, model, version_ref)
            edit(tx, version, user)
            tx.touch_model(model.id, user, _now())
            payload = {"model": model_name, "version": version.version, "fields": fields}
            change = self._record(tx, "version.updated", payload, user, kept)
            described = tx.version_by_id(version.id, model_name)
        self._emit(change)
        return described

    def update_version(
        self, model_name: str, ref: VersionRef | int | str | None, request: UpdateVersion
    ) -> DescribeVersion:
        changes = request.model_dump(exclude_unset=True)
        if changes.get("notes", "") is None:  # notes are never null: null clears them
            changes["notes"] = ""

        def apply(tx: Transaction, version: LockedVersion, user: str | None) -> None:
            tx.update_version(version.id, changes, user)

        return self._edit_version(model_name, ref, apply, sorted(changes), _saved_notes(changes))

    def patch_version_metadata(
        self, model_name: str, ref: VersionRef | int | str | None, patch: PatchMetadata
    ) -> DescribeVersion:
        def apply(tx: Transaction, version: LockedVersion, user: str | None) -> None:
            tx.set_version_metadata(version.id, _merge(version.metadata, patch), user)

        return self._edit_version(model_name, ref, apply, ["metadata"])

    # --- lineage ----------------------------------------------------------

    @staticmethod
    def _resolve_bases(tx: Transaction, bases: list[BaseRef]) -> list[tuple[VersionKey, Relation]]:
        """Each ``NAME[:ref]`` as the concrete version it names now; a repeat is refused."""
        resolved: list[tuple[VersionKey, Relation]] = []
        for base in bases:
            name, ref = split_model_ref(base.ref)
            key = tx.version_key(name, ref, hold=True)
            if key is None:
                if tx.model_id(name) is None:
                    raise NotFoundError(f"base {base.ref!r}: no model named {name!r}")
                raise NotFoundError(f"base {base.ref!r}: {_no_version(name, ref).message}")
            if any(key.id == seen.id for seen, _ in resolved):
                raise ValidationError(f"base {key.node} is given twice")
            resolved.append((key, base.relation))
        return resolved

    @staticmethod
    def _descendants(tx: Transaction, version_id: int) -> set[int]:
        """Every version made, directly or not, from ``version_id``."""
        found: set[int] = set()
        frontier = {version_id}
        while frontier:
            frontier = {e.version_id for e in tx.edges_down(frontier)} - found
            found |= frontier
        return found

    def set_version_bases(
        self, model_name: str, ref: VersionRef | int | str | None, request: SetBases
    ) -> DescribeVersion:
        """Replace a version's bases; a base that is the version or derives from it is refused."""

        def apply(tx: Transaction, version: LockedVersion, user: str | None) -> None:
            tx.hold_lineage()
            bases = self._resolve_bases(tx, request.bases)
            own = f"{model_name}:{version.version}"
            if any(key.id == version.id for key, _ in bases):
                raise ValidationError(f"version {own} cannot be its own base")
            below = self._descendants(tx, version.id)
            for key, _ in bases:
                if key.id in below:
                    raise ValidationError(
                        f"base {key.node} was itself made from {own}: that would be a cycle"
                    )
            tx.set_bases(version.id, bases)

        return self._edit_version(model_name, ref, apply, ["bases"])

    def get_lineage(
        self,
        model_name: str,
        ref: VersionRef | int | str | None = None,
        depth: int = 3,
        max_nodes: int = MAX_LINEAGE_NODES,
    ) -> DescribeLineage:
        """The version's ancestors and descendants, ``depth`` steps each way at most.

        Walked one level at a time (one query per level and direction) and
        bounded by ``max_nodes`` versions, so a popular base with
        thousands of fine-tunes answers quickly with ``truncated`` set.
        """
        version_ref = _as_ref(ref)
        query = parse(LineageQuery, {"depth": depth, "max_nodes": max_nodes})
        with self.store.read() as tx:
            root = tx.version_key(model_name, version_ref)
            if root is None:
                if tx.model_id(model_name) is None:
                    raise _no_model(model_name)
                raise _no_version(model_name, version_ref)
            seen = {root.id}
            edges: dict[tuple[int, str], Edge] = {}
            truncated = False
            for up in (True, False):
                step = tx.edges_up if up else tx.edges_down
                frontier = {root.id}
                for _ in range(query.depth):
                    found, frontier = step(frontier), set()
                    for edge in found:
                        other = edge.base_id if up else edge.version_id
                        if other is not None and other not in seen:
                            if len(seen) >= query.max_nodes:
                                truncated = True
                                continue
                            seen.add(other)
                            frontier.add(other)
                        edges[edge.version_id, edge.base_node] = edge
                truncated = truncated or bool(frontier and step(frontier))
            versions = tx.versions_by_ids(seen)
        return graph.lineage(root.node, versions, edges.values(), truncated)

    def delete_version(self, model_name: str, ref: VersionRef | int | str | None) -> None:
        version_ref = _as_ref(ref)
        user = self._user()
        with self.store.write() as tx:
            model = self._locked_model(tx, model_name)
            version = self._locked_version(tx, model, version_ref)
            action = f"delete version {version.version} of model {model_name!r}"
            self._check_maintainer(tx, model, user, action)
            tx.delete_version(version.id)
            tx.touch_model(model.id, user, _now())
            payload = {"model": model_name, "version": version.version}
            change = self._record(tx, "version.deleted", payload, user)
        self._emit(change)

    def set_alias(self, model_name: str, alias: str, request: SetAlias) -> DescribeVersion:
        """Point ``alias`` at a version, moving it from whichever version held it."""
        try:
            check_alias(alias)
        except ValueError as exc:
            raise ValidationError(f"alias: {exc}") from None
        user = self._user()
        with self.store.write() as tx:
            model = self._locked_model(tx, model_name)
            self._check_alias(tx, model, user, alias, "set")
            version = self._locked_version(tx, model, VersionRef(number=request.version))
            tx.set_alias(model.id, alias, version.id)
            tx.touch_model(model.id, user, _now())
            payload = {"model": model_name, "alias": alias, "version": request.version}
            change = self._record(tx, "alias.set", payload, user)
            described = tx.version_by_id(version.id, model_name)
        self._emit(change)
        return described

    def remove_alias(self, model_name: str, alias: str) -> None:
        user = self._user()
        with self.store.write() as tx:
            model = self._locked_model(tx, model_name)
            self._check_alias(tx, model, user, alias, "remove")
            if not tx.remove_alias(model.id, alias):
                raise NotFoundError(f"model {model_name!r} has no alias {alias!r}")
            tx.touch_model(model.id, user, _now())
            change = self._record(tx, "alias.removed", {"model": model_name, "alias": alias}, user)
        self._emit(change)

    def get_history(
        self, model_name: str, offset: int = 0, limit: int | None = None
    ) -> ListActionsResponse:
        """A model's actions, oldest first; kept after the model is deleted."""
        _check_page(offset, limit)
        with self.store.read() as tx:
            actions, total = tx.list_actions(model_name, offset, limit)
            if total == 0 and tx.model_id(model_name) is None:
                raise _no_model(model_name)
        return ListActionsResponse(actions=actions, total=total)

    def list_changes(self, query: ChangesQuery) -> ListChangesResponse:
        """History entries of every model written after ``query.after``, and the next cursor.

        Any writer records history in the database: this server, a kernel or
        the CLI opening the database directly, another server. Reading it is
        how a server, or a client, learns of changes it did not make.
        """
        with self.store.read() as tx:
            if query.after is None:
                return ListChangesResponse(changes=[], cursor=tx.last_action_id())
            entries = tx.actions_after(query.after, query.limit)
        cursor = entries[-1][0] if entries else query.after
        return ListChangesResponse(changes=[action for _, action in entries], cursor=cursor)

    # --- checkpoints and blobs ----------------------------------------------

    def put_blob(
        self,
        stream: BinaryIO | Iterable[bytes],
        sha256: str | None = None,
        size: int | None = None,
    ) -> BlobInfo:
        """Store file content; it stays unreferenced until a checkpoint names it.

        The server asks :meth:`check_writer` before the first byte arrives, on
        the event loop, where this call's user is known.
        """
        return self.blobs.put(stream, sha256, size)

    def put_file(self, path: str, progress: Callable[[int], object] | None = None) -> BlobInfo:
        """Store a local file's content (kernel-copied into a local store)."""
        self.check_writer("upload files")
        return self.blobs.put_file(path, progress)

    def start_upload(self, request: StartUpload) -> UploadStatus:
        """Open a resumable upload (see :mod:`~jupyter_registry.artifacts.uploads`)."""
        self.check_writer("upload files")
        return self.uploads.start(request.size, request.chunk_size)

    def get_upload(self, upload_id: str) -> UploadStatus:
        return self.uploads.status(upload_id)

    def put_chunk(self, upload_id: str, index: int, stream: Iterable[bytes]) -> ChunkInfo:
        """Store one chunk; the server asks :meth:`check_writer` before its first byte."""
        return self.uploads.write_chunk(upload_id, index, stream)

    def commit_upload(self, upload_id: str, request: CommitUpload) -> BlobInfo:
        self.check_writer("upload files")
        return self.uploads.commit(upload_id, request.chunks, request.sha256)

    def delete_upload(self, upload_id: str) -> None:
        self.check_writer("upload files")
        self.uploads.delete(upload_id)

    def blob_size(self, sha256: str) -> int | None:
        """The size of stored content, or None: whether an upload can be skipped."""
        return self.blobs.size(sha256)

    def read_blob(self, sha256: str) -> tuple[int, Iterator[bytes]]:
        """The size and verified byte stream of a blob that a checkpoint references.

        A referenced blob that is missing or whose bytes no longer match is
        damage to the registry, not a user mistake: it is logged at error
        level, announced to listeners as ``blob.corrupted`` and raised as
        :class:`IntegrityError`.
        """
        with self.store.read() as tx:
            size = tx.blob_size(sha256)
        if size is None:
            raise NotFoundError(f"no blob {sha256} in this registry")
        try:
            chunks = self.blobs.read(sha256, size)
        except NotFoundError as exc:
            raise self._corrupted(sha256, exc.message) from None
        return size, self._reported(sha256, chunks)

    def _reported(self, sha256: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
        try:
            yield from chunks
        except IntegrityError as exc:
            raise self._corrupted(sha256, exc.message) from None

    def _corrupted(self, sha256: str, reason: str) -> IntegrityError:
        log.error("registry: stored blob %s is damaged: %s", sha256, reason)
        self._emit(("blob.corrupted", {"sha256": sha256, "reason": reason}))
        return IntegrityError(reason)

    # --- direct transfer: presigned URLs of an S3 store ------------------------

    def get_direct_transfer(self) -> DirectTransfer:
        """Whether clients should move blobs straight to and from the bucket."""
        try:
            _, settings = offered(self.direct, self.blobs)
        except NotFoundError:
            return DirectTransfer(available=False)
        return DirectTransfer(
            available=True,
            part_bytes=settings.part_bytes,
            expires_seconds=settings.expires_seconds,
        )

    def presign_upload(self, sha256: str, request: PresignUpload) -> PresignedUpload:
        """URLs to upload content into the bucket; only writers get them."""
        self.check_writer("upload files")
        store, settings = offered(self.direct, self.blobs)
        return store.presign_upload(sha256, request.size, settings)

    def complete_direct_upload(self, sha256: str, request: CompleteDirectUpload) -> BlobInfo:
        """Verify a presigned upload and store it as blob ``sha256``, or refuse and discard it."""
        self.check_writer("upload files")
        store, _ = offered(self.direct, self.blobs)
        return store.complete_upload(sha256, request)

    def presign_download(self, sha256: str) -> PresignedDownload:
        """A URL to download a blob that a checkpoint references, straight from the bucket."""
        store, settings = offered(self.direct, self.blobs)
        with self.store.read() as tx:
            size = tx.blob_size(sha256)
        if size is None:
            raise NotFoundError(f"no blob {sha256} in this registry")
        return store.presign_download(sha256, size, settings)

    def create_checkpoint(self, request: CreateCheckpoint) -> DescribeCheckpoint:
        """Record a checkpoint whose blobs are stored: files first, then one transaction."""
        user = self._user()
        self.policy.check_writer(user, "create checkpoints")
        with self.store.write() as tx:
            checkpoint = self._insert_checkpoint(tx, request, user)
        self._emit(("checkpoint.created", {"checkpoint": checkpoint.uuid}))
        return checkpoint

    def _insert_checkpoint(
        self, tx: Transaction, request: CreateCheckpoint, user: str | None
    ) -> DescribeCheckpoint:
        """Insert a checkpoint inside ``tx``, once every file's blob is known at its size.

        The request's paths were checked by its schema; here each file's
        declared size must be its blob's size, as the database (or, for a new
        blob, the store) records it, or a download could never match.
        """
        tx.hold_blobs(exclusive=False)
        known = tx.blob_sizes(f.sha256 for f in request.files)
        sizes: dict[str, int | None] = dict(known)
        for entry in request.files:
            if entry.sha256 not in sizes:
                sizes[entry.sha256] = self.blobs.size(entry.sha256)
            stored = sizes[entry.sha256]
            if stored is None:
                raise ValidationError(
                    f"file {entry.path!r}: blob {entry.sha256} has not been uploaded; "
                    "upload it first"
                )
            if stored != entry.size:
                raise ValidationError(
                    f"file {entry.path!r} declares {entry.size} bytes, "
                    f"but its blob {entry.sha256} holds {stored}"
                )
        for sha, size in sizes.items():
            if sha not in known and size is not None:
                tx.add_blob(sha, size, _now())
        checkpoint_id = tx.insert_checkpoint(str(uuid_lib.uuid4()), request, user, _now())
        return tx.checkpoint_by_id(checkpoint_id)

    def create_bundle(
        self,
        request: CreateCheckpoint,
        version: BundleVersion | None,
        contents: dict[str, bytes],
    ) -> CreatedBundle:
        """A checkpoint from its files' bytes, and its version if asked: all or nothing.

        ``contents`` maps each checkpoint path to its bytes; each must hash to
        the file's declared sha256 and size before anything is stored. The
        checkpoint and its version are then written in one transaction, so a
        refused registration (no such model, archived) leaves no checkpoint.
        """
        user = self._user()
        self.policy.check_writer(user, "create checkpoints")
        declared = {f.path: f for f in request.files}
        unknown = sorted(set(contents) - set(declared))
        if unknown:
            raise ValidationError(f"file parts not declared in the checkpoint: {unknown[:10]}")
        missing = sorted(set(declared) - set(contents))
        if missing:
            raise ValidationError(f"declared files with no file part: {missing[:10]}")
        for path, data in contents.items():
            entry = declared[path]
            actual = hashlib.sha256(data).hexdigest()
            if actual != entry.sha256 or len(data) != entry.size:
                raise ValidationError(
                    f"file {path!r} does not match its declaration: "
                    f"{len(data)} bytes hashing to {actual}"
                )
        for path, data in contents.items():
            if self.blobs.size(declared[path].sha256) != len(data):
                self.blobs.put([data], declared[path].sha256, len(data))
        with self.store.write() as tx:
            checkpoint = self._insert_checkpoint(tx, request, user)
            changes: list[Change] = [("checkpoint.created", {"checkpoint": checkpoint.uuid})]
            registered = None
            if version is not None:
                registered, more = self._register(
                    tx, version.model_name, version.register(checkpoint.uuid), user
                )
                changes += more
        self._emit(*changes)
        return CreatedBundle(checkpoint=checkpoint, version=registered)

    def get_checkpoint(self, checkpoint_uuid: str) -> DescribeCheckpoint:
        with self.store.read() as tx:
            checkpoint = tx.checkpoint(checkpoint_uuid)
        if checkpoint is None:
            raise _no_checkpoint(checkpoint_uuid)
        return checkpoint

    def get_tensors(self, checkpoint_uuid: str, path: str) -> DescribeTensors:
        """A checkpoint's safetensors file's tensors, from two ranged reads of its header."""
        checkpoint = self.get_checkpoint(checkpoint_uuid)
        entry = next((f for f in checkpoint.files if f.path == path), None)
        if entry is None:
            raise NotFoundError(f"checkpoint {checkpoint_uuid} has no file {path!r}")

        def read(start: int, length: int) -> bytes:
            try:
                return self.blobs.read_range(entry.sha256, start, length)
            except NotFoundError as exc:
                raise self._corrupted(entry.sha256, exc.message) from None

        return read_safetensors_header(read, entry.size, path)

    def list_checkpoints(
        self, run: str | None = None, limit: int | None = None
    ) -> ListCheckpointsResponse:
        """Newest first; a run's checkpoints in the order they were saved."""
        if limit is not None and limit < 1:
            raise ValidationError("limit must be >= 1")
        with self.store.read() as tx:
            return ListCheckpointsResponse(checkpoints=tx.list_checkpoints(run, limit))

    def delete_checkpoint(self, checkpoint_uuid: str) -> None:
        """Delete an unregistered checkpoint; its blobs are reclaimed by :meth:`gc`."""
        self.check_writer(f"delete checkpoint {checkpoint_uuid}")
        with self.store.write() as tx:
            checkpoint_id = tx.checkpoint_id(checkpoint_uuid)
            if checkpoint_id is None:
                raise _no_checkpoint(checkpoint_uuid)
            users = tx.checkpoint_versions(checkpoint_id)
            if users:
                refs = ", ".join(f"{name}:{number}" for name, number in users)
                raise ConflictError(
                    f"checkpoint {checkpoint_uuid} is registered as {refs}; "
                    "delete those versions first"
                )
            tx.delete_checkpoint(checkpoint_id)
        self._emit(("checkpoint.deleted", {"checkpoint": checkpoint_uuid}))

    # --- maintenance ----------------------------------------------------------

    def migrate(self) -> str:
        """Upgrade the database schema to this package's head revision; returns it."""
        return self.store.migrate()

    def upgrade_schema(self) -> SchemaRevision:
        """:meth:`migrate` as the admin API answers it (any writer: it only upgrades)."""
        self.policy.check_writer(self._user(), "upgrade the database schema")
        return SchemaRevision(revision=self.migrate())

    def collect_garbage(self, request: CollectGarbage) -> GarbageCollected:
        """:meth:`gc` as the admin API asks and answers it (any writer: it deletes only orphans)."""
        self.policy.check_writer(self._user(), "collect garbage")
        return GarbageCollected(deleted=self.gc(timedelta(seconds=request.grace_seconds)))

    def gc(self, grace: timedelta = timedelta(hours=1)) -> list[str]:
        """Delete blobs no checkpoint references, and uploads that died half-way.

        Blobs younger than ``grace`` are kept even when unreferenced: they may
        belong to a registration whose files are uploaded but not yet committed.
        """
        if grace < timedelta(0):
            raise ValidationError(f"the gc grace period must not be negative, not {grace}")
        cutoff = time.time() - grace.total_seconds()
        self.blobs.remove_stale_uploads(cutoff)
        self.uploads.remove_stale(cutoff)
        with self.store.write() as tx:
            tx.hold_blobs(exclusive=True)
            tx.forget_unreferenced_blobs()
            referenced = tx.referenced_blobs()
            removed = []
            for sha in self.blobs.all_blobs():
                if sha not in referenced and self.blobs.modified(sha) < cutoff:
                    self.blobs.delete(sha)
                    removed.append(sha)
        return removed


def validate_model_name(name: str) -> str:
    """Check a model name from a URL or a command line against SPEC §1."""
    return parse(CheckName, {"name": name}).name


__all__ = ["AliasName", "RegistryService", "validate_model_name"]
