"""The adapter interface (detect, save, load) and its entry-point discovery."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import ValidationError
from ..schemas import DescribeCheckpoint

ENTRY_POINT_GROUP = "jupyter_registry.frameworks"
#: This package's own adapters by the formats they load (as its entry points declare them):
#: a load finds its adapter without reading every installed distribution's metadata, which
#: costs a new process more than the rest of loading a cached checkpoint besides the imports.
OWN_ADAPTERS = {
    "files": "files:FilesAdapter",
    None: "files:FilesAdapter",
    "keras": "keras:KerasAdapter",
    "pickle": "pickled:PickleAdapter",
    "joblib": "pickled:PickleAdapter",
    "skops": "sklearn:SklearnAdapter",
    "safetensors": "torch:TorchAdapter",
}


@dataclass(frozen=True)
class SavedModel:
    """What an adapter wrote into a checkpoint folder."""

    framework: str
    format: str
    entrypoint: str | None = None
    hparams: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class FrameworkAdapter(Protocol):
    """One framework: recognise its objects, save them safely, load them back."""

    name: str
    formats: tuple[str, ...]

    def detect(self, obj: Any) -> bool: ...

    def save(self, obj: Any, folder: Path) -> SavedModel: ...

    def load(self, folder: Path, checkpoint: DescribeCheckpoint, trusted: bool) -> Any: ...


@cache
def adapters() -> tuple[FrameworkAdapter, ...]:
    """Installed adapters; entry points that fail to import are skipped."""
    from importlib.metadata import entry_points  # slow to import: only when asked

    found = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        try:
            adapter = point.load()()
        except ImportError:
            continue
        found.append(adapter)
    return tuple(found)


def entrypoint_table(metadata: dict[str, Any], key: str) -> dict[str, str]:
    """``metadata[key]``, a name → entrypoint mapping that save() wrote; checked, not trusted."""
    table = metadata.get(key) or {}
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in table.items()
    ):
        raise ValidationError(f"checkpoint metadata {key!r} must map names to entrypoints")
    return table


def single_file(folder: Path, name: str, pattern: str) -> Path:
    """The checkpoint's model file: ``name`` if present, else the one file matching ``pattern``."""
    if (folder / name).is_file():
        return folder / name
    found = sorted(p for p in folder.rglob(pattern) if p.is_file())
    if len(found) != 1:
        raise ValidationError(
            f"expected one {pattern} file in the checkpoint, found {len(found)}"
            + (
                f": {', '.join(p.relative_to(folder).as_posix() for p in found[:5])}"
                if found
                else ""
            )
        )
    return found[0]


def adapter_for_object(obj: Any) -> FrameworkAdapter:
    for adapter in adapters():
        if adapter.detect(obj):
            return adapter
    raise ValidationError(
        f"no framework adapter can save a {type(obj).__module__}.{type(obj).__qualname__}; "
        f"installed adapters: {', '.join(a.name for a in adapters()) or 'none'}"
    )


@cache
def _own_adapter(fmt: str | None) -> FrameworkAdapter | None:
    target = OWN_ADAPTERS.get(fmt)
    if target is None:
        return None
    module, _, name = target.partition(":")
    adapter: FrameworkAdapter = getattr(import_module(f"{__package__}.{module}"), name)()
    return adapter


def adapter_for_format(fmt: str | None) -> FrameworkAdapter | None:
    """The adapter that loads ``fmt``: this package's own, else the first installed one."""
    own = _own_adapter(fmt)
    if own is not None:
        return own
    for adapter in adapters():
        if fmt in adapter.formats:
            return adapter
    return None
