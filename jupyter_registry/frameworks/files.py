"""Plain files and folders: loading returns the local folder itself.

Paths are checkpointed by ``create_checkpoint(path)``, which streams them
straight into the artifact store, so this adapter never claims an object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..schemas import DescribeCheckpoint
from .base import SavedModel


class FilesAdapter:
    name = "files"
    formats = ("files", None)

    def detect(self, obj: Any) -> bool:
        return False

    def save(self, obj: Any, folder: Path) -> SavedModel:
        raise ValidationError("files and folders are checkpointed with create_checkpoint(path)")

    def load(self, folder: Path, checkpoint: DescribeCheckpoint, trusted: bool) -> Any:
        return folder
