"""The widgets in a real JupyterLab, driven by Chromium through Playwright.

A registry of 1,200 models (a few with versions and metrics) is served to a
``jupyter lab`` subprocess; a notebook runs ``ModelList()`` and ``%models``,
then the test pages, sorts, filters and selects in the browser, and saves the
screenshot the README shows (``docs/img/widgets-model-list.png``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, LabProcess, start_lab
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from jupyter_registry import Registry

pytestmark = pytest.mark.slow

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "img" / "widgets-model-list.png"
FAMILIES = [
    ("mnist_cnn", "Handwritten digit classifier (CNN)", ["vision", "ocr"]),
    ("resnet50", "ImageNet classifier, ResNet-50 backbone", ["vision"]),
    ("bert-base", "Sentence embeddings fine-tuned on support tickets", ["nlp"]),
    ("churn-xgb", "Customer churn gradient-boosted trees", ["tabular"]),
    ("whisper-small", "Speech to text for call transcripts", ["audio", "nlp"]),
    ("forecast-prophet", "Weekly demand forecast per store", ["timeseries"]),
]


def write_notebook(path: Path, cells: list[str]) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(notebook, path)


def populate(registry: Registry, count: int, folder: Path) -> None:
    """``count`` models in a few families; the first of each family gets versions."""
    for i in range(count):
        family, description, labels = FAMILIES[i % len(FAMILIES)]
        registry.create_model(
            f"{family}-{i // len(FAMILIES):04d}", description=description, labels=labels
        )
    folder.mkdir(exist_ok=True)
    (folder / "weights.bin").write_bytes(os.urandom(4096))
    for family, _, _ in FAMILIES:
        model = registry.get_model(f"{family}-0000")
        for step, accuracy in enumerate((0.88, 0.93, 0.962)):
            checkpoint = registry.create_checkpoint(
                folder, metrics={"accuracy": accuracy, "loss": round(1.1 - accuracy, 3)}
            )
            model.register_version(
                checkpoint, comment=f"epoch {10 * (step + 1)}", aliases=["staging"]
            )
        model.set_alias("production", 2)


def registry_folder(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> tuple[Path, dict[str, str]]:
    """A fresh folder, and an environment whose ``Registry()`` lives in it."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    base = tmp_path_factory.mktemp(name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_REGISTRY_")}
    env["JUPYTER_REGISTRY_HOME"] = str(base / "home")
    return base, env


@pytest.fixture(scope="module")
def registry_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment whose ``Registry()`` is a registry of 1,200 models."""
    base, env = registry_folder(tmp_path_factory, "registry")
    populate(Registry(home=env["JUPYTER_REGISTRY_HOME"]), 1200, base / "model")
    return env


@pytest.fixture(scope="module")
def lab(
    registry_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabProcess]:
    server = start_lab(tmp_path_factory.mktemp("lab"), registry_env)
    yield server
    server.stop()


def wait_kernel_idle(page: object) -> None:
    """Pitfall 12: both the toolbar indicator and the status bar must say idle."""
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)  # type: ignore[attr-defined]
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)  # type: ignore[attr-defined]


@contextmanager
def notebook_page(server: LabProcess, notebook: str) -> Iterator[Any]:
    """Chromium showing ``notebook`` in ``server``'s JupyterLab, its kernel idle."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(server.open_url(f"lab/tree/{notebook}"))
            page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
            wait_kernel_idle(page)
            yield page
        finally:
            browser.close()


def run_cell(page: Any, index: int) -> None:
    """Shift+Enter in cell ``index``, again if the keystroke beat the kernel connection."""
    prompt = page.locator(".jp-Cell").nth(index).locator(".jp-InputPrompt")
    editor = page.locator(".jp-Cell .jp-InputArea-editor").nth(index)
    editor.wait_for(timeout=60_000)
    for _ in range(3):
        editor.click(timeout=60_000)
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function(
                "el => /\\[(\\*|\\d+)\\]/.test(el.textContent)",
                arg=prompt.element_handle(),
                timeout=15_000,
            )
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"cell {index} never started running")


def test_model_list_in_jupyterlab(lab: LabProcess) -> None:
    from playwright.sync_api import expect

    magics = (Path(__file__).parent.parent / "jupyter_registry" / "magics.py").exists()
    cells = ["from jupyter_registry.widgets import ModelList\nview = ModelList()\nview"]
    if magics:
        cells.append("%load_ext jupyter_registry\n%models --name resnet")
    write_notebook(lab.root / "widgets.ipynb", cells)

    with notebook_page(lab, "widgets.ipynb") as page:
        started = time.monotonic()
        run_cell(page, 0)
        view = page.locator(".jr-model-list").first
        table = view.locator(".jr-model-table table.jr-table")
        expect(table.locator("tbody tr")).to_have_count(20, timeout=60_000)
        first_render = time.monotonic() - started
        pager = view.locator(".jr-pager").first
        expect(pager).to_contain_text("1-20 of 1,200 models · page 1 of 60")
        expect(table.locator("tbody tr").first).to_contain_text("bert-base-0000")

        # page forward twice, then back to the first page
        pager.locator("button[title='next page']").click()
        expect(pager).to_contain_text("21-40 of 1,200 models · page 2 of 60")
        pager.locator("button[title='next page']").click()
        expect(pager).to_contain_text("41-60 of 1,200 models")
        pager.locator("button[title='last page']").click()
        expect(pager).to_contain_text("1,181-1,200 of 1,200 models · page 60 of 60")
        expect(table.locator("tbody tr").last).to_contain_text("whisper-small-0199")
        pager.locator("button[title='first page']").click()
        expect(pager).to_contain_text("1-20 of 1,200 models")

        # sort by last update, newest first: the models that got versions come first
        view.locator(".jr-sort-by select").select_option(label="updated")
        view.locator(".jr-order-by button", has_text="desc").click()
        expect(table.locator("tbody tr").first).to_contain_text("-0000")
        expect(table.locator("th.jr-sorted")).to_have_text("updated")

        # the debounced search box: type a prefix key by key
        search = view.locator(".jr-name-filter input")
        search.press_sequentially("mnist_cnn-000", delay=40)
        expect(pager).to_contain_text("1-10 of 10 models")
        expect(table.locator("tbody tr")).to_have_count(10)

        # choose a model: its versions (with metrics columns) open below
        view.locator(".jr-model-select select").select_option("mnist_cnn-0000")
        versions = view.locator(".jr-version-table table.jr-table")
        expect(versions.locator("tbody tr")).to_have_count(3, timeout=15_000)
        expect(versions.locator("thead")).to_contain_text("metrics.accuracy")
        expect(versions.locator("tbody tr").nth(1)).to_contain_text("production")
        view.locator(".jr-version-select select").select_option(label="v2 (production)")
        expect(versions.locator("tr.jr-selected")).to_contain_text("production")
        view.locator("button[title='show and copy the load code']").click()
        expect(view.locator(".jr-snippet textarea")).to_have_value(
            "from jupyter_registry import Registry\n"
            "model = Registry().get_model_version('mnist_cnn-0000:production').load()"
        )
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        view.screenshot(path=str(SCREENSHOT))

        if magics:
            wait_kernel_idle(page)
            run_cell(page, 1)
            second = page.locator(".jr-model-list").nth(1)
            expect(second.locator(".jr-pager")).to_contain_text(
                "1-20 of 200 models", timeout=30_000
            )
            expect(second.locator("tbody tr").first).to_contain_text("resnet50-0000")
    print(f"first page rendered {first_render:.2f} s after Shift+Enter (cold kernel)")


@pytest.mark.skipif(
    importlib.util.find_spec("notebook") is None,
    reason="Notebook 7 (the notebook package) is not installed",
)
def test_model_list_in_notebook_7(
    registry_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same standard widgets in Notebook 7 (skipped where ``notebook`` is not installed)."""
    from playwright.sync_api import expect, sync_playwright

    server = start_lab(tmp_path_factory.mktemp("nb7"), registry_env, app="notebook")
    try:
        write_notebook(
            server.root / "nb7.ipynb",
            ["from jupyter_registry.widgets import ModelList\nModelList()"],
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(server.open_url("notebooks/nb7.ipynb"))
                page.wait_for_selector(
                    ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
                )
                run_cell(page, 0)
                view = page.locator(".jr-model-list").first
                rows = view.locator(".jr-model-table tbody tr")
                expect(rows).to_have_count(20, timeout=60_000)
                pager = view.locator(".jr-pager")
                expect(pager).to_contain_text("1-20 of 1,200 models")
                pager.locator("button[title='next page']").click()
                expect(pager).to_contain_text("21-40 of 1,200 models · page 2 of 60")
                view.locator(".jr-order-by button", has_text="desc").click()
                expect(rows.first).to_contain_text("whisper-small-0199")
                page.screenshot(path=str(SCREENSHOT.with_name("widgets-notebook7.png")))
            finally:
                browser.close()
    finally:
        server.stop()


HOSTILE = "hostile-notes"
# Each payload would set its own window.__pwned_* global (or the page title, or a CSS
# variable on <body>) if it ran; Markdown around them must still be shown.
HOSTILE_NOTES = """## Release notes

Trained on **clean** data; see the table.

| metric | value |
|---|---|
| accuracy | 0.97 |

- first item
- second item

<script>window.__pwned_script = 1</script>

<img src="x" onerror="window.__pwned_img = 1; document.title = 'pwned'">

<svg onload="window.__pwned_svg = 1"><circle r="4"/></svg>

<iframe srcdoc="<script>parent.__pwned_iframe = 1</script>"></iframe>

<details open ontoggle="window.__pwned_details = 1"><summary>more</summary>inside</details>

<style>body { --jr-pwned: 1 }</style>

<video><source onerror="window.__pwned_video = 1"></video>

<input autofocus onfocus="window.__pwned_focus = 1">

<a href="javascript:window.__pwned_link = 1">js link</a>
<a href="jav&#x09;ascript:window.__pwned_entity = 1">entity link</a>
[md link](javascript:window.__pwned_mdlink=1)

$\\href{javascript:window.__pwned_mathjax=1}{\\text{tex link}}$
"""


def img_payload(name: str) -> str:
    return f'<img src="x" onerror="window.__pwned_{name} = 1">'


@pytest.fixture(scope="module")
def hostile_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A registry whose one model carries script payloads in every free-text field."""
    base, env = registry_folder(tmp_path_factory, "hostile")
    registry = Registry(home=env["JUPYTER_REGISTRY_HOME"])
    model = registry.create_model(
        HOSTILE,
        description=img_payload("description"),
        labels=[img_payload("label")],
        metadata={"owner": img_payload("metadata")},
        notes=HOSTILE_NOTES,
    )
    (base / "weights.bin").write_bytes(b"0" * 64)
    checkpoint = registry.create_checkpoint(
        base / "weights.bin", hparams={"note": img_payload("hparams")}
    )
    model.register_version(
        checkpoint,
        name=img_payload("version_name"),
        comment=img_payload("comment"),
        metadata={"why": img_payload("version_metadata")},
        aliases=["production"],
    )
    return env


def test_hostile_notes_and_fields_run_no_script_in_jupyterlab(
    hostile_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The card, the list, the version table and the HTML reprs show text, run nothing."""
    from playwright.sync_api import expect

    server = start_lab(tmp_path_factory.mktemp("hostile-lab"), hostile_env)
    cells = [
        f"from jupyter_registry import Registry\nfrom jupyter_registry.widgets import ModelCard, "
        f"ModelList\nModelCard({HOSTILE!r})",
        f"view = ModelList()\nview.select({HOSTILE!r})\nview",
        f"Registry().get_model({HOSTILE!r})",
        f"Registry().get_model({HOSTILE!r}).get_version(1)",
        f"Registry().get_model({HOSTILE!r}).get_version(1).checkpoint",
    ]
    try:
        write_notebook(server.root / "hostile.ipynb", cells)
        with notebook_page(server, "hostile.ipynb") as page:
            card = page.locator(".jr-model-card").first
            for index in range(len(cells)):
                run_cell(page, index)
                if index == 0:
                    expect(card).to_contain_text("Release notes", timeout=60_000)
                wait_kernel_idle(page)
            outputs = page.locator(".jp-CodeCell .jp-Cell-outputArea")
            expect(outputs.nth(4)).to_contain_text(re.compile("Checkpoint [0-9a-f-]{36}"))
            expect(outputs.nth(3)).to_contain_text(f"{HOSTILE} v1")
            expect(outputs.nth(2)).to_contain_text(f"Model {HOSTILE}")
            expect(page.locator(".jr-model-table")).to_contain_text(HOSTILE)

            # the Markdown around the payloads is rendered, the payloads are not
            expect(card.locator("h2")).to_contain_text("Release notes")
            expect(card.locator("li").nth(1)).to_have_text("second item")
            expect(card.locator("td", has_text="0.97")).to_have_count(1)
            expect(card).to_contain_text("onerror")  # the description, shown as text
            for text in ("js link", "entity link", "md link", "tex link"):
                card.get_by_text(text).click()
            # An event handler fires within a task or two of insertion; give the
            # slowest (a failed image load, an iframe's srcdoc) ample time to show.
            page.wait_for_timeout(2_000)
            ran = page.evaluate(
                """() => ({
                    globals: Object.keys(window).filter(k => k.startsWith('__pwned')),
                    title: document.title,
                    css: getComputedStyle(document.body).getPropertyValue('--jr-pwned'),
                })"""
            )
            assert ran == {"globals": [], "title": ran["title"], "css": ""}, ran
            assert "pwned" not in ran["title"]
    finally:
        server.stop()
