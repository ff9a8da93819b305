"""The in-process client: the service itself, plus copying a local file in."""

from __future__ import annotations

from pathlib import Path

from ..schemas import BlobInfo
from ..service import RegistryService
from .protocol import Progress


class LocalClient:
    """Satisfies :class:`RegistryClient` and :class:`ChangeSource` by calling the service
    in this process."""

    def __init__(self, service: RegistryService, location: str = "") -> None:
        self.service = service
        #: Which registry this is (its database URL), for the load cache's records of its refs.
        self.location = location
        self.get_identity = service.get_identity
        #: Called after each change this client's service commits (see ChangeSource).
        self.listeners = service.listeners
        self.create_model = service.create_model
        self.get_model = service.get_model
        self.list_models = service.list_models
        self.update_model = service.update_model
        self.patch_model_metadata = service.patch_model_metadata
        self.delete_model = service.delete_model
        self.list_maintainers = service.list_maintainers
        self.add_maintainer = service.add_maintainer
        self.remove_maintainer = service.remove_maintainer
        self.register_version = service.register_version
        self.get_version = service.get_version
        self.list_versions = service.list_versions
        self.compare_versions = service.compare_versions
        self.search_versions = service.search_versions
        self.update_version = service.update_version
        self.patch_version_metadata = service.patch_version_metadata
        self.delete_version = service.delete_version
        self.set_version_bases = service.set_version_bases
        self.get_lineage = service.get_lineage
        self.set_alias = service.set_alias
        self.remove_alias = service.remove_alias
        self.get_history = service.get_history
        self.list_changes = service.list_changes
        self.read_blob = service.read_blob
        self.start_upload = service.start_upload
        self.get_upload = service.get_upload
        self.commit_upload = service.commit_upload
        self.delete_upload = service.delete_upload
        self.create_checkpoint = service.create_checkpoint
        self.get_checkpoint = service.get_checkpoint
        self.list_checkpoints = service.list_checkpoints
        self.delete_checkpoint = service.delete_checkpoint
        self.get_tensors = service.get_tensors
        self.get_direct_transfer = service.get_direct_transfer
        self.presign_upload = service.presign_upload
        self.complete_direct_upload = service.complete_direct_upload
        self.presign_download = service.presign_download
        self.upgrade_schema = service.upgrade_schema
        self.collect_garbage = service.collect_garbage

    def upload_file(self, path: Path, progress: Progress | None = None) -> BlobInfo:
        return self.service.put_file(str(path), progress)
