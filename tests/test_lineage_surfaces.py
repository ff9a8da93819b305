"""Lineage relations through the surfaces: ``%register_version --base``, the CLI, ``LineageView``.

The magic runs in an in-process IPython shell, the CLI in subprocesses, the
widget driven from Python the way its clicks drive it, on real registries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Backend
from IPython import get_ipython
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython
from test_cli import assert_one_line_error, run, run_json

from jupyter_registry import Registry
from jupyter_registry.widgets import LineageView


@pytest.fixture
def ip() -> Any:
    shell = start_ipython() or get_ipython()  # one shell per test session
    shell.run_line_magic("load_ext", "jupyter_registry")
    return shell


def test_register_version_magic_records_bases(ip: Any, tmp_path: Path, ns: str) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x00" * 64)
    ip.user_ns["weights"] = str(weights)
    register = lambda line: ip.run_line_magic("register_version", line)  # noqa: E731
    base = register(f"{ns}base weights --create --alias production")
    tuned = register(f"{ns}tuned weights --create --base {ns}base:production --relation adapter")
    assert [(b.model_name, b.version, b.relation.value) for b in tuned.bases] == [
        (f"{ns}base", 1, "adapter")
    ]
    merged = register(f"{ns}tuned weights --base {tuned.ref} --base {base.ref}")
    assert [(b.model_name, b.relation.value) for b in merged.bases] == [
        (f"{ns}tuned", "merge"),
        (f"{ns}base", "merge"),
    ]
    # a missing base is found before a new checkpoint is stored, so nothing is written
    reg = Registry()
    before = len(reg.get_checkpoints())
    with pytest.raises(UsageError, match="no model named"):
        register(f"{ns}tuned weights --base {ns}nobody:1")
    with pytest.raises(UsageError, match="has no alias 'staging'"):
        register(f"{ns}tuned weights --base {ns}base:staging")
    with pytest.raises(UsageError, match="--relation needs --base"):
        register(f"{ns}tuned weights --relation finetune")
    with pytest.raises(UsageError, match="invalid choice"):
        register(f"{ns}tuned weights --base {ns}base --relation pruned")
    assert len(reg.get_checkpoints()) == before
    assert reg.get_model(f"{ns}tuned").num_versions == 2


def test_cli_register_version_with_base(
    backend: Backend, ns: str, registry: Registry, model_folder: Path
) -> None:
    uuid = registry.create_checkpoint(model_folder).uuid
    registry.create_model(f"{ns}base").register_version(uuid)
    registry.create_model(f"{ns}q")
    made = run_json(
        backend, "model", "register-version", f"{ns}q", uuid, "--base", f"{ns}base",
        "--relation", "quantized",
    )  # fmt: skip
    assert made["bases"] == [
        {"model_name": f"{ns}base", "version": 1, "relation": "quantized", "deleted": False}
    ]
    missing = run(backend, "model", "register-version", f"{ns}q", uuid, "--base", f"{ns}x", code=1)
    assert_one_line_error(missing, "no model named")
    unknown = run(
        backend, "model", "register-version", f"{ns}q", uuid, "--base", f"{ns}base",
        "--relation", "pruned", code=2,
    )  # fmt: skip
    assert "pruned" in unknown.stderr and "Traceback" not in unknown.stderr
    assert registry.get_model(f"{ns}q").num_versions == 1
    text = run(backend, "model", "lineage", f"{ns}base").stdout
    assert text.splitlines() == [f"{ns}base:1 --quantized--> {ns}q:1"]
    graph = run_json(backend, "model", "lineage", f"{ns}q:1", "--depth", "1")
    assert [(e["base"], e["derived"]) for e in graph["edges"]] == [(f"{ns}base:1", f"{ns}q:1")]
    assert_one_line_error(run(backend, "model", "lineage", f"{ns}q:9", code=1), "no version 9")


def test_lineage_view_nodes_click_through(registry: Registry, ns: str, model_folder: Path) -> None:
    ckpt = registry.create_checkpoint(model_folder, metrics={"acc": 0.5}, run="r1")
    base = registry.create_model(f"{ns}base").register_version(ckpt)
    chat = registry.create_model(f"{ns}chat").register_version(ckpt, base=base)
    lora = registry.create_model(f"{ns}lora").register_version(ckpt, base=chat, relation="adapter")
    view = LineageView(chat)
    assert set(view.buttons) == {base.ref, chat.ref, lora.ref}
    assert view.selected == chat.ref and view.buttons[chat.ref].button_style == "info"
    # rows are layers: the base above the fine-tune above the adapter
    areas = {ref: b.layout.grid_area for ref, b in view.buttons.items()}
    assert areas == {base.ref: "1 / 1", chat.ref: "2 / 1", lora.ref: "3 / 1"}
    svg = view.grid.children[0].value
    assert svg.count("<line") == 2 and ">adapter<" in svg and ">finetune<" in svg
    assert "r1" in view.card.value and "made from" in view.card.value
    view.buttons[base.ref].click()
    assert view.selected == base.ref and f"{ns}base v1" in view.card.value
    assert f"{chat.ref} (finetune)" in view.card.value
    view.centre.click()
    assert view.lineage is not None and view.lineage.root == base.ref
    assert view.buttons[base.ref].button_style == "info"
    view.focus(f"{ns}nobody:1")
    assert "no model named" in view.status.value


def test_lineage_view_escapes_and_marks_deleted(
    registry: Registry, ns: str, model_folder: Path
) -> None:
    ckpt = registry.create_checkpoint(model_folder, source={"notebook": "<img src=x onerror=1>"})
    base = registry.create_model(f"{ns}base").register_version(ckpt)
    tuned = registry.create_model(f"{ns}t").register_version(ckpt, base=base, name="<script>")
    base.delete()
    view = LineageView(tuned.ref, registry=registry)
    assert view.buttons[base.ref].disabled and "(deleted)" in view.buttons[base.ref].description
    assert "<img" not in view.card.value and "&lt;img src=x onerror=1&gt;" in view.card.value
    assert "<script>" not in view.card.value
    view.select(base.ref)
    assert "deleted" in view.card.value
    # the version's own card in a notebook says where it came from
    assert f"finetune of {base.ref} (deleted)" in tuned.reload()._repr_html_()
