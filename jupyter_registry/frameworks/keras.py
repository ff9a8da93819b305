"""Keras 3 models as ``.keras`` archives, loadable with any backend.

Classes of the user's own (a subclassed ``keras.Model``, custom layers) defined
in a notebook cell or a project module are stored as code, like PyTorch
classes (see :mod:`.code`), and handed to Keras as ``custom_objects`` when the
model is loaded, so it loads in a fresh process. ``load()`` uses Keras's safe
mode unless ``trusted=True``: safe mode refuses ``Lambda`` layers and other
deserialised Python code. Likewise a default ``load()`` (SPEC §7) takes custom
objects only from the checkpoint's code or Keras itself, and only layer classes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import UntrustedCodeError
from ..schemas import DescribeCheckpoint
from .base import SavedModel, entrypoint_table, single_file
from .code import capture_classes, is_installed
from .importer import load_entrypoints, model_class

FILE = "model.keras"
#: What a default load() may import from outside the checkpoint's code.
FRAMEWORK_MODULES = ("keras",)


def _custom_classes(model: Any) -> list[type]:
    """Classes of the model's layers that neither Keras nor an installed package provide."""
    classes: dict[type, None] = {}
    for layer in model._flatten_layers(include_self=True, recursive=True):
        cls = type(layer)
        module = sys.modules.get(cls.__module__)
        if cls.__module__ == "__main__" or (module is not None and not is_installed(module)):
            classes[cls] = None
    return list(classes)


class KerasAdapter:
    name = "keras"
    formats = ("keras",)

    def detect(self, obj: Any) -> bool:
        keras = sys.modules.get("keras")
        model = getattr(keras, "Model", None) if keras is not None else None
        return isinstance(model, type) and isinstance(obj, model)

    def save(self, obj: Any, folder: Path) -> SavedModel:
        import keras

        classes = _custom_classes(obj)
        entrypoints = capture_classes(classes, folder / "code") if classes else []
        custom = {
            keras.saving.get_registered_name(cls): entrypoint
            for cls, entrypoint in zip(classes, entrypoints, strict=True)
        }
        obj.save(folder / FILE)
        metadata: dict[str, Any] = {"keras_backend": keras.backend.backend()}
        if custom:
            metadata["custom_objects"] = custom
        return SavedModel(
            framework=f"keras-{keras.__version__}",
            format="keras",
            entrypoint=entrypoints[classes.index(type(obj))] if type(obj) in classes else None,
            metadata=metadata,
        )

    def load(self, folder: Path, checkpoint: DescribeCheckpoint, trusted: bool) -> Any:
        import keras

        file = single_file(folder, FILE, "*.keras")
        custom = entrypoint_table(checkpoint.metadata, "custom_objects")
        environment = None if trusted else FRAMEWORK_MODULES
        objects = load_entrypoints(folder / "code", list(custom.values()), environment)
        if not trusted:
            for entrypoint, obj in zip(custom.values(), objects, strict=True):
                model_class(obj, keras.layers.Layer, "keras.layers.Layer", entrypoint)
        try:
            return keras.saving.load_model(
                file, custom_objects=dict(zip(custom, objects, strict=True)), safe_mode=not trusted
            )
        except ValueError as exc:
            if "safe_mode" in str(exc) and not trusted:
                raise UntrustedCodeError(
                    f"this Keras model holds Python code (e.g. a Lambda layer) that Keras's safe "
                    f"mode refuses to deserialise: {exc}. Review it, then load(trusted=True)"
                ) from None
            raise
