"""``%compare`` in a real JupyterLab and Notebook 7: the Vega-Lite chart renders, names stay text.

The chart is an ``application/vnd.vegalite.v5+json`` bundle in an ``Output``
widget; nothing of ours renders it, so this checks that both front ends draw
it, that the only-differences checkbox works from the browser, and that a
hostile metric name runs nothing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, start_lab
from playwright.sync_api import expect, sync_playwright
from test_browser_widgets import registry_folder, run_cell, write_notebook
from test_lab_panel import SCREENSHOTS

from jupyter_registry import Registry

pytestmark = pytest.mark.slow

HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
CELL = "%load_ext jupyter_registry\n%compare compared --metric metrics.acc"
APPS = [("jupyterlab", "lab/tree/compare.ipynb"), ("notebook", "notebooks/compare.ipynb")]


def populate(registry: Registry, folder: Path) -> None:
    folder.mkdir()
    model = registry.create_model("compared")
    for acc in (0.9, 0.95, 0.97):
        (folder / "weights.bin").write_bytes(f"weights {acc}".encode())
        metrics = {"acc": acc, "loss": 0.3, **({HOSTILE: 1.0} if acc == 0.9 else {})}
        model.register_version(registry.create_checkpoint(folder, metrics=metrics))


@pytest.mark.parametrize("app, path", APPS, ids=[app for app, _ in APPS])
def test_compare_view_chart_renders_in_the_browser(
    app: str, path: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if importlib.util.find_spec(app) is None:
        pytest.skip(f"{app} is not installed")
    base, env = registry_folder(tmp_path_factory, f"compare-{app}")
    populate(Registry(home=env["JUPYTER_REGISTRY_HOME"]), base / "model")
    server = start_lab(tmp_path_factory.mktemp(f"{app}-server"), env, app=app)
    try:
        write_notebook(server.root / "compare.ipynb", [CELL])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(server.open_url(path))
                page.wait_for_selector(
                    ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
                )
                run_cell(page, 0)
                view = page.locator(".jr-compare-view").first
                table = view.locator(".jr-compare-table table")
                expect(table).to_contain_text("metrics.loss", timeout=60_000)
                # Vega draws the chart (canvas or SVG) inside vega-embed's container.
                drawn = view.locator(".jr-compare-chart .vega-embed").locator("canvas, svg")
                expect(drawn.first).to_be_visible(timeout=60_000)
                expect(table).to_contain_text(HOSTILE)
                assert table.locator("script, img").count() == 0
                view.locator(".jr-only-differences input").check()
                expect(table).not_to_contain_text("metrics.loss", timeout=30_000)
                expect(table).to_contain_text("metrics.acc")
                expect(table).to_contain_text("weights.bin (changed)")
                assert page.evaluate("() => window.__xss") is None
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"widget-compare-{app}.png"))
            finally:
                browser.close()
    finally:
        server.stop()
