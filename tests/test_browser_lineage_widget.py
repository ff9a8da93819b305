"""``LineageView`` in a real JupyterLab: nodes are buttons on the graph; a click shows a card.

A small registry (a base, a fine-tune, an adapter) is served to a ``jupyter
lab`` subprocess; a notebook shows ``LineageView("lw-chat:1")`` and Chromium
clicks through it. Saves ``docs/img/widgets-lineage.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import LabProcess, start_lab
from test_browser_widgets import notebook_page, registry_folder, run_cell, write_notebook

from jupyter_registry import Registry

pytestmark = pytest.mark.slow

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "img" / "widgets-lineage.png"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabProcess]:
    base, env = registry_folder(tmp_path_factory, "lineage")
    reg = Registry(home=env["JUPYTER_REGISTRY_HOME"])
    (base / "weights.bin").write_bytes(b"\x01" * 32)
    ckpt = reg.create_checkpoint(base / "weights.bin", metrics={"acc": 0.91}, run="tune")
    root = reg.create_model("lw-base").register_version(ckpt, aliases=["production"])
    chat = reg.create_model("lw-chat").register_version(ckpt, base=root)
    reg.create_model("lw-lora").register_version(ckpt, base=chat, relation="adapter")
    reg.create_model("lw-int8").register_version(ckpt, base=chat, relation="quantized")
    server = start_lab(tmp_path_factory.mktemp("lab"), env)
    yield server
    server.stop()


def test_lineage_view_in_jupyterlab(lab: LabProcess) -> None:
    from playwright.sync_api import expect

    cells = ['from jupyter_registry.widgets import LineageView\nLineageView("lw-chat:1")']
    write_notebook(lab.root / "lineage.ipynb", cells)
    with notebook_page(lab, "lineage.ipynb") as page:
        run_cell(page, 0)
        view = page.locator(".jr-lineage").first
        node = lambda ref: view.get_by_role("button", name=ref, exact=False)  # noqa: E731
        expect(node("lw-base:1")).to_be_visible(timeout=60_000)
        for ref in ("lw-chat:1", "lw-lora:1", "lw-int8:1"):
            expect(node(ref)).to_be_visible()
        # the edges are drawn under the grid, labelled with their relations
        edges = view.locator("svg.jr-lineage-edges")
        expect(edges.locator("line")).to_have_count(3)
        expect(edges).to_contain_text("adapter")
        # layers top to bottom: base, fine-tune, its adapter and quantized copy
        tops = [node(ref).bounding_box()["y"] for ref in ("lw-base:1", "lw-chat:1", "lw-lora:1")]
        assert tops[0] < tops[1] < tops[2]
        # a click reaches the button (not the SVG under it) and shows that version's card
        node("lw-base:1").click()
        expect(view.locator(".jr-card")).to_contain_text("lw-base v1")
        expect(view.locator(".jr-card")).to_contain_text("lw-chat:1 (finetune)")
        view.get_by_role("button", name="Centre here").click()
        expect(view).to_contain_text("Lineage of lw-base:1")
        node("lw-int8:1").click()
        expect(view.locator(".jr-card")).to_contain_text("quantized of lw-chat:1")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        view.screenshot(path=str(SCREENSHOT))
