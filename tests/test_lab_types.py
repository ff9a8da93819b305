"""The panel's TypeScript types are generated from the server's OpenAPI document.

``labextension/src/types.ts`` is committed; this fails when the pydantic schemas or
the route table changed without regenerating it (``python labextension/scripts/gen_types.py``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

GENERATOR = Path(__file__).resolve().parent.parent / "labextension" / "scripts" / "gen_types.py"


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_lab_types", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_typescript_types_are_current() -> None:
    gen = load_generator()
    committed = gen.TARGET.read_text()
    assert committed == gen.generate(), (
        f"{gen.TARGET} is stale: run `python labextension/scripts/gen_types.py` and commit it"
    )


def test_generated_types_cover_every_schema_and_route() -> None:
    from jupyter_registry.server.openapi import openapi_document

    gen = load_generator()
    text = gen.generate()
    document = openapi_document()
    for name in document["components"]["schemas"]:
        assert f" {name} " in text
    for path in document["paths"]:
        assert f'"{path}"' in text
    # Nullable fields stay nullable, optional request fields stay optional.
    assert "description: string | null;" in text
    assert "checkpoint_uuid: string;" in text
    assert "aliases?: Array<string>;" in text
