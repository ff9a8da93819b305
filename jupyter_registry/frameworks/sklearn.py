"""scikit-learn estimators and pipelines, stored with skops (no pickle).

``load()`` asks skops which types in the file are not on its trusted list and
refuses them unless ``trusted=True``: skops builds only types it was told to
trust, so a checkpoint cannot run code it was not expected to.

Estimator classes of the user's own (a transformer defined in a notebook cell
or a project module) are stored as code, like PyTorch classes (see
:mod:`.code`); skops always counts them as untrusted, so such a checkpoint
loads with ``trusted=True``, which then imports that stored code in isolation.
Without it no stored code is imported at all (SPEC §7).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import UntrustedCodeError
from ..schemas import DescribeCheckpoint
from .base import SavedModel, entrypoint_table, single_file
from .code import capture_classes, is_installed
from .importer import isolated_code

FILE = "model.skops"


def _custom_classes(type_names: list[str]) -> list[type]:
    """The user's own classes among skops's ``module.Name`` type names."""
    classes = []
    for type_name in type_names:
        module_name, _, name = type_name.rpartition(".")
        module = sys.modules.get(module_name)
        cls = getattr(module, name, None)
        if not isinstance(cls, type):
            continue
        if module_name == "__main__" or (module is not None and not is_installed(module)):
            classes.append(cls)
    return classes


@contextmanager
def _in_main(objects: dict[str, Any]) -> Iterator[None]:
    """Let skops find ``__main__.Name`` while loading; put ``__main__`` back after."""
    main = sys.modules["__main__"]
    missing = object()
    saved = {name: getattr(main, name, missing) for name in objects}
    for name, obj in objects.items():
        setattr(main, name, obj)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is missing:
                delattr(main, name)
            else:
                setattr(main, name, old)


class SklearnAdapter:
    name = "sklearn"
    formats = ("skops",)

    def detect(self, obj: Any) -> bool:
        base = sys.modules.get("sklearn.base")
        return base is not None and isinstance(obj, base.BaseEstimator)

    def save(self, obj: Any, folder: Path) -> SavedModel:
        import sklearn
        import skops
        import skops.io

        data = skops.io.dumps(obj)
        (folder / FILE).write_bytes(data)
        metadata: dict[str, Any] = {
            "estimator": f"{type(obj).__module__}.{type(obj).__qualname__}",
            "skops": skops.__version__,
        }
        classes = _custom_classes(skops.io.get_untrusted_types(data=data))
        if classes:
            entrypoints = capture_classes(classes, folder / "code")
            metadata["custom_classes"] = {
                f"{cls.__module__}.{cls.__name__}": ep
                for cls, ep in zip(classes, entrypoints, strict=True)
            }
        return SavedModel(
            framework=f"scikit-learn-{sklearn.__version__}", format="skops", metadata=metadata
        )

    def load(self, folder: Path, checkpoint: DescribeCheckpoint, trusted: bool) -> Any:
        import skops.io

        file = single_file(folder, FILE, "*.skops")
        untrusted = skops.io.get_untrusted_types(file=file)
        if not untrusted:  # skops builds only what it trusts: no stored code is needed
            return skops.io.load(file, trusted=[])
        custom = entrypoint_table(checkpoint.metadata, "custom_classes")
        if not trusted:
            stored = [t for t in untrusted if t in custom]
            note = (
                f" ({', '.join(stored)} would run code stored in this checkpoint)" if stored else ""
            )
            raise UntrustedCodeError(
                "this skops checkpoint contains types skops does not trust by default, and "
                f"building them could run their code: {', '.join(untrusted)}{note}. "
                "Review them, then load(trusted=True)"
            )
        with isolated_code(folder / "code", environment=None) as resolve:
            in_main = {
                type_name.rpartition(".")[2]: resolve(entrypoint)
                for type_name, entrypoint in custom.items()
                if type_name.startswith("__main__.")
            }
            for type_name, entrypoint in custom.items():
                if not type_name.startswith("__main__."):
                    resolve(entrypoint)  # a project module: importable while inside
            with _in_main(in_main):
                return skops.io.load(file, trusted=untrusted)
