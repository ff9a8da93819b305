"""The panel's model card editor and version pages, in Chromium against a real ``jupyter lab``.

Uses the lab, browser and page helpers of tests/test_lab_panel.py (its own lab
for this module); screenshots land beside that module's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
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

CARD = """---
license: mit
datasets: [mnist]
---
# Digit classifier

Trained on **MNIST**.
"""

#: line 4 is wrong; the body holds an injection the sanitizer must strip from the preview
BAD_CARD = """---
datasets: [mnist]
tags: [vision]
license: 3
---
# Preview heading

<img src=x onerror="window.__xss = 'img'">
"""


def test_card_editor_shows_a_front_matter_error_with_its_line_and_keeps_the_text(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = lab.registry(monkeypatch)
    reg.create_model("carded", notes=CARD)
    p = open_lab(browser, lab)
    panel = open_panel(p)
    open_model(panel, "carded")
    card = panel.get_by_role("region", name="Notes")
    assert "license: mit" in card.get_by_label("Front matter").inner_text()
    card.get_by_role("heading", name="Digit classifier").wait_for()

    card.get_by_role("button", name="Edit notes").click()
    editor = card.get_by_role("textbox", name="notes")
    editor.fill(BAD_CARD)
    preview = card.get_by_label("Preview of the notes")
    preview.get_by_role("heading", name="Preview heading").wait_for()
    card.get_by_role("button", name="Save notes").click()
    alert = card.get_by_role("alert")
    p.page.wait_for_function(
        "() => [...document.querySelectorAll('[role=alert]')]"
        ".some(e => e.textContent.includes('model card line 4'))"
    )
    assert "model card line 4: license must be a string" in alert.inner_text()
    assert editor.input_value() == BAD_CARD
    selected = editor.evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)")
    assert selected == "license: 3"
    assert reg.get_model("carded").notes == CARD
    assert p.page.evaluate("window.__xss") is None
    assert preview.locator("[onerror]").count() == 0
    shot(p.page, "panel-card-error")

    fixed = BAD_CARD.replace("license: 3", "license: apache-2.0")
    editor.fill(fixed)
    card.get_by_role("button", name="Save notes").click()
    card.get_by_role("button", name="Edit notes").wait_for()  # saved: the editor closed
    card.get_by_label("Front matter").get_by_text("license: apache-2.0").wait_for()
    assert reg.get_model("carded").notes == fixed
    assert [r.text for r in reg.get_model("carded").card_history()] == [CARD, fixed]
    assert p.errors == []


def test_version_page_edits_notes_and_metadata_and_lists_tensors(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reg = lab.registry(monkeypatch)
    folder = tmp_path / "weights"
    folder.mkdir()
    save_file(
        {"dense.kernel": np.zeros((128, 10), np.float32), "dense.bias": np.zeros(10, np.float32)},
        str(folder / "model.safetensors"),
    )
    (folder / "config.json").write_text('{"layers": 1}')
    model = reg.create_model("paged")
    model.register_version(reg.create_checkpoint(folder))
    p = open_lab(browser, lab)
    panel = open_panel(p)
    open_model(panel, "paged")
    panel.get_by_role("button", name="Open v1").click()
    page = panel.get_by_role("region", name="Version 1 page")

    page.get_by_role("button", name="Edit version notes").click()
    page.get_by_role("textbox", name="version notes").fill("## Evaluated\n\nOn the **test** set.")
    page.get_by_role("button", name="Save version notes").click()
    page.get_by_role("button", name="Edit version notes").wait_for()  # saved: the editor closed
    page.get_by_role("heading", name="Evaluated").wait_for()
    assert reg.get_model_version("paged:1").notes == "## Evaluated\n\nOn the **test** set."

    box = page.get_by_role("textbox", name="Version metadata JSON")
    box.fill('{"reviewed": true}')
    page.get_by_role("button", name="Save version metadata").click()
    # Saved and read back: the editor shows the server's copy, pretty-printed (the Save
    # button alone is also disabled while the request is still in flight).
    p.page.wait_for_function(
        "text => document.querySelector('[aria-label=\"Version metadata JSON\"]').value === text",
        arg=json.dumps({"reviewed": True}, indent=2),
    )
    assert reg.get_model_version("paged:1").metadata == {"reviewed": True}
    assert reg.get_model("paged").metadata == {}

    files = page.get_by_role("table", name="Files")
    assert "model.safetensors" in files.inner_text() and "config.json" in files.inner_text()
    page.get_by_role("button", name="Tensors of model.safetensors").click()
    tensors = page.get_by_role("table", name="Tensors of model.safetensors")
    tensors.wait_for()
    assert "dense.kernel" in tensors.inner_text() and "128 \u00d7 10" in tensors.inner_text()
    assert "1,290 parameters" in page.get_by_label("Parameters of model.safetensors").inner_text()
    assert page.get_by_role("button", name="Tensors of config.json").count() == 0
    tensors.scroll_into_view_if_needed()
    shot(p.page, "panel-version-page")
    assert p.errors == []
