"""The panel's lineage graph in Chromium: from a fine-tune to its base and to what was made from it.

Same real ``jupyter lab`` and headless Chromium as tests/test_lab_panel.py (its
module fixtures, imported); the relations are made from Python on the server's
registry home, so the panel reads them through ``GET …/versions/{ref}/lineage``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_lab_panel import (  # fixtures and helpers, one server per module
    Lab,
    browser,
    jp_asyncio_loop,
    jp_server_cleanup,
    lab,
    open_lab,
    open_model,
    open_panel,
    pytestmark,
    shot,
)

__all__ = ["browser", "jp_asyncio_loop", "jp_server_cleanup", "lab", "pytestmark"]


def graph_of(panel: object) -> object:
    return panel.get_by_role("group", name="Lineage of", exact=False)  # type: ignore[attr-defined]


def root_of(panel: object) -> str:
    root = panel.locator(".jp-RegistryPanel-lineageNode.jp-mod-root")  # type: ignore[attr-defined]
    return root.get_attribute("data-node")


def test_lineage_graph_clicks_through_to_base_and_descendant(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch, model_folder: Path
) -> None:
    reg = lab.registry(monkeypatch)
    ckpt = reg.create_checkpoint(model_folder, framework="torch-2.13.0", run="tune-run")
    base_model = reg.create_model("lin-base")
    base = base_model.register_version(ckpt, aliases=["production"])
    base_model.register_version(ckpt)  # newer, not the recorded base
    chat = reg.create_model("lin-chat").register_version(
        ckpt, base="lin-base:production", relation="finetune"
    )
    reg.create_model("lin-lora").register_version(ckpt, base=chat, relation="adapter")
    reg.create_model("lin-int8").register_version(ckpt, base=chat.ref, relation="quantized")
    gone = reg.create_model("lin-gone").register_version(ckpt)
    reg.get_model("lin-chat").register_version(ckpt, base=[gone, base], relation="merge")
    gone.delete()

    p = open_lab(browser, lab)
    panel = open_panel(p)
    # Widen the sidebar (drag the handle between it and the main area) for the screenshot.
    handle = p.page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    assert box is not None
    p.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 200)
    p.page.mouse.down()
    p.page.mouse.move(box["x"] + 420, box["y"] + 200, steps=5)
    p.page.mouse.up()
    open_model(panel, "lin-chat")
    panel.get_by_role("button", name="Lineage of v1").click()
    graph = graph_of(panel)
    graph.wait_for()
    nodes = graph.locator(".jp-RegistryPanel-lineageNode")
    ids = sorted(nodes.evaluate_all("els => els.map(e => e.getAttribute('data-node'))"))
    assert ids == ["lin-base:1", "lin-chat:1", "lin-int8:1", "lin-lora:1"]
    assert root_of(panel) == "lin-chat:1"
    labels = graph.locator(".jp-RegistryPanel-lineageEdge text").all_text_contents()
    assert sorted(labels) == ["adapter", "finetune", "quantized"]
    assert "tune-run" in panel.locator(".jp-RegistryPanel-lineageOrigin").inner_text()
    shot(p.page, "panel-lineage")

    # up to the base: the panel opens that model, with the base's lineage
    graph.get_by_role("button", name="Open lin-base:1").click()
    panel.get_by_role("heading", name="lin-base", exact=True).wait_for()
    p.page.wait_for_function(
        "() => document.querySelector('.jp-RegistryPanel-lineageNode.jp-mod-root')"
        "?.dataset.node === 'lin-base:1'"
    )
    panel.get_by_role("region", name="Lineage").get_by_role(
        "heading", name="Lineage of v1"
    ).wait_for()
    edges = graph_of(panel).locator(".jp-RegistryPanel-lineageEdge text").all_text_contents()
    assert sorted(edges) == ["adapter", "finetune", "merge", "quantized"]

    # down again through the fine-tune to a descendant, the adapter
    graph_of(panel).get_by_role("button", name="Open lin-chat:1").click()
    panel.get_by_role("heading", name="lin-chat", exact=True).wait_for()
    graph_of(panel).get_by_role("button", name="Open lin-lora:1").click()
    panel.get_by_role("heading", name="lin-lora", exact=True).wait_for()
    p.page.wait_for_function(
        "() => document.querySelector('.jp-RegistryPanel-lineageNode.jp-mod-root')"
        "?.dataset.node === 'lin-lora:1'"
    )

    # the merge keeps its deleted base, drawn but not a link
    panel.get_by_role("button", name="Models").click()
    open_model(panel, "lin-chat")
    panel.get_by_role("button", name="Lineage of v2").click()
    deleted = panel.locator('.jp-RegistryPanel-lineageNode[data-node="lin-gone:1"]')
    deleted.wait_for()
    assert "jp-mod-deleted" in (deleted.get_attribute("class") or "")
    assert deleted.get_attribute("role") is None
    assert p.errors == []
