"""The one contract both clients satisfy, so one test suite runs against both.

It mirrors :class:`~jupyter_registry.service.RegistryService` except where
bytes cross a process boundary: the client uploads a local file (the HTTP
client hashes it while sending it, in resumable chunks) and reads a blob as a
verified stream. A client that can send a small checkpoint whole in one
request is a :class:`BundleSender`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..schemas import (
    BlobInfo,
    BundleVersion,
    ChangesQuery,
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
    SchemaRevision,
    SearchVersionsQuery,
    SetAlias,
    SetBases,
    StartUpload,
    UpdateModel,
    UpdateVersion,
    UploadStatus,
)

Progress = Callable[[int], object]
VersionKey = int | str | None


@runtime_checkable
class ChangeSource(Protocol):
    """A client that hears its own committed changes (the in-process one): live views use it.

    A remote client hears nothing of other processes' changes, so it is not one.
    """

    listeners: list[Listener]


@runtime_checkable
class BundleSender(Protocol):
    """A client for which one request beats several: it sends a small checkpoint whole.

    The files' hashes are computed from ``sources`` (checkpoint path, local
    file) as they are read; ``request`` gives everything else.
    """

    def sends_bundles(self) -> bool:
        """Whether small checkpoints go whole to the server (not when blobs go to a bucket)."""
        ...

    def create_bundle(
        self,
        request: CreateCheckpoint,
        version: BundleVersion | None,
        sources: Sequence[tuple[str, Path]],
    ) -> CreatedBundle: ...


class AdminClient(Protocol):
    """Maintenance of the registry's storage, embedded or through a server's admin API."""

    def upgrade_schema(self) -> SchemaRevision:
        """Upgrade the database schema to this package's head revision."""
        ...

    def collect_garbage(self, request: CollectGarbage) -> GarbageCollected:
        """Delete blobs no checkpoint references that are older than the grace period."""
        ...


class RegistryClient(AdminClient, Protocol):
    def get_identity(self) -> DescribeIdentity: ...

    def create_model(self, request: CreateModel) -> DescribeModel: ...
    def get_model(self, name: str) -> DescribeModel: ...
    def list_models(self, query: ListModelsQuery) -> ListModelsResponse: ...
    def update_model(self, name: str, request: UpdateModel) -> DescribeModel: ...
    def patch_model_metadata(self, name: str, patch: PatchMetadata) -> DescribeModel: ...
    def delete_model(self, name: str) -> None: ...
    def list_maintainers(self, name: str) -> ListMaintainersResponse: ...
    def add_maintainer(self, name: str, user_name: str) -> ListMaintainersResponse: ...
    def remove_maintainer(self, name: str, user_name: str) -> None: ...

    def register_version(self, model_name: str, request: RegisterVersion) -> DescribeVersion: ...
    def get_version(self, model_name: str, ref: VersionKey = None) -> DescribeVersion: ...
    def list_versions(
        self, model_name: str, offset: int = 0, limit: int | None = None
    ) -> ListVersionsResponse: ...
    def compare_versions(self, model_name: str, query: CompareQuery) -> DescribeComparison: ...
    def search_versions(self, query: SearchVersionsQuery) -> ListVersionsResponse: ...
    def update_version(
        self, model_name: str, ref: VersionKey, request: UpdateVersion
    ) -> DescribeVersion: ...
    def patch_version_metadata(
        self, model_name: str, ref: VersionKey, patch: PatchMetadata
    ) -> DescribeVersion: ...
    def delete_version(self, model_name: str, ref: VersionKey) -> None: ...
    def set_version_bases(
        self, model_name: str, ref: VersionKey, request: SetBases
    ) -> DescribeVersion: ...
    def get_lineage(
        self, model_name: str, ref: VersionKey = None, depth: int = 3, max_nodes: int = 200
    ) -> DescribeLineage: ...
    def set_alias(self, model_name: str, alias: str, request: SetAlias) -> DescribeVersion: ...
    def remove_alias(self, model_name: str, alias: str) -> None: ...
    def get_history(
        self, model_name: str, offset: int = 0, limit: int | None = None
    ) -> ListActionsResponse: ...
    def list_changes(self, query: ChangesQuery) -> ListChangesResponse: ...

    def upload_file(self, path: Path, progress: Progress | None = None) -> BlobInfo: ...
    def start_upload(self, request: StartUpload) -> UploadStatus: ...
    def get_upload(self, upload_id: str) -> UploadStatus: ...
    def commit_upload(self, upload_id: str, request: CommitUpload) -> BlobInfo: ...
    def delete_upload(self, upload_id: str) -> None: ...
    def read_blob(self, sha256: str) -> tuple[int, Iterator[bytes]]: ...
    def create_checkpoint(self, request: CreateCheckpoint) -> DescribeCheckpoint: ...
    def get_checkpoint(self, checkpoint_uuid: str) -> DescribeCheckpoint: ...
    def list_checkpoints(
        self, run: str | None = None, limit: int | None = None
    ) -> ListCheckpointsResponse: ...
    def delete_checkpoint(self, checkpoint_uuid: str) -> None: ...
    def get_tensors(self, checkpoint_uuid: str, path: str) -> DescribeTensors: ...

    # Presigned transfers of an S3 store; the HTTP client uses them inside
    # upload_file and read_blob when the server offers them.
    def get_direct_transfer(self) -> DirectTransfer: ...
    def presign_upload(self, sha256: str, request: PresignUpload) -> PresignedUpload: ...
    def complete_direct_upload(self, sha256: str, request: CompleteDirectUpload) -> BlobInfo: ...
    def presign_download(self, sha256: str) -> PresignedDownload: ...
