"""The panel's compare view in Chromium: tick versions, compare, toggle, chart a metric.

Reuses the lab and browser of tests/test_lab_panel.py (one ``jupyter lab`` for
this module). Hostile metric names and metadata values must show as text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_lab_panel as panel_tests
from test_lab_panel import Lab, open_lab, open_model, open_panel, shot

# The panel tests' lab, browser and loop fixtures, found by name; the same skips apply.
lab = panel_tests.lab
browser = panel_tests.browser
jp_asyncio_loop = panel_tests.jp_asyncio_loop
jp_server_cleanup = panel_tests.jp_server_cleanup
pytestmark = panel_tests.pytestmark

HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def test_compare_selected_versions_with_toggle_and_chart(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch, model_folder: Path
) -> None:
    reg = lab.registry(monkeypatch)
    model = reg.create_model("compare-me")
    for acc, lr, extra in [(0.9, 0.1, {HOSTILE: 1.0}), (0.95, 0.01, {}), (0.97, 0.01, {})]:
        (model_folder / "weights.bin").write_bytes(f"weights {acc}".encode())
        ckpt = reg.create_checkpoint(
            model_folder, metrics={"acc": acc, "loss": 0.3, **extra}, hparams={"lr": lr}
        )
        model.register_version(ckpt, metadata={"note": HOSTILE} if acc == 0.97 else {})

    p = open_lab(browser, lab)
    panel = open_panel(p)
    open_model(panel, "compare-me")
    compare = panel.get_by_role("button", name="Compare", exact=True)
    compare.wait_for()
    assert compare.is_disabled()
    panel.get_by_role("checkbox", name="Compare v3").check()
    panel.get_by_role("checkbox", name="Compare v1").check()
    panel.get_by_role("button", name="Compare (2)").click()

    view = panel.get_by_role("region", name="Compare versions")
    table = view.get_by_role("table", name="Comparison")
    table.locator('tr[data-key="metrics.loss"]').wait_for()
    assert [h.strip() for h in table.locator("thead th").all_inner_texts()] == ["Field", "v1", "v3"]
    acc = table.locator('tr[data-key="metrics.acc"] td')
    assert acc.all_inner_texts() == ["0.9", "0.97"]
    changed = table.locator('tr[data-key="files changed"] td').all_inner_texts()
    assert changed == ["", "weights.bin (changed)"]

    # Hostile names and values are text: shown literally, never run.
    hostile_row = table.locator("tbody tr").filter(has_text="window.__xss=2")
    assert hostile_row.count() == 2  # the metric's row and the metadata value's row
    assert f"metrics.{HOSTILE}" in hostile_row.first.locator("th").inner_text()
    assert table.locator("script, img").count() == 0
    assert p.page.evaluate("() => window.__xss") is None

    # The chart: one point per version holding a number, for the metric chosen.
    view.get_by_role("combobox", name="Chart metric").select_option("metrics.acc")
    chart = view.get_by_role("img", name="Chart of metrics.acc")
    chart.wait_for()
    assert chart.locator("g[data-version]").count() == 2
    assert chart.locator('g[data-version="v3"] title').text_content() == "v3: 0.97"
    view.get_by_role("combobox", name="Chart metric").select_option(f"metrics.{HOSTILE}")
    hostile_chart = view.get_by_role("img", name=f"Chart of metrics.{HOSTILE}")
    assert hostile_chart.locator("g[data-version]").count() == 1  # v3 has no such metric
    view.get_by_role("combobox", name="Chart metric").select_option("metrics.acc")
    shot(p.page, "panel-compare")

    # Only differences: equal rows go, differing rows stay.
    view.get_by_role("checkbox", name="Only differences").check()
    table.locator('tr[data-key="metrics.loss"]').wait_for(state="detached")
    assert table.locator('tr[data-key="metrics.acc"]').is_visible()
    assert table.locator('tr[data-key="hparams.lr"]').is_visible()
    assert table.locator('tr[data-key="format"]').count() == 0
    shot(p.page, "panel-compare-differences")

    view.get_by_role("button", name="Versions").click()
    panel.get_by_role("table", name="Versions").wait_for()
    assert p.page.evaluate("() => window.__xss") is None
    assert p.errors == []
