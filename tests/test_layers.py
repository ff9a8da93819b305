"""The layers' boundaries, checked on the source so that a leak cannot come back.

Imports point down only: the store never imports the service or an adapter,
the service never imports an adapter, and adapters (the REST server, CLI,
magics, widgets and clients) reach the data only through the service or the
client protocol. No adapter or SDK object reaches another object's private
attributes (``other._x``) or the service's internals (its store, engine or
blob store).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "jupyter_registry"
ADAPTERS = ("server", "cli", "client", "widgets", "magics.py")
#: What an adapter or the SDK must not name: the service's storage internals.
SERVICE_INTERNALS = frozenset({"store", "blobs", "engine"})


def _files(*parts: str) -> Iterator[Path]:
    for part in parts:
        path = PACKAGE / part
        yield from (path.rglob("*.py") if path.is_dir() else [path])


def _imports(path: Path) -> set[str]:
    """Imported modules, relative ones resolved to ``jupyter_registry.…`` names."""
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _reaches(path: Path, *modules: str) -> list[str]:
    wanted = [f"jupyter_registry.{m}" for m in modules]
    return sorted(
        name
        for name in _imports(path)
        if any(name == w or name.startswith(f"{w}.") for w in wanted)
    )


def test_store_and_artifacts_never_import_upward() -> None:
    upward = ("service", "sdk", "server", "client", "cli", "magics", "widgets")
    for path in _files("store"):
        assert not _reaches(path, *upward), path
    for path in _files("artifacts"):
        assert not _reaches(path, "service", "sdk", "store", *upward[2:]), path


def test_service_never_imports_an_adapter() -> None:
    assert not _reaches(PACKAGE / "service.py", "sdk", "server", "client", "cli", "magics")
    assert not _reaches(PACKAGE / "service.py", "widgets")


def test_adapters_never_import_the_store_or_the_blob_store() -> None:
    for path in _files(*ADAPTERS, "sdk.py"):
        assert not _reaches(path, "store", "artifacts.cas"), path


def test_the_http_client_stands_alone() -> None:
    http = PACKAGE / "client" / "http.py"
    assert not _reaches(http, "server", "store", "service", "artifacts.cas")


def _private_reaches(path: Path) -> list[str]:
    """``x._name`` where ``x`` is not ``self``/``cls``: another object's private state."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Attribute):
            continue
        name, owner = node.attr, node.value
        private = name.startswith("_") and not name.startswith("__")
        if private and not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
            found.append(f"{path.name}:{node.lineno} .{name}")
        if name in SERVICE_INTERNALS:
            found.append(f"{path.name}:{node.lineno} .{name}")
    return found


def test_no_adapter_reaches_private_state_or_service_internals() -> None:
    found = [hit for path in _files(*ADAPTERS, "sdk.py") for hit in _private_reaches(path)]
    assert found == []


def test_no_adapter_imports_a_private_name() -> None:
    for path in _files(*ADAPTERS, "sdk.py"):
        private = [
            alias.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
            if alias.name.startswith("_") and not alias.name.startswith("__")
        ]
        assert private == [], path


#: Process-wide caches still allowed, each with its reason.
ALLOWED_GLOBAL_STATE = {
    # A click parameter type: a stateless parser, as click's own INT and STRING are.
    ("cli/params.py", "JSON_OBJECT"),
    # A SQLAlchemy column type, as stateless as sqlalchemy.JSON() itself.
    ("store/orm.py", "JsonValue"),
    # MLflow's route table, filled by its endpoints' decorators at import and only read after.
    ("server/mlflow.py", "ENDPOINTS"),
}
STATEFUL_CALLS = frozenset({"ContextVar", "ThreadPoolExecutor", "ProcessPoolExecutor"})


def _frozen(node: ast.ClassDef) -> bool:
    """A ``@dataclass(frozen=True)``: its instances are constants, not state."""
    return any(
        isinstance(d, ast.Call)
        and getattr(d.func, "id", None) == "dataclass"
        and any(k.arg == "frozen" and getattr(k.value, "value", False) for k in d.keywords)
        for d in node.decorator_list
    )


def _module_state(path: Path) -> list[str]:
    """Module-level mutable state: empty containers, context variables, pools, instances of
    the module's own (unfrozen) classes."""
    tree = ast.parse(path.read_text())
    classes = {
        node.name for node in tree.body if isinstance(node, ast.ClassDef) and not _frozen(node)
    }
    found = [f"global {', '.join(n.names)}" for n in ast.walk(tree) if isinstance(n, ast.Global)]
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            called = value.func if isinstance(value, ast.Call) else None
            callee = getattr(called, "id", getattr(called, "attr", None))
            empty = isinstance(value, ast.List | ast.Dict | ast.Set) and not (
                getattr(value, "elts", None) or getattr(value, "keys", None)
            )
            if empty or callee in STATEFUL_CALLS or callee in classes:
                found.extend(ast.unparse(t) for t in targets)
    relative = path.relative_to(PACKAGE).as_posix()
    return [name for name in found if (relative, name) not in ALLOWED_GLOBAL_STATE]


def test_no_module_global_state() -> None:
    found = {
        path.relative_to(PACKAGE).as_posix(): state
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts and (state := _module_state(path))
    }
    assert found == {}
