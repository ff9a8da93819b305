"""The user-facing objects: Registry, Model, ModelVersion, Checkpoint.

They hold a client (in-process or HTTP) and the latest response they got from
it; every mutation goes through the client, which applies it where the data
lives, and the object refreshes itself from the answer. ``repr`` does no I/O.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from .artifacts import collect
from .artifacts.cache import cached_checkpoint
from .artifacts.known_refs import KnownRefs, ref_key, refs_naming
from .artifacts.materialize import write_checkpoint
from .cards import CardRevision, ModelCard, export_readme, parse_card
from .client.checkpoints import send_checkpoint
from .client.offline import OfflineClient
from .client.protocol import RegistryClient
from .config import ENV_SERVER, ENV_TOKEN, RegistryConfig, token_digest
from .errors import UntrustedCodeError, ValidationError
from .filters import check_search
from .frameworks import adapter_for_format, adapter_for_object
from .kernel import kernel_state
from .policy import trusts_code
from .progress import transfer_progress
from .schemas import (
    BundleVersion,
    CollectGarbage,
    CompareQuery,
    CreateCheckpoint,
    CreateModel,
    DescribeAction,
    DescribeBase,
    DescribeCheckpoint,
    DescribeIdentity,
    DescribeLineage,
    DescribeModel,
    DescribeTensors,
    DescribeVersion,
    ListModelsQuery,
    ListModelsResponse,
    ListVersionsResponse,
    ModelSortBy,
    OrderBy,
    PatchMetadata,
    RegisterVersion,
    Relation,
    SearchVersionsQuery,
    SetAlias,
    SetBases,
    UpdateModel,
    UpdateVersion,
    parse,
    split_model_ref,
)

if TYPE_CHECKING:
    import pandas as pd

PAGE_SIZE = 1000
FILE_CHUNK = 4 * 1024 * 1024

#: What ``base=`` takes: one reference (``"name:3"``, ``"name:alias"``, ``"name"``) or
#: version, or several for a merge.
BaseArg: TypeAlias = "str | ModelVersion | Sequence[str | ModelVersion] | None"


def base_refs(base: Any, relation: str | None) -> list[dict[str, str]]:
    """``base=``/``relation=`` as the request's list of bases.

    Without ``relation``, one base is a ``finetune`` and several are a ``merge``.
    """
    if base is None:
        if relation is not None:
            raise ValidationError("relation= needs base=: the version it relates to")
        return []
    many = base if isinstance(base, list | tuple) else [base]
    chosen = relation or (Relation.MERGE if len(many) > 1 else Relation.FINETUNE)
    return [{"ref": b.ref if isinstance(b, ModelVersion) else b, "relation": chosen} for b in many]


def _all_seen(seen: int, page: ListModelsResponse | ListVersionsResponse, offset: int) -> bool:
    """Whether ``seen`` rows from ``offset`` are all there are; an estimated total never says so."""
    return not page.total_is_estimate and seen >= page.total - offset


def _frames() -> Any:
    """The DataFrame builders, imported on first use: pandas is slow to import."""
    from . import frames

    return frames


def _display() -> Any:
    """The HTML cards of the reprs, imported on first use: its sanitizer loads a native library."""
    from . import display

    return display


def _cache_root() -> Path:
    """The load cache of this user's registry home: checkpoints, and the refs that named them."""
    return Path(RegistryConfig().home).expanduser() / "cache"


def _known_refs(client: RegistryClient) -> KnownRefs | None:
    """Where online loads through ``client`` record refs and identity (None: nowhere).

    An offline client only reads the records: writing them again would make
    an old answer look new.
    """
    location = getattr(client, "location", "")
    if not location or isinstance(client, OfflineClient):
        return None
    return KnownRefs(_cache_root(), location)


def _file_reader(info: DescribeCheckpoint, folder: Path) -> Callable[[str], Any]:
    """Blobs read from a folder holding the checkpoint's files (a checked cache entry)."""
    paths = {f.sha256: folder / f.path for f in info.files}

    def chunks(path: Path) -> Iterator[bytes]:
        with open(path, "rb") as handle:
            while chunk := handle.read(FILE_CHUNK):
                yield chunk

    def read(sha256: str) -> tuple[int, Iterator[bytes]]:
        return paths[sha256].stat().st_size, chunks(paths[sha256])

    return read


def current_checkpoint() -> Checkpoint | None:
    """The checkpoint most recently created in this kernel (what magics register)."""
    state = kernel_state()
    return state.checkpoint if state is not None else None


def _remember(checkpoint: Checkpoint) -> Checkpoint:
    state = kernel_state()
    if state is not None:
        state.checkpoint = checkpoint
    return checkpoint


def _checkpoint(
    client: RegistryClient,
    path: str | os.PathLike[str],
    fields: dict[str, Any],
    version: BundleVersion | None,
) -> tuple[Checkpoint, DescribeVersion | None]:
    """Create a checkpoint of a file or folder, registered as ``version`` if given."""
    from .lineage import capture_source, default_run  # asks git and packages: not for loads

    captured = capture_source(fields.pop("source"))
    request = parse(
        CreateCheckpoint,
        {
            **fields,
            "files": [],
            "format": fields["format"] or "files",
            "hparams": fields["hparams"] or {},
            "metrics": fields["metrics"] or {},
            "metadata": fields["metadata"] or {},
            "run": fields["run"] or default_run(captured),
            "source": captured,
        },
    )
    info, registered = send_checkpoint(client, collect(path), request, version, Path(path).name)
    return _remember(Checkpoint(client, info)), registered


def _save(
    client: RegistryClient, obj: Any, options: dict[str, Any], version: BundleVersion | None
) -> tuple[Checkpoint, DescribeVersion | None]:
    """:meth:`Registry.save_checkpoint`, registered as ``version`` if given."""
    plain = {"framework": None, "format": None, "entrypoint": None}
    if isinstance(obj, (str, os.PathLike)):
        return _checkpoint(client, obj, {**plain, **options}, version)
    adapter = adapter_for_object(obj)
    with tempfile.TemporaryDirectory(prefix="jupyter-registry-") as folder:
        saved = adapter.save(obj, Path(folder))
        fields = {
            **options,
            "framework": saved.framework,
            "format": saved.format,
            "entrypoint": saved.entrypoint,
            "hparams": {**saved.hparams, **(options["hparams"] or {})},
            "metadata": {**saved.metadata, **(options["metadata"] or {})},
        }
        return _checkpoint(client, folder, fields, version)


class _Held:
    """An SDK object held by the client it came from; ``registry`` hands that client on."""

    _client: RegistryClient

    @property
    def registry(self) -> Registry:
        """The registry this object lives in (a remote model's registry is remote too)."""
        return Registry(client=self._client)


class Checkpoint(_Held):
    """An immutable set of files and facts of one trained state."""

    def __init__(self, client: RegistryClient, info: DescribeCheckpoint) -> None:
        self._client = client
        self._info = info

    uuid = property(lambda self: self._info.uuid)
    resources = property(lambda self: dict(self._info.resources))
    framework = property(lambda self: self._info.framework)
    format = property(lambda self: self._info.format)
    entrypoint = property(lambda self: self._info.entrypoint)
    hparams = property(lambda self: dict(self._info.hparams))
    metrics = property(lambda self: dict(self._info.metrics))
    metadata = property(lambda self: dict(self._info.metadata))
    run = property(lambda self: self._info.run)
    source = property(lambda self: dict(self._info.source))
    created_by = property(lambda self: self._info.created_by)
    creation_time: datetime = property(lambda self: self._info.creation_time)  # type: ignore[assignment]

    @property
    def info(self) -> DescribeCheckpoint:
        return self._info

    @property
    def size(self) -> int:
        return sum(f.size for f in self._info.files)

    def download(self, path: str | os.PathLike[str] | None = None) -> Path:
        """A verified copy of the checkpoint's files (default ``./checkpoints/<uuid>``).

        All or nothing: if any file fails (corrupted, cut short, disk full),
        everything this download wrote is removed again, and files already in
        the folder are left as they were.
        """
        dest = Path(path) if path is not None else Path("checkpoints") / self.uuid
        if isinstance(self._client, OfflineClient):  # the cache's checked copy is the source
            return write_checkpoint(self._info, dest, _file_reader(self._info, self.local_folder()))
        return self._fetch(dest)

    def _fetch(self, dest: Path) -> Path:
        with transfer_progress(self.size, f"download {self.uuid[:8]}") as progress:
            return write_checkpoint(self._info, dest, self._client.read_blob, progress)

    def local_folder(self, verify: bool = False) -> Path:
        """A verified copy in the registry's cache, downloaded once per checkpoint.

        Each call checks the cached files against what was downloaded (a stat
        per file; any change is re-hashed) and downloads again if they no
        longer match; ``verify=True`` re-hashes every file.
        """
        return cached_checkpoint(_cache_root() / "checkpoints", self._info, self._fetch, verify)

    def load(
        self, trusted: bool = False, verify: bool = False, *, aliases: Sequence[str] = ()
    ) -> Any:
        """The framework object (SPEC §6); code-running formats need ``trusted=True``.

        ``verify=True`` re-hashes every cached file before loading. ``aliases``
        are those of the version it is loaded through: a protected one vouches
        for the checkpoint's captured code (SPEC §7).
        """
        adapter = adapter_for_format(self.format)
        if adapter is None:
            raise ValidationError(
                f"no installed framework adapter loads format {self.format!r} "
                f"(framework {self.framework!r})"
            )
        if not trusted and self._holds_code():
            self._check_code_trusted(aliases)
        return adapter.load(self.local_folder(verify), self._info, trusted)

    def _holds_code(self) -> bool:
        """Whether loading would import Python code stored in the checkpoint."""
        return self.format != "files" and any(p.endswith(".py") for p in self._info.resources)

    def _check_code_trusted(self, aliases: Sequence[str]) -> None:
        """Refuse, before downloading or importing anything, code the caller has no reason to trust.

        Captured code runs with the loading user's rights, so a default load
        imports it only when it is the user's own, its creator is one of
        ``RegistryConfig.trusted_users``, or the version holds a protected
        alias (SPEC §7).
        """
        creator = self._info.created_by
        known = _known_refs(self._client)
        # Remote clients say whose token they use; the embedded one asks no one anyway.
        credential = getattr(self._client, "credential", None)
        if known is not None and credential is not None:
            remembered = known.identity(credential)
            if remembered is not None and creator is not None and creator == remembered.value.user:
                # One's own code, by the name this registry gave this token before: a second
                # request would only repeat it (trusted users and aliases may change; names not).
                return
        identity = self._client.get_identity()
        if known is not None:
            known.remember_identity(identity, credential or "")
        if trusts_code(identity, creator, aliases):
            return
        protected = ", ".join(identity.protected_aliases) or "none configured"
        raise UntrustedCodeError(
            f"checkpoint {self.uuid} holds model code captured by {creator or 'an unknown user'}, "
            f"and {identity.user} has not said to trust it: a default load() imports only your "
            "own code, code of RegistryConfig.trusted_users, or a version holding a protected "
            f"alias ({protected}). Review the code, then load(trusted=True)"
        )

    def tensors(self, path: str) -> DescribeTensors:
        """A ``.safetensors`` file's tensors and parameter count, read from its header alone."""
        return self._client.get_tensors(self.uuid, path)

    def delete(self) -> None:
        self._client.delete_checkpoint(self.uuid)

    def __repr__(self) -> str:
        return f"<Checkpoint {self.uuid} format={self.format!r} files={len(self._info.files)}>"

    def _repr_html_(self) -> str:
        html = _display()
        return html.card(
            f"Checkpoint {self.uuid}",
            {
                "run": self.run,
                "framework": self.framework,
                "format": self.format,
                "entrypoint": self.entrypoint,
                "metrics": self._info.metrics,
                "hparams": self._info.hparams,
                "resources": self._info.resources,
                "created": self.creation_time,
                "created by": self.created_by,
            },
        )


class ModelVersion(_Held):
    """A numbered link from a model to a checkpoint."""

    def __init__(
        self, client: RegistryClient, info: DescribeVersion, fetched_as: str | None = None
    ) -> None:
        self._client = client
        self._info = info
        #: The ref it was fetched by (``NAME:production``), recorded with it when it loads.
        self._fetched_as = fetched_as

    version: int = property(lambda self: self._info.version)  # type: ignore[assignment]
    model_name: str = property(lambda self: self._info.model_name)  # type: ignore[assignment]
    name = property(lambda self: self._info.name)
    comment = property(lambda self: self._info.comment)
    notes = property(lambda self: self._info.notes)
    aliases = property(lambda self: list(self._info.aliases))
    metadata = property(lambda self: dict(self._info.metadata))
    created_by = property(lambda self: self._info.created_by)
    creation_time: datetime = property(lambda self: self._info.creation_time)  # type: ignore[assignment]

    @property
    def info(self) -> DescribeVersion:
        return self._info

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self._client, self._info.checkpoint)

    @property
    def ref(self) -> str:
        return f"{self.model_name}:{self.version}"

    def reload(self) -> ModelVersion:
        self._info = self._client.get_version(self.model_name, self.version)
        return self

    def add_metadata(self, metadata: dict[str, Any]) -> None:
        patch = parse(PatchMetadata, {"add": metadata})
        self._info = self._client.patch_version_metadata(self.model_name, self.version, patch)

    def remove_metadata(self, keys: Sequence[str]) -> None:
        patch = parse(PatchMetadata, {"remove": list(keys)})
        self._info = self._client.patch_version_metadata(self.model_name, self.version, patch)

    def _update(self, **fields: Any) -> None:
        request = parse(UpdateVersion, fields)
        self._info = self._client.update_version(self.model_name, self.version, request)

    def set_notes(self, notes: str) -> None:
        self._update(notes=notes)

    def set_name(self, name: str | None) -> None:
        self._update(name=name)

    def set_comment(self, comment: str | None) -> None:
        self._update(comment=comment)

    def set_alias(self, alias: str) -> None:
        self._info = self._client.set_alias(self.model_name, alias, SetAlias(version=self.version))

    @property
    def files(self) -> dict[str, int]:
        """The checkpoint's files and their sizes in bytes."""
        return {f.path: f.size for f in self._info.checkpoint.files}

    def tensors(self, path: str) -> DescribeTensors:
        """A ``.safetensors`` file's tensors and parameter count, read from its header alone."""
        return self.checkpoint.tensors(path)

    def download(self, path: str | os.PathLike[str] | None = None) -> Path:
        return self.checkpoint.download(path)

    def load(self, trusted: bool = False, verify: bool = False) -> Any:
        """The checkpoint's framework object; a protected alias vouches for its code (SPEC §7).

        Once loaded, the refs that name this version now are recorded in the
        load cache, so that an offline process (``JUPYTER_REGISTRY_OFFLINE=1``)
        can load it by the same ref.
        """
        loaded = self.checkpoint.load(trusted, verify, aliases=self.aliases)
        known = _known_refs(self._client)
        if known is not None:
            known.remember_version(refs_naming(self._info, self._fetched_as), self._info)
        return loaded

    @property
    def bases(self) -> list[DescribeBase]:
        """The versions this one was made from, with their relation (SPEC §9)."""
        return list(self._info.bases)

    def set_bases(self, base: BaseArg, relation: str | None = None) -> None:
        """Replace this version's bases (``None`` removes them); a cycle is refused."""
        request = parse(SetBases, {"bases": base_refs(base, relation)})
        self._info = self._client.set_version_bases(self.model_name, self.version, request)

    def lineage_graph(self, depth: int = 3, max_nodes: int = 200) -> DescribeLineage:
        """Ancestors and descendants up to ``depth`` steps each way (and ``max_nodes`` versions),
        with their relations and what was captured where each was made."""
        return self._client.get_lineage(self.model_name, self.version, depth, max_nodes)

    def delete(self) -> None:
        self._client.delete_version(self.model_name, self.version)

    def load_snippet(self, alias: str | None = None) -> str:
        ref = f"{self.model_name}:{alias or self.version}"
        return (
            "from jupyter_registry import Registry\n"
            f"model = Registry().get_model_version({ref!r}).load()"
        )

    def __repr__(self) -> str:
        aliases = f" aliases={self.aliases}" if self.aliases else ""
        return f"<ModelVersion {self.model_name}:{self.version}{aliases}>"

    def _repr_html_(self) -> str:
        ckpt = self._info.checkpoint
        html = _display()
        return html.card(
            f"{self.model_name} v{self.version}",
            {
                "aliases": html.chips(self.aliases),
                "name": self.name,
                "comment": self.comment,
                "made from": html.chips(
                    f"{b.relation.value} of {b.model_name}:{b.version}"
                    + (" (deleted)" if b.deleted else "")
                    for b in self._info.bases
                ),
                "checkpoint": ckpt.uuid,
                "framework": ckpt.framework,
                "format": ckpt.format,
                "metrics": ckpt.metrics,
                "metadata": self._info.metadata,
                "created": self.creation_time,
                "created by": self.created_by,
            },
        )


class Model(_Held):
    """A named set of numbered versions."""

    def __init__(self, client: RegistryClient, info: DescribeModel) -> None:
        self._client = client
        self._info = info

    name: str = property(lambda self: self._info.name)  # type: ignore[assignment]
    description = property(lambda self: self._info.description)
    notes = property(lambda self: self._info.notes)
    labels = property(lambda self: list(self._info.labels))
    aliases = property(lambda self: dict(self._info.aliases))
    metadata = property(lambda self: dict(self._info.metadata))
    archived = property(lambda self: self._info.archived)
    num_versions = property(lambda self: self._info.num_versions)
    created_by = property(lambda self: self._info.created_by)
    maintainers = property(lambda self: list(self._info.maintainers))
    creation_time: datetime = property(lambda self: self._info.creation_time)  # type: ignore[assignment]
    last_updated_time: datetime = property(lambda self: self._info.last_updated_time)  # type: ignore[assignment]

    @property
    def info(self) -> DescribeModel:
        return self._info

    def reload(self) -> Model:
        self._info = self._client.get_model(self.name)
        return self

    def add_metadata(self, metadata: dict[str, Any]) -> None:
        """Merge top-level keys: a key given here replaces the old value whole."""
        patch = parse(PatchMetadata, {"add": metadata})
        self._info = self._client.patch_model_metadata(self.name, patch)

    def remove_metadata(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str):
            raise ValidationError("remove_metadata takes a list of keys, e.g. ['key']")
        patch = parse(PatchMetadata, {"remove": list(keys)})
        self._info = self._client.patch_model_metadata(self.name, patch)

    def _update(self, **fields: Any) -> None:
        self._info = self._client.update_model(self.name, parse(UpdateModel, fields))

    def set_description(self, description: str | None) -> None:
        self._update(description=description)

    def set_notes(self, notes: str) -> None:
        self._update(notes=notes)

    def card(self) -> ModelCard:
        """The notes as a model card: the front matter's fields and the Markdown body."""
        return parse_card(self.notes)

    def card_history(self) -> list[CardRevision]:
        """Every saved text of the card (the notes), oldest first, with who saved it."""
        return [
            CardRevision(a.time, a.user, a.details["notes"])
            for a in self._actions()
            if a.action.startswith("model.") and "notes" in a.details
        ]

    def export_card(self, path: str | os.PathLike[str] | None = None) -> str:
        """The card as a Hugging Face style README.md, written to ``path`` if given.

        Without a ``model-index`` in the card, the metrics of the version
        aliased ``production`` (else the newest) fill one in.
        """
        self.reload()
        metrics: dict[str, Any] = {}
        if self.num_versions:
            ref = "production" if "production" in self.aliases else None
            metrics = self.get_version(ref).checkpoint.metrics
        readme = export_readme(self.notes, self.name, metrics)
        if path is not None:
            Path(path).write_text(readme, encoding="utf-8")
        return readme

    def set_labels(self, labels: Iterable[str]) -> None:
        if isinstance(labels, str):
            raise ValidationError("set_labels takes a list of labels, e.g. ['vision']")
        self._update(labels=list(labels))

    def add_maintainer(self, user: str) -> None:
        """Let ``user`` archive, delete and promote this model (maintainers and admins only)."""
        listed = self._client.add_maintainer(self.name, user)
        self._info = self._info.model_copy(update={"maintainers": listed.maintainers})

    def remove_maintainer(self, user: str) -> None:
        self._client.remove_maintainer(self.name, user)
        self.reload()

    def archive(self) -> None:
        self._update(archived=True)

    def unarchive(self) -> None:
        self._update(archived=False)

    def register_version(
        self,
        checkpoint: Checkpoint | str,
        name: str | None = None,
        comment: str | None = None,
        metadata: dict[str, Any] | None = None,
        aliases: Iterable[str] = (),
        base: BaseArg = None,
        relation: str | None = None,
    ) -> ModelVersion:
        """Register ``checkpoint`` as the next version.

        ``base`` names the version(s) it was made from (``"llama:3"``,
        ``"llama:production"``, ``"llama"`` for the newest, or a list for a
        merge), resolved to concrete versions now; ``relation`` is one of
        ``finetune``, ``adapter``, ``quantized``, ``merge``, ``distilled``.
        """
        uuid = checkpoint.uuid if isinstance(checkpoint, Checkpoint) else checkpoint
        if isinstance(aliases, str):
            aliases = [aliases]
        request = parse(
            RegisterVersion,
            {
                "checkpoint_uuid": uuid,
                "name": name,
                "comment": comment,
                "metadata": metadata or {},
                "aliases": list(aliases),
                "bases": base_refs(base, relation),
            },
        )
        return self._registered(self._client.register_version(self.name, request))

    def save_version(
        self,
        obj_or_path: Any,
        name: str | None = None,
        comment: str | None = None,
        metadata: dict[str, Any] | None = None,
        aliases: Iterable[str] = (),
        base: BaseArg = None,
        relation: str | None = None,
        **checkpoint: Any,
    ) -> ModelVersion:
        """Checkpoint a file, folder or in-memory model and register it as the next version.

        ``base`` and ``relation`` are :meth:`register_version`'s. ``checkpoint``
        takes :meth:`Registry.create_checkpoint`'s options for a path
        (``format``, ``entrypoint``, ``hparams``, ``metrics``, ``source``…) or
        :meth:`Registry.save_checkpoint`'s for an object. Through a server,
        a small checkpoint and its version are created in one request, both
        or neither.
        """
        if isinstance(aliases, str):
            aliases = [aliases]
        version = parse(
            BundleVersion,
            {
                "model_name": self.name,
                "name": name,
                "comment": comment,
                "metadata": metadata or {},
                "aliases": list(aliases),
                "bases": base_refs(base, relation),
            },
        )
        path_options = {"framework": None, "format": None, "entrypoint": None}
        options = {"hparams": None, "metrics": None, "metadata": None, "run": None, "source": None}
        if isinstance(obj_or_path, (str, os.PathLike)):
            fields = {**path_options, **options, **checkpoint}
            _, info = _checkpoint(self._client, obj_or_path, fields, version)
        else:
            _, info = _save(self._client, obj_or_path, {**options, **checkpoint}, version)
        assert info is not None
        return self._registered(info)

    def _registered(self, info: DescribeVersion) -> ModelVersion:
        """The new version, this model's counters moved on as the server did."""
        self._info = self._info.model_copy(
            update={
                "num_versions": self._info.num_versions + 1,
                "latest_version": info.version,
                "last_updated_time": info.creation_time,
            }
        )
        return ModelVersion(self._client, info)

    def get_version(self, version: int | str | None = None) -> ModelVersion:
        """The latest version, or one by number (``3``, ``"v3"``) or alias (``"production"``)."""
        info = self._client.get_version(self.name, version)
        return ModelVersion(self._client, info, ref_key(self.name, version))

    def get_versions(self, limit: int | None = None, offset: int = 0) -> list[ModelVersion]:
        """Versions newest first."""
        return [ModelVersion(self._client, v) for v in self._version_infos(limit, offset)]

    def _version_infos(self, limit: int | None, offset: int) -> list[DescribeVersion]:
        infos: list[DescribeVersion] = []
        while limit is None or len(infos) < limit:
            want = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(infos))
            page = self._client.list_versions(self.name, offset + len(infos), want)
            infos.extend(page.versions)
            if len(page.versions) < want or _all_seen(len(infos), page, offset):
                break
        return infos

    def compare(
        self,
        versions: Iterable[int | str] | int | str | None = None,
        only_differences: bool = False,
    ) -> pd.DataFrame:
        """Versions side by side: one column a version (``v1``, ``v3``…), one row a field.

        ``versions`` are numbers, ``"v3"``, ``"latest"`` or aliases, as columns in
        that order; by default the newest ten versions, oldest first. Rows are
        ``metrics.*``, ``hparams.*``, framework, format, checkpoint, size, file
        count, ``files changed`` (paths whose content differs from the first
        column's), aliases, name, comment, creation, ``metadata.*``,
        ``checkpoint.metadata.*`` and lineage (typed relations when recorded,
        run, notebook, git, Python and packages). ``only_differences=True``
        keeps the rows whose values are not all equal.
        """
        wanted = [versions] if isinstance(versions, (int, str)) else list(versions or ())
        query = parse(CompareQuery, {"versions": wanted, "only_differences": only_differences})
        return _frames().comparison_frame(self._client.compare_versions(self.name, query))

    def set_alias(self, alias: str, version: int) -> ModelVersion:
        info = self._client.set_alias(self.name, alias, parse(SetAlias, {"version": version}))
        return ModelVersion(self._client, info)

    def remove_alias(self, alias: str) -> None:
        self._client.remove_alias(self.name, alias)

    def to_pandas(self) -> pd.DataFrame:
        """Versions as a DataFrame, newest first, with checkpoint metrics as columns."""
        return _frames().versions_frame(self._version_infos(None, 0))

    def history(self) -> pd.DataFrame:
        """Every change to this model, its versions and aliases, oldest first, with who made it."""
        return _frames().actions_frame(self._actions())

    def _actions(self) -> list[DescribeAction]:
        actions: list[DescribeAction] = []
        while True:
            page = self._client.get_history(self.name, len(actions), PAGE_SIZE)
            actions.extend(page.actions)
            if not page.actions or len(actions) >= page.total:
                return actions

    def delete(self) -> None:
        self._client.delete_model(self.name)

    def __repr__(self) -> str:
        return f"<Model {self.name!r} versions={self.num_versions}>"

    def _repr_html_(self) -> str:
        html = _display()
        return html.card(
            f"Model {self.name}",
            {
                "description": self.description,
                "labels": html.chips(self.labels),
                "versions": self.num_versions,
                "latest version": self._info.latest_version,
                "archived": self.archived,
                "metadata": self._info.metadata,
                "created": self.creation_time,
                "created by": self._info.created_by,
                "maintainers": html.chips(self.maintainers),
                "updated": self.last_updated_time,
            },
        )


def _make_client(
    database: str | None,
    artifacts: str | None,
    server: str | None,
    token: str | None,
    home: str | None,
    storage_options: dict[str, Any] | None,
) -> RegistryClient:
    if server is None and database is None and artifacts is None:
        server = os.environ.get(ENV_SERVER) or None
    config = RegistryConfig()
    if home is not None:
        config.home = home
    if token is None:
        token = os.environ.get(ENV_TOKEN)
    if config.offline:
        # Spelled as HttpClient and LocalClient spell their location, whose records it reads.
        if server is not None:
            return OfflineClient(_cache_root(), server.rstrip("/") + "/", token_digest(token))
        return OfflineClient(_cache_root(), database or config.database, "")
    if server is not None:
        from .client.http import HttpClient

        return HttpClient(server, token)
    from .client.local import LocalClient
    from .service import RegistryService

    if database is not None:
        config.database = database
    if artifacts is not None:
        config.artifacts = artifacts
    client = LocalClient(RegistryService.from_config(config, storage_options), config.database)
    state = kernel_state()
    if state is not None:  # open widgets of this kernel refresh after its changes
        client.listeners.append(state.changed)
    return client


class Registry:
    """Entry point of the SDK: embedded by default, or remote with ``server=``."""

    def __init__(
        self,
        database: str | None = None,
        artifacts: str | None = None,
        server: str | None = None,
        token: str | None = None,
        *,
        home: str | None = None,
        storage_options: dict[str, Any] | None = None,
        client: RegistryClient | None = None,
    ) -> None:
        self._client = client or _make_client(
            database, artifacts, server, token, home, storage_options
        )

    @property
    def client(self) -> RegistryClient:
        return self._client

    def identity(self) -> DescribeIdentity:
        """Who this registry takes you to be, your role, and its trust rules (SPEC §7)."""
        return self._client.get_identity()

    # models

    def create_model(
        self,
        name: str,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        labels: Iterable[str] = (),
        notes: str = "",
    ) -> Model:
        request = parse(
            CreateModel,
            {
                "name": name,
                "description": description,
                "metadata": metadata or {},
                "labels": [labels] if isinstance(labels, str) else list(labels),
                "notes": notes,
            },
        )
        return Model(self._client, self._client.create_model(request))

    def get_model(self, name: str) -> Model:
        return Model(self._client, self._client.get_model(name))

    def _model_infos(
        self,
        sort_by: ModelSortBy | str,
        order_by: OrderBy | str,
        name: str | None,
        description: str | None,
        labels: Iterable[str],
        archived: bool | None,
        limit: int | None,
        offset: int,
        filter: str | None = None,
    ) -> list[DescribeModel]:
        check_search(filter, None, "models")
        base = {
            "filter": filter,
            "sort_by": sort_by,
            "order_by": order_by,
            "name": name,
            "description": description,
            "labels": [labels] if isinstance(labels, str) else list(labels),
            "archived": archived,
        }
        infos: list[DescribeModel] = []
        while limit is None or len(infos) < limit:
            want = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(infos))
            query = parse(ListModelsQuery, {**base, "offset": offset + len(infos), "limit": want})
            page = self._client.list_models(query)
            infos.extend(page.models)
            if len(page.models) < want or _all_seen(len(infos), page, offset):
                break
        return infos

    def get_models(
        self,
        sort_by: ModelSortBy | str = ModelSortBy.NAME,
        order_by: OrderBy | str = OrderBy.ASC,
        name: str | None = None,
        description: str | None = None,
        labels: Iterable[str] = (),
        archived: bool | None = None,
        limit: int | None = None,
        offset: int = 0,
        filter: str | None = None,
    ) -> list[Model]:
        """Models matching every filter given; names and descriptions match substrings,
        ``filter`` is an expression of the filter language (as ``search_models``)."""
        infos = self._model_infos(
            sort_by, order_by, name, description, labels, archived, limit, offset, filter
        )
        return [Model(self._client, info) for info in infos]

    def search_models(
        self,
        filter: str,
        sort_by: ModelSortBy | str = ModelSortBy.NAME,
        order_by: OrderBy | str = OrderBy.ASC,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Model]:
        """Models matching a filter expression (README "Search"), sorted as ``get_models``.

        ``reg.search_models("labels contains 'vision' and metadata.owner = 'ana'")``
        """
        infos = self._model_infos(sort_by, order_by, None, None, (), None, limit, offset, filter)
        return [Model(self._client, info) for info in infos]

    def search_versions(
        self,
        filter: str | None = None,
        order_by: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ModelVersion]:
        """Versions of every model matching a filter expression, newest first unless ordered.

        ``reg.search_versions("metrics.acc > 0.9", order_by="metrics.acc desc")``
        """
        check_search(filter, order_by, "versions")
        infos: list[DescribeVersion] = []
        while limit is None or len(infos) < limit:
            want = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(infos))
            fields = {"filter": filter, "order_by": order_by, "limit": want}
            query = parse(SearchVersionsQuery, {**fields, "offset": offset + len(infos)})
            page = self._client.search_versions(query)
            infos.extend(page.versions)
            if len(page.versions) < want or len(infos) >= page.total - offset:
                break
        return [ModelVersion(self._client, info) for info in infos]

    def models_frame(self, **filters: Any) -> pd.DataFrame:
        """``get_models(**filters)`` as a DataFrame, one row a model (``filter=`` an expression)."""
        defaults: dict[str, Any] = {
            "sort_by": ModelSortBy.NAME,
            "order_by": OrderBy.ASC,
            "name": None,
            "description": None,
            "labels": (),
            "archived": None,
            "limit": None,
            "offset": 0,
            "filter": None,
        }
        unknown = set(filters) - set(defaults)
        if unknown:
            raise ValidationError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        return _frames().models_frame(self._model_infos(**{**defaults, **filters}))

    def delete_model(self, name: str) -> None:
        self._client.delete_model(name)

    def get_model_version(self, ref: str) -> ModelVersion:
        """``NAME``, ``NAME:latest``, ``NAME:<alias>``, ``NAME:<n>`` or ``NAME:v<n>``."""
        name, version = split_model_ref(ref)
        info = self._client.get_version(name, str(version))
        return ModelVersion(self._client, info, f"{name}:{version}")

    def get_lineage(self, ref: str, depth: int = 3, max_nodes: int = 200) -> DescribeLineage:
        """The lineage graph around ``NAME[:ref]`` (see :meth:`ModelVersion.lineage_graph`)."""
        name, version = split_model_ref(ref)
        return self._client.get_lineage(name, str(version), depth, max_nodes)

    # checkpoints

    def create_checkpoint(
        self,
        path: str | os.PathLike[str],
        framework: str | None = None,
        format: str | None = None,
        entrypoint: str | None = None,
        hparams: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        run: str | None = None,
        source: dict[str, Any] | None = None,
    ) -> Checkpoint:
        """Copy a file or folder into the registry as an immutable checkpoint.

        Through a server, a small one (under 8 MiB of files) is one request.
        """
        fields = {"framework": framework, "format": format, "entrypoint": entrypoint}
        options = {"hparams": hparams, "metrics": metrics, "metadata": metadata, "run": run}
        return _checkpoint(self._client, path, {**fields, **options, "source": source}, None)[0]

    def save_checkpoint(
        self,
        obj: Any,
        hparams: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        run: str | None = None,
        source: dict[str, Any] | None = None,
    ) -> Checkpoint:
        """Checkpoint an in-memory model through its framework adapter (SPEC §6)."""
        options = {"hparams": hparams, "metrics": metrics, "metadata": metadata, "run": run}
        return _save(self._client, obj, {**options, "source": source}, None)[0]

    def get_checkpoint(self, uuid: str) -> Checkpoint:
        return Checkpoint(self._client, self._client.get_checkpoint(uuid))

    def get_checkpoints(self, run: str | None = None, limit: int | None = None) -> list[Checkpoint]:
        """Newest first; with ``run``, that run's checkpoints in the order they were saved."""
        page = self._client.list_checkpoints(run, limit)
        return [Checkpoint(self._client, info) for info in page.checkpoints]

    def checkpoints_frame(self, run: str | None = None, limit: int | None = None) -> pd.DataFrame:
        return _frames().checkpoints_frame(self._client.list_checkpoints(run, limit).checkpoints)

    # maintenance (embedded, or through the server's admin API)

    def migrate(self) -> str:
        """Upgrade the database schema to this package's head revision; returns it."""
        return self._client.upgrade_schema().revision

    def gc(self, grace: timedelta = timedelta(hours=1)) -> list[str]:
        """Delete artifact blobs that no checkpoint references (older than ``grace``)."""
        request = parse(CollectGarbage, {"grace_seconds": int(grace.total_seconds())})
        return self._client.collect_garbage(request).deleted

    def __repr__(self) -> str:
        return f"<Registry {type(self._client).__name__}>"
