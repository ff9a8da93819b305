"""Code capture: what a fresh process needs to rebuild a model object.

``capture_code(cls, code_dir)`` writes the code of ``cls`` into ``code_dir``
and returns its entrypoint (``<module>:<object reference>``, SPEC §6):

- a class defined in a notebook cell (or a script's ``__main__``): its source,
  the notebook definitions it uses (helper functions, base classes, literal
  constants) and the imports that bind the names it uses, taken from the
  kernel's cell history, become ``code/model_def.py`` → ``model_def:Net``;
- a class from a module of the user's own project: the module's folder is
  copied (the folder holding a ``.registryignore`` if there is one, honouring
  it; otherwise the top-level package or the single module file) →
  ``nets.zoo:Zoo.MLP``;
- a class from an installed package: nothing is copied; the entrypoint names
  the installed module (``torch.nn.modules.linear:Linear``).

``constructor_args(obj)`` recovers the ``__init__`` arguments an object was
built with when it keeps them as attributes (``self.hidden = hidden``), the
way scikit-learn's ``get_params`` does.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import json
import linecache
import shutil
import sys
import sysconfig
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..artifacts.collect import IGNORE_FILE, collect
from ..errors import ValidationError

MODULE_NAME = "model_def"


class CodeCaptureWarning(UserWarning):
    """The stored code may not rebuild the model in a fresh process."""


_BUILTINS = frozenset(dir(builtins))


# -- where a class lives ------------------------------------------------------------


def _installed_roots() -> list[Path]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return [Path(r).resolve() for r in roots]


def is_installed(module: ModuleType) -> bool:
    """A module of the standard library or an installed (non-editable) package."""
    file = getattr(module, "__file__", None)
    if file is None:
        return module.__name__ in sys.builtin_module_names
    path = Path(file).resolve()
    if any(part in ("site-packages", "dist-packages") for part in path.parts):
        return True
    return any(path.is_relative_to(root) for root in _installed_roots())


def project_root(module: ModuleType) -> tuple[Path, Path]:
    """(the folder on ``sys.path`` holding ``module``, what of it to copy)."""
    parts = module.__name__.split(".")
    file = Path(module.__file__ or "").resolve()
    depth = len(parts) if file.name == "__init__.py" else len(parts) - 1
    root = file.parents[depth]
    if (root / IGNORE_FILE).is_file():
        return root, root
    top = root / parts[0]
    return root, top if top.is_dir() else top.with_suffix(".py")


def copy_project(module: ModuleType, code_dir: Path) -> None:
    """Copy the user's project that holds ``module`` into ``code_dir``."""
    root, what = project_root(module)
    base = code_dir if what == root else code_dir / what.name
    for entry in collect(what):
        target = base / entry.path if what.is_dir() else base
        if entry.is_dir:
            target.mkdir(parents=True, exist_ok=True)
        elif entry.source is not None and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(entry.source, target)


# -- notebook cells -----------------------------------------------------------------


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _cells(classes: list[type]) -> list[str]:
    """The code the ``__main__`` namespace was built from, oldest first."""
    cells: list[str] = []
    shell = _shell()
    if shell is not None:
        history = shell.user_ns.get("In") or shell.user_ns.get("_ih") or []
        cells.extend(str(c) for c in history if c)
    else:
        main_file = getattr(sys.modules.get("__main__"), "__file__", None)
        if main_file and Path(main_file).is_file():
            cells.append(Path(main_file).read_text())
    # The cells that really defined these class objects (they may have been redefined since).
    for cls in classes:
        for value in vars(cls).values():
            func = getattr(value, "__func__", value)
            code = getattr(func, "__code__", None)
            if code is not None:
                lines = linecache.getlines(code.co_filename)
                if lines:
                    cells.append("".join(lines))
                break
    return cells


@dataclass
class _Definition:
    name: str
    text: str
    node: ast.AST | None
    order: tuple[int, int]
    is_import: bool


def _segment(source: str, node: ast.stmt) -> str:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    lines = source.splitlines()[start - 1 : node.end_lineno]
    return "\n".join(lines)


def _import_text(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> str:
    name = alias.name + (f" as {alias.asname}" if alias.asname else "")
    if isinstance(node, ast.Import):
        return f"import {name}"
    return f"from {'.' * node.level}{node.module or ''} import {name}"


def _definitions(cells: list[str]) -> dict[str, _Definition]:
    """The latest top-level binding of each name across the cells."""
    found: dict[str, _Definition] = {}
    for index, cell in enumerate(cells):
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        for node in tree.body:
            order = (index, node.lineno)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if isinstance(node, ast.ImportFrom) and node.level:
                    continue
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    bound = alias.asname or alias.name.partition(".")[0]
                    text = _import_text(node, alias)
                    found[bound] = _Definition(bound, text, None, order, True)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[node.name] = _Definition(node.name, _segment(cell, node), node, order, False)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if node.value is None or not all(isinstance(t, ast.Name) for t in targets):
                    continue
                try:
                    ast.literal_eval(node.value)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    for target in targets:
                        found.pop(target.id, None)  # type: ignore[attr-defined]
                    continue
                for target in targets:
                    name = target.id  # type: ignore[attr-defined]
                    found[name] = _Definition(name, _segment(cell, node), node, order, False)
    return found


def _names_used(node: ast.AST) -> set[str]:
    used = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            used.add(sub.id)
    return used - _BUILTINS


def _names_bound_inside(node: ast.AST) -> set[str]:
    """Names a definition binds for itself: arguments, assignments, inner defs, imports."""
    bound = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
            bound.add(sub.id)
        elif isinstance(sub, ast.arg):
            bound.add(sub.arg)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(sub.name)
        elif isinstance(sub, ast.alias):
            bound.add(sub.asname or sub.name.partition(".")[0])
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            bound.add(sub.name)
    return bound


def _import_for_value(name: str, value: Any) -> str | None:
    """An import statement that binds ``name`` to ``value`` in a fresh process."""
    if isinstance(value, ModuleType):
        module = value.__name__
        return f"import {module}" if module == name else f"import {module} as {name}"
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    if not module or module == "__main__" or not qualname or "." in qualname:
        return None
    return f"from {module} import {qualname}" + ("" if qualname == name else f" as {name}")


def _literal(value: Any) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def _user_modules_of(namespace: dict[str, Any], name: str) -> list[ModuleType]:
    """The user-project module that ``name`` (bound by an import) comes from, if any."""
    value = namespace.get(name)
    if value is None:
        return []
    module_name = (
        value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", "")
    )
    module = sys.modules.get(module_name or "")
    if module is None or module_name == "__main__" or is_installed(module):
        return []
    return [module]


def _dependencies(
    tops: list[str], definitions: dict[str, _Definition], namespace: dict[str, Any]
) -> tuple[dict[str, _Definition], dict[str, str], list[ModuleType]]:
    """Everything the top-level names need, followed name by name through the cells.

    Returns the cell definitions to copy, statements synthesized for values
    with no defining cell (imports, literals), and the user's own modules that
    must travel with the code.
    """
    wanted: dict[str, _Definition] = {}
    synthesized: dict[str, str] = {}
    user_modules: list[ModuleType] = []
    todo = list(tops)
    while todo:
        name = todo.pop()
        if name in wanted or name in synthesized:
            continue
        definition = definitions.get(name)
        if definition is not None:
            wanted[name] = definition
            if definition.is_import:
                user_modules += _user_modules_of(namespace, name)
            elif definition.node is not None:
                todo.extend(_names_used(definition.node))
            continue
        if name not in namespace or name.startswith("_"):
            continue  # a local variable, a builtin, or IPython's own names
        value = namespace[name]
        statement = _import_for_value(name, value)
        if statement is not None:
            synthesized[name] = statement
            user_modules += _user_modules_of(namespace, name)
        elif _literal(value):
            synthesized[name] = f"{name} = {value!r}"
    return wanted, synthesized, user_modules


def _module_text(names: str, wanted: dict[str, _Definition], synthesized: dict[str, str]) -> str:
    """The captured module: imports first, then synthesized values, then cells in order."""
    imports = sorted((d for d in wanted.values() if d.is_import), key=lambda d: d.order)
    bodies = sorted((d for d in wanted.values() if not d.is_import), key=lambda d: d.order)
    is_import = ("import ", "from ")
    lines = [
        f'"""Code of {names}, captured by jupyter_registry from the notebook."""',
        "",
        *dict.fromkeys(d.text for d in imports),
        *dict.fromkeys(s for s in synthesized.values() if s.startswith(is_import)),
        "",
        *(s for s in synthesized.values() if not s.startswith(is_import)),
    ]
    for definition in bodies:
        lines += ["", "", definition.text]
    text = "\n".join(lines).strip() + "\n"
    compile(text, "<captured notebook code>", "exec")
    return text


def _warn_unresolved(
    names: str, wanted: dict[str, _Definition], defined: set[str], namespace: dict[str, Any]
) -> None:
    """Say which notebook values the code uses but a fresh process will not have."""
    unresolved = sorted(
        {
            name
            for d in wanted.values()
            if not d.is_import and d.node is not None
            for name in _names_used(d.node) - _names_bound_inside(d.node) - defined
            if name in namespace
        }
    )
    if unresolved:
        warnings.warn(
            f"{names} uses notebook name(s) {', '.join(unresolved)} whose values "
            "cannot be stored as code (not a literal, function, class or import); a fresh "
            "process will not have them. Pass them as constructor arguments or buffers.",
            CodeCaptureWarning,
            stacklevel=3,
        )


def capture_notebook_classes(classes: list[type], code_dir: Path) -> str:
    """Write the notebook code ``classes`` need as ``code_dir/model_def.py``; its module name."""
    namespace = vars(sys.modules["__main__"])
    definitions = _definitions(_cells(classes))
    tops = [cls.__qualname__.partition(".")[0] for cls in classes]
    for cls, top in zip(classes, tops, strict=True):
        if top not in definitions or definitions[top].is_import:
            raise ValidationError(
                f"cannot find the source of class {cls.__qualname__!r} in this kernel's history; "
                "define it in a cell of this notebook or in a .py module"
            )
    names = ", ".join(cls.__qualname__ for cls in classes)
    wanted, synthesized, user_modules = _dependencies(tops, definitions, namespace)
    text = _module_text(names, wanted, synthesized)
    _warn_unresolved(names, wanted, set(wanted) | set(synthesized), namespace)
    code_dir.mkdir(parents=True, exist_ok=True)
    for module in user_modules:
        copy_project(module, code_dir)
    module_name = MODULE_NAME
    while (code_dir / f"{module_name}.py").exists() or (code_dir / module_name).exists():
        module_name += "_nb"  # the copied project has a model_def of its own
    (code_dir / f"{module_name}.py").write_text(text)
    return module_name


def capture_classes(classes: list[type], code_dir: Path) -> list[str]:
    """Store what rebuilding ``classes`` needs under ``code_dir``; return their entrypoints."""
    entrypoints = []
    for cls in classes:
        if "<locals>" in cls.__qualname__:
            raise ValidationError(
                f"class {cls.__qualname__!r} is defined inside a function; "
                "define it at the top level of a cell or module so it can be loaded again"
            )
        if cls.__module__ == "__main__":
            entrypoints.append(cls.__qualname__)  # completed below
            continue
        module = sys.modules.get(cls.__module__)
        if module is None or getattr(module, "__file__", None) is None:
            raise ValidationError(
                f"cannot find the module {cls.__module__!r} of {cls.__qualname__}"
            )
        if not is_installed(module):
            copy_project(module, code_dir)
        entrypoints.append(f"{cls.__module__}:{cls.__qualname__}")
    in_notebook = [cls for cls in classes if cls.__module__ == "__main__"]
    if not in_notebook:
        return entrypoints
    module_name = capture_notebook_classes(in_notebook, code_dir)
    return [
        f"{module_name}:{ep}" if cls.__module__ == "__main__" else ep
        for cls, ep in zip(classes, entrypoints, strict=True)
    ]


def capture_code(cls: type, code_dir: Path) -> str:
    """Store what rebuilding ``cls`` needs under ``code_dir``; return the entrypoint."""
    return capture_classes([cls], code_dir)[0]


# -- constructor arguments ----------------------------------------------------------


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def constructor_args(obj: Any) -> tuple[dict[str, Any], list[str]]:
    """(``__init__`` arguments found as attributes, required ones that were not)."""
    try:
        parameters = list(inspect.signature(type(obj).__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return {}, []
    found: dict[str, Any] = {}
    missing: list[str] = []
    for param in parameters:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        for attr in (param.name, f"_{param.name}"):
            value = getattr(obj, attr, inspect.Parameter.empty)
            if value is not inspect.Parameter.empty and _jsonable(value):
                found[param.name] = value
                break
        else:
            if param.default is inspect.Parameter.empty:
                missing.append(param.name)
    return found, missing


def build_kwargs(cls: type, init_args: dict[str, Any], hparams: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``cls``: recorded ones, then matching hparams."""
    try:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return dict(init_args)
    kwargs = dict(init_args)
    names = {p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    for key, value in hparams.items():
        if key not in kwargs and key in names:
            kwargs[key] = value
    missing = [
        p.name
        for p in parameters
        if p.default is inspect.Parameter.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and p.name not in kwargs
    ]
    if missing:
        raise ValidationError(
            f"cannot rebuild {cls.__qualname__}: no value for constructor argument(s) "
            f"{', '.join(missing)}; keep them as attributes (self.{missing[0]} = {missing[0]}) "
            "or record them in the checkpoint's hparams"
        )
    return kwargs
