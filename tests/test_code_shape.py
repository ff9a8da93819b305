"""The shape of the code: no function longer than about a screen without a reason."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "jupyter_registry"
MAX_LINES = 60


def test_no_long_function_without_a_reason() -> None:
    """A function over 60 lines says why in its docstring ("Long because …")."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "labextension" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            reason = "Long because" in (ast.get_docstring(node) or "")
            if length > MAX_LINES and not reason:
                long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({length})")
    assert long == [], "split these, or say why they are long: " + ", ".join(long)
