"""Pickle and joblib files: loaded only with ``trusted=True``.

Unpickling runs whatever code the file names, so a pickle from someone else
is a program you run. This adapter never writes pickles (``detect`` claims
nothing); it loads checkpoints made from existing ``.pkl``/``.joblib`` files,
``create_checkpoint("model.pkl", format="pickle")``, once the user says they
trust them.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from ..errors import UntrustedCodeError, ValidationError
from ..schemas import DescribeCheckpoint
from .base import SavedModel, single_file


class PickleAdapter:
    name = "pickle"
    formats = ("pickle", "joblib")

    def detect(self, obj: Any) -> bool:
        return False

    def save(self, obj: Any, folder: Path) -> SavedModel:
        raise ValidationError(
            "jupyter_registry does not write pickles; save a file yourself and use "
            "create_checkpoint(path, format='pickle')"
        )

    def load(self, folder: Path, checkpoint: DescribeCheckpoint, trusted: bool) -> Any:
        fmt = checkpoint.format
        if not trusted:
            raise UntrustedCodeError(
                f"refusing to load a {fmt} checkpoint: unpickling runs arbitrary code stored "
                "in the file. Load it only if you trust who made it: load(trusted=True)"
            )
        suffix = ".joblib" if fmt == "joblib" else ".pkl"
        if fmt == "pickle" and not any(folder.rglob("*.pkl")):
            suffix = ".pickle"
        file = single_file(folder, f"model{suffix}", f"*{suffix}")
        if fmt == "joblib":
            import joblib

            return joblib.load(file)
        with file.open("rb") as handle:
            return pickle.load(handle)
