"""Keras 3 models as ``.keras`` archives, loadable with any backend.

``load()`` uses Keras's safe mode unless ``trusted=True``: safe mode refuses
``Lambda`` layers and other deserialised Python code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..schemas import DescribeCheckpoint
from .base import SavedModel, single_file

FILE = "model.keras"


class KerasAdapter:
    name = "keras"
    formats = ("keras",)

    def detect(self, obj: Any) -> bool:
        keras = sys.modules.get("keras")
        model = getattr(keras, "Model", None) if keras is not None else None
        return isinstance(model, type) and isinstance(obj, model)

    def save(self, obj: Any, folder: Path) -> SavedModel:
        import keras

        obj.save(folder / FILE)
        return SavedModel(
            framework=f"keras-{keras.__version__}",
            format="keras",
            metadata={"keras_backend": keras.backend.backend()},
        )

    def load(self, folder: Path, checkpoint: DescribeCheckpoint, trusted: bool) -> Any:
        import keras

        file = single_file(folder, FILE, "*.keras")
        try:
            return keras.saving.load_model(file, safe_mode=not trusted)
        except ValueError as exc:
            if "safe_mode" in str(exc) and not trusted:
                raise ValidationError(
                    f"this Keras model holds Python code (e.g. a Lambda layer) that Keras's safe "
                    f"mode refuses to deserialise: {exc}. Review it, then load(trusted=True)"
                ) from None
            raise
