"""Import a checkpoint's entrypoint from its code folder, in isolation.

An entrypoint is Determined's ``<module>:<object reference>`` (SPEC §6):
``<module>`` is relative to the checkpoint's code folder (empty: the folder is
a package and the object is in its ``__init__``), the reference may be dotted
(``trial_classes.NestedTrial``).

Two versions of a model usually ship modules with the same names
(``model_def``, ``nets.zoo``). To load both in one process, the modules of a
code folder are imported under a temporary finder that only knows that
folder; afterwards they are taken out of ``sys.modules`` again and whatever
was there before under those names is put back. The loaded objects keep
their module globals alive, so they keep working.

What may be imported from outside the code folder is the caller's choice
(``environment``): for a default ``load()`` only the framework's own modules
(SPEC §7, "Nothing runs unasked"), checked *before* the import, so a module
that acts when imported never gets to; ``None`` (``load(trusted=True)``)
allows any installed module.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import UntrustedCodeError, ValidationError
from ..schemas import check_entrypoint

_LOCK = threading.RLock()


class _FolderFinder(importlib.abc.MetaPathFinder):
    """Finds the top-level modules of one folder, and nothing else."""

    def __init__(self, root: Path, names: frozenset[str]) -> None:
        self.root = str(root)
        self.names = names

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if "." in fullname or fullname not in self.names:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [self.root])


def top_level_names(root: Path) -> frozenset[str]:
    """Module and package names importable from the top of ``root``."""
    if not root.is_dir():
        return frozenset()
    names = set()
    for child in root.iterdir():
        if child.is_dir() and child.name.isidentifier():
            names.add(child.name)
        elif child.suffix == ".py" and child.stem.isidentifier() and child.stem != "__init__":
            names.add(child.stem)
    return frozenset(names)


def _resolve(module: ModuleType, reference: str, entrypoint: str) -> Any:
    obj: Any = module
    for part in reference.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            owner = getattr(obj, "__name__", obj)
            raise ValidationError(
                f"entrypoint {entrypoint!r}: {type(obj).__name__} {owner!r} "
                f"has no attribute {part!r}"
            ) from None
    return obj


def _package_module(root: Path) -> ModuleType:
    """The code folder itself as a package (empty ``<module>``), under a unique name."""
    init = root / "__init__.py"
    if not init.is_file():
        single = [p for p in root.glob("*.py")]
        if len(single) != 1:
            raise ValidationError(
                f"entrypoint with an empty module needs {root.name}/__init__.py "
                "(or a code folder holding exactly one .py file)"
            )
        init = single[0]
    name = "_jupyter_registry_code_" + hashlib.sha256(str(root).encode()).hexdigest()[:16]
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(root)] if init.name == "__init__.py" else None
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
    return module


def _within(module_name: str, packages: Collection[str]) -> bool:
    return any(module_name == p or module_name.startswith(p + ".") for p in packages)


def _untrusted(entrypoint: str, what: str, environment: Collection[str]) -> UntrustedCodeError:
    allowed = ", ".join(sorted(environment)) or "nothing else"
    return UntrustedCodeError(
        f"entrypoint {entrypoint!r} names {what}, which is neither the checkpoint's own code "
        f"nor part of the framework ({allowed}); a default load() does not import it. "
        "If you trust this checkpoint and that module, load(trusted=True)"
    )


def _load_one(
    root: Path | None,
    names: frozenset[str],
    entrypoint: str,
    environment: Collection[str] | None,
) -> Any:
    try:
        check_entrypoint(entrypoint)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    module_name, _, reference = entrypoint.partition(":")
    if not module_name:
        if root is None:
            raise ValidationError(
                f"entrypoint {entrypoint!r} names the code folder's package, "
                "but the checkpoint has no code folder"
            )
        return _resolve(_package_module(root), reference, entrypoint)
    in_code = module_name.partition(".")[0] in names
    if not in_code and environment is not None and not _within(module_name, environment):
        raise _untrusted(entrypoint, f"module {module_name!r}", environment)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if in_code:
            raise ValidationError(
                f"entrypoint {entrypoint!r}: importing {module_name!r} from the checkpoint's "
                f"code failed: {exc}"
            ) from exc
        where = "the checkpoint's code folder or " if root is not None else ""
        raise ValidationError(
            f"entrypoint {entrypoint!r}: module {module_name!r} is not in "
            f"{where}this environment ({exc})"
        ) from None
    obj = _resolve(module, reference, entrypoint)
    if not in_code and environment is not None:
        # An attribute chain can walk from an allowed module into any other one.
        owner = getattr(obj, "__module__", None)
        if not isinstance(owner, str) or not _within(owner, environment):
            raise _untrusted(entrypoint, f"an object of module {owner!r}", environment)
    return obj


@contextmanager
def isolated_code(
    code: Path | None, environment: Collection[str] | None = ()
) -> Iterator[Callable[[str], Any]]:
    """Within: ``code``'s modules are importable; after: gone, and ``sys.modules`` as before.

    Yields a function resolving an entrypoint. Everything imported inside one
    block shares one import of the code folder (a custom layer and the model
    using it see the same class). A module the folder does not hold is imported
    from the environment (e.g. ``torch.nn.modules.linear:Linear``) only if it
    is in one of the ``environment`` packages, or ``environment`` is ``None``;
    otherwise it is an :class:`UntrustedCodeError`, raised before the import.
    """
    root = code if code is not None and code.is_dir() else None
    names = top_level_names(root) if root is not None else frozenset()

    def ours(key: str) -> bool:
        return key.partition(".")[0] in names

    with _LOCK:
        shadowed = {key: sys.modules.pop(key) for key in list(sys.modules) if ours(key)}
        finder = _FolderFinder(root, names) if root is not None else None
        if finder is not None:
            sys.meta_path.insert(0, finder)
            importlib.invalidate_caches()
        try:
            yield lambda entrypoint: _load_one(root, names, entrypoint, environment)
        finally:
            if finder is not None:
                sys.meta_path.remove(finder)
            for key in [k for k in sys.modules if ours(k)]:
                del sys.modules[key]
            sys.modules.update(shadowed)


def load_entrypoints(
    code: Path | None, entrypoints: list[str], environment: Collection[str] | None = ()
) -> list[Any]:
    """The objects ``entrypoints`` name, imported together from ``code`` in isolation."""
    with isolated_code(code, environment) as resolve:
        return [resolve(entrypoint) for entrypoint in entrypoints]


def load_entrypoint(
    code: Path | None, entrypoint: str, environment: Collection[str] | None = ()
) -> Any:
    """The object ``entrypoint`` names, imported in isolation (see :func:`load_entrypoints`)."""
    return load_entrypoints(code, [entrypoint], environment)[0]


def model_class(obj: Any, base: type, base_name: str, entrypoint: str) -> type:
    """``obj`` if it is a subclass of the framework's model ``base``, checked before any call.

    A default ``load()`` constructs nothing else: a function or another class
    named by a checkpoint could do anything when called with its arguments.
    """
    if isinstance(obj, type) and issubclass(obj, base):
        return obj
    what = f"class {obj.__qualname__}" if isinstance(obj, type) else type(obj).__name__
    raise UntrustedCodeError(
        f"entrypoint {entrypoint!r} names a {what}, not a subclass of {base_name}, "
        "so a default load() does not call it. If you trust this checkpoint, load(trusted=True)"
    )
