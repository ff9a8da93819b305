"""The JupyterLab "Model Registry" panel, in a real browser against a real ``jupyter lab``.

One ``jupyter lab`` subprocess (token auth, XSRF on, a test registry home) and one
headless Debian Chromium serve the whole module; each test opens a fresh page.
Models and versions made from Python go through the same registry home, so the
panel must pick them up through the REST API. Screenshots land in
``test-results/lab/`` (``LAB_SCREENSHOTS`` overrides it).
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from browser import CHROMIUM, CHROMIUM_ARGS
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_proc import run_in_kernel, server_kernel
from servers import free_port

from jupyter_registry import Registry

playwright_sync = pytest.importorskip("playwright.sync_api")

LAB_EXTENSION = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyter-registry"
SCREENSHOTS = Path(
    os.environ.get("LAB_SCREENSHOTS", Path(__file__).parent.parent / "test-results" / "lab")
)
PANEL = "#jupyter-registry-panel"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's /usr/bin/chromium"),
    pytest.mark.skipif(
        not (LAB_EXTENSION / "package.json").exists(),
        reason="the lab extension is not installed (pip install -e . builds it)",
    ),
]


@dataclass
class Lab:
    url: str
    token: str
    home: Path
    root: Path
    log: Path

    def registry(self, monkeypatch: pytest.MonkeyPatch) -> Registry:
        """An embedded registry on the same home as the server's."""
        monkeypatch.setenv("JUPYTER_REGISTRY_HOME", str(self.home))
        return Registry()


@pytest.fixture
def jp_asyncio_loop() -> None:
    """Replace pytest-jupyter's autouse loop fixture: closing its per-test asyncio loop
    clashes with Playwright's sync API, and these tests start no in-process server."""
    return None


@pytest.fixture
def jp_server_cleanup() -> None:
    """See ``jp_asyncio_loop``."""
    return None


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    home, root, settings, workspaces = (base / d for d in ("home", "root", "settings", "ws"))
    for folder in (home, root, settings, workspaces):
        folder.mkdir()
    # No "news" toast and no restored layout: screenshots and clicks stay deterministic.
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    token = secrets.token_hex(16)
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_REGISTRY_HOME": str(home),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
    }
    for key in ("DATABASE", "ARTIFACTS", "SERVER", "TOKEN"):
        env.pop(f"JUPYTER_REGISTRY_{key}", None)
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = base / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            r = requests.get(url + "api/status", params={"token": token}, timeout=2)
            if r.ok:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"jupyter lab did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.3)
    try:
        yield Lab(url, token, home, root, log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Page:
    page: object
    dialogs: list[str]
    errors: list[str]


def shot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def open_lab(browser: object, lab: Lab, path: str = "lab") -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: object) -> None:
        dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{lab.url}{path}?token={lab.token}")
    page.wait_for_selector("#jp-main-dock-panel")
    return Page(page, dialogs, errors)


def open_panel(p: Page) -> object:
    page = p.page
    panel = page.locator(PANEL)  # type: ignore[attr-defined]
    tab = page.locator(f'.jp-SideBar.jp-mod-left [data-id="{PANEL[1:]}"]')  # type: ignore[attr-defined]
    # The tab toggles, and the layout restorer may re-open the panel at any moment
    # while the page settles: click until it is (and stays) visible.
    for _ in range(4):
        if panel.is_visible():
            break
        tab.click()
        try:
            panel.wait_for(state="visible", timeout=3_000)
        except Exception:
            continue
        page.wait_for_timeout(300)  # type: ignore[attr-defined]
    panel.get_by_role("list", name="Models").wait_for(state="attached")
    return panel


def wait_count(page: object, n: int) -> None:
    """Wait until the model list shows exactly ``n`` rows."""
    page.wait_for_function(  # type: ignore[attr-defined]
        f"() => document.querySelectorAll('{PANEL} .jp-RegistryPanel-model').length === {n}"
    )


def open_model(panel: object, name: str) -> None:
    """Find ``name`` with the search box (the module's lab holds many models) and open it."""
    panel.get_by_role("searchbox", name="Search models").fill(name)  # type: ignore[attr-defined]
    try:
        panel.get_by_title(f"Open {name}", exact=True).click(timeout=10_000)  # type: ignore[attr-defined]
    except Exception:
        shot(panel.page, f"failure-open-{name}")  # type: ignore[attr-defined]
        raise
    panel.get_by_role("heading", name=name, exact=True).wait_for()  # type: ignore[attr-defined]


def test_panel_lists_models_with_labels_and_paging(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = lab.registry(monkeypatch)
    reg.create_model("mnist_cnn", description="a character recognition model", labels=["vision"])
    reg.create_model("bert-tiny", description="text classifier", labels=["nlp", "small"])
    for i in range(55):
        reg.create_model(f"bulk-{i:03d}")
    old = reg.create_model("old-model")
    old.archive()

    p = open_lab(browser, lab)
    panel = open_panel(p)
    bert = panel.locator('[data-model="bert-tiny"]')
    bert.wait_for()
    assert "text classifier" in bert.inner_text()
    assert bert.locator('[data-chip="nlp"]').is_visible()
    pager = panel.locator(".jp-RegistryPanel-pageInfo")
    assert pager.inner_text() == "1\u201350 of 57"
    assert panel.locator(".jp-RegistryPanel-model").count() == 50
    shot(p.page, "panel-list")

    # Sorted by name: mnist_cnn is the 57th model, on page 2; archived models are hidden.
    panel.get_by_role("button", name="Next page").click()
    mnist = panel.locator('[data-model="mnist_cnn"]')
    mnist.wait_for()
    assert pager.inner_text() == "51\u201357 of 57"
    assert "a character recognition model" in mnist.inner_text()
    assert mnist.locator('[data-chip="vision"]').is_visible()
    assert panel.locator('[data-model="old-model"]').count() == 0

    # Search (substring of the name) and the label chip filter.
    panel.get_by_role("searchbox", name="Search models").fill("mnist")
    wait_count(p.page, 1)
    panel.locator('[data-model="mnist_cnn"]').wait_for()
    panel.get_by_role("searchbox", name="Search models").fill("")
    panel.locator('[data-model="bert-tiny"] [data-chip="nlp"] button').first.click()
    wait_count(p.page, 1)
    panel.locator('[data-model="bert-tiny"]').wait_for()
    panel.get_by_role("button", name="Remove label nlp").click()

    # Archived filter.
    panel.get_by_role("combobox", name="Archived filter").select_option("archived")
    panel.locator('[data-model="old-model"]').wait_for()
    wait_count(p.page, 1)

    # Sort newest first.
    panel.get_by_role("combobox", name="Archived filter").select_option("active")
    panel.get_by_role("combobox", name="Sort models").select_option(label="Newest")
    p.page.wait_for_function(
        "() => document.querySelector('.jp-RegistryPanel-model')?.dataset.model === 'bulk-054'"
    )
    assert p.errors == []


def test_create_model_dialog_validates_name_and_lists_model(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = open_lab(browser, lab)
    panel = open_panel(p)
    panel.get_by_title("Create model").click()
    dialog = p.page.locator(".jp-Dialog")
    name = dialog.get_by_label("Name")
    create = dialog.get_by_role("button", name="Create")
    name.fill("bad name/..")
    alert = dialog.get_by_role("alert")
    assert "Invalid name" in alert.inner_text()
    assert create.is_disabled()
    shot(p.page, "panel-create-invalid")
    name.fill("resnet50.v2")
    assert alert.inner_text() == ""
    assert create.is_enabled()
    dialog.get_by_label("Description").fill("an image classifier")
    dialog.get_by_label("Labels").fill("vision, imagenet")
    create.click()
    panel.get_by_role("heading", name="resnet50.v2").wait_for()

    reg = lab.registry(monkeypatch)
    model = reg.get_model("resnet50.v2")
    assert model.description == "an image classifier"
    assert model.labels == ["vision", "imagenet"]

    panel.get_by_role("button", name="Models").click()
    panel.get_by_role("searchbox", name="Search models").fill("resnet50")
    panel.locator('[data-model="resnet50.v2"]').wait_for()

    # A duplicate name is a readable notification, not a blank panel.
    panel.get_by_title("Create model").click()
    dialog.get_by_label("Name").fill("resnet50.v2")
    dialog.get_by_role("button", name="Create").click()
    toast = p.page.locator(".Toastify__toast").filter(has_text="Could not create the model")
    toast.wait_for()
    assert "resnet50.v2" in toast.inner_text()
    assert panel.locator('[data-model="resnet50.v2"]').is_visible()


XSS_NOTE = """# Training notes

Trained on **MNIST** for 5 epochs.

<img src=x onerror="window.__xss = 'img'; alert(1)">
<script>window.__xss = 'script'; alert(2)</script>
<a href="javascript:alert(3)">click me</a>
"""


def test_edit_description_labels_metadata_and_notes_without_xss(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = lab.registry(monkeypatch)
    reg.create_model("editme", metadata={"key": "value", "drop": 1})
    p = open_lab(browser, lab)
    panel = open_panel(p)
    open_model(panel, "editme")

    panel.get_by_role("button", name="Edit description").click()
    panel.get_by_role("textbox", name="description").fill("edited from the panel")
    panel.get_by_role("button", name="Save description").click()
    panel.get_by_role("region", name="Description").get_by_text("edited from the panel").wait_for()

    panel.get_by_role("textbox", name="New label").fill("vision")
    panel.get_by_role("textbox", name="New label").press("Enter")
    panel.locator('.jp-RegistryPanel-detail [data-chip="vision"]').wait_for()

    editor = panel.get_by_role("textbox", name="Metadata JSON")
    save = panel.get_by_role("button", name="Save metadata")
    editor.fill('{"key": "value", "metrics": ')
    assert "Invalid JSON" in panel.locator(".jp-RegistryPanel-error").inner_text()
    assert save.is_disabled()
    editor.fill("[1, 2]")
    assert "must be a JSON object" in panel.locator(".jp-RegistryPanel-error").inner_text()
    editor.fill('{"key": "value", "metrics": {"test_set_acc": 0.97}}')
    assert save.is_enabled()
    save.click()
    p.page.wait_for_function(
        "() => document.querySelector('[aria-label=\"Metadata JSON\"]')"
        ".value.includes('test_set_acc')"
        " && !document.querySelector('[aria-label=\"Save metadata\"]').matches(':enabled')"
    )

    panel.get_by_role("button", name="Edit notes").click()
    panel.get_by_role("textbox", name="notes").fill(XSS_NOTE)
    panel.get_by_role("button", name="Save notes").click()
    rendered = panel.locator(".jp-RegistryPanel-markdown")
    rendered.get_by_role("heading", name="Training notes").wait_for()
    assert rendered.locator("strong").inner_text() == "MNIST"
    p.page.wait_for_timeout(1000)  # give any injected handler time to fire
    assert p.page.evaluate("window.__xss") is None
    assert p.dialogs == []
    assert rendered.locator("script").count() == 0
    assert rendered.locator("[onerror]").count() == 0
    shot(p.page, "panel-detail-notes")

    model = reg.get_model("editme")
    assert model.description == "edited from the panel"
    assert model.labels == ["vision"]
    assert model.metadata == {"key": "value", "metrics": {"test_set_acc": 0.97}}
    assert model.notes == XSS_NOTE
    assert p.errors == []


def test_versions_from_python_appear_and_alias_moves(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch, model_folder: Path
) -> None:
    reg = lab.registry(monkeypatch)
    model = reg.create_model("mnist_versions", description="versions registered from Python")
    ckpt = reg.create_checkpoint(
        model_folder, framework="torch-2.13.0", metrics={"test_set_acc": 0.971, "loss": 0.091}
    )
    model.register_version(ckpt, name="first", aliases=["production"])

    p = open_lab(browser, lab)
    panel = open_panel(p)
    open_model(panel, "mnist_versions")
    rows = panel.get_by_role("table", name="Versions").locator("tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    v1 = panel.locator('tr[data-version="1"]')
    assert "torch-2.13.0" in v1.inner_text()
    assert "test_set_acc=0.971" in v1.inner_text()
    assert v1.locator('[data-chip="production"]').is_visible()

    # A version registered from Python while the panel is open appears by polling.
    model.register_version(ckpt, name="second")
    panel.locator('tr[data-version="2"]').wait_for(timeout=20_000)

    # Move "production" from v1 to v2 through the alias dialog.
    panel.get_by_role("button", name="Set alias on v2").click()
    dialog = p.page.locator(".jp-Dialog")
    dialog.get_by_label("Alias", exact=True).fill("latest")
    assert "reserved" in dialog.get_by_role("alert").inner_text()
    dialog.get_by_label("Alias", exact=True).fill("production")
    dialog.get_by_text('Moves "production" from version 1.').wait_for()
    dialog.get_by_role("button", name="Set alias").click()
    panel.locator('tr[data-version="2"] [data-chip="production"]').wait_for()
    assert panel.locator('tr[data-version="1"] [data-chip="production"]').count() == 0
    assert reg.get_model_version("mnist_versions:production").version == 2
    shot(p.page, "panel-detail-versions")

    # Remove it again.
    panel.get_by_role("button", name="Remove alias production").click()
    panel.locator('[data-chip="production"]').wait_for(state="detached")
    assert reg.get_model("mnist_versions").get_version(2).aliases == []


def test_register_version_dialog_picks_recent_checkpoint(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch, model_folder: Path
) -> None:
    reg = lab.registry(monkeypatch)
    reg.create_model("dialog_versions")
    ckpt = reg.create_checkpoint(model_folder, framework="sklearn-1.5")
    p = open_lab(browser, lab)
    panel = open_panel(p)
    open_model(panel, "dialog_versions")
    panel.get_by_role("button", name="Register version").click()
    dialog = p.page.locator(".jp-Dialog")
    select = dialog.get_by_label("Recent checkpoint")
    select.locator(f'option[value="{ckpt.uuid}"]').wait_for(state="attached")
    select.select_option(ckpt.uuid)
    assert dialog.get_by_label("Checkpoint UUID").input_value() == ckpt.uuid
    dialog.get_by_label("Aliases").fill("staging")
    dialog.get_by_role("button", name="Register").click()
    panel.locator('tr[data-version="1"] [data-chip="staging"]').wait_for()
    assert reg.get_model_version("dialog_versions:staging").checkpoint.uuid == ckpt.uuid


def test_insert_load_snippet_into_notebook(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch, model_folder: Path
) -> None:
    import nbformat

    reg = lab.registry(monkeypatch)
    model = reg.create_model("snippet_model")
    model.register_version(reg.create_checkpoint(model_folder))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells.append(nbformat.v4.new_code_cell("import os"))
    nbformat.write(nb, lab.root / "use_model.ipynb")

    p = open_lab(browser, lab, "lab/tree/use_model.ipynb")
    page = p.page
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.locator(".jp-Notebook .jp-Spinner").wait_for(state="hidden")
    page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").first.click()
    panel = open_panel(p)
    open_model(panel, "snippet_model")
    panel.get_by_role("button", name="Insert load snippet for v1").click()
    editor = page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").first
    page.wait_for_function(
        "() => document.querySelector('.jp-Notebook .jp-Cell .cm-content')"
        ".textContent.includes('get_model_version')"
    )
    text = editor.inner_text()
    assert "import os" in text
    assert 'Registry().get_model_version("snippet_model:1")' in text
    shot(page, "panel-insert-snippet")


def run_palette_command(page: object, label: str) -> None:
    """Run a command through View > Activate Command Palette (retried: the palette's
    filter can miss keystrokes typed while it is still opening)."""
    for attempt in range(3):
        page.get_by_role("menuitem", name="View").click()  # type: ignore[attr-defined]
        page.get_by_role("menuitem", name="Activate Command Palette").click()  # type: ignore[attr-defined]
        palette = page.locator("#modal-command-palette")  # type: ignore[attr-defined]
        palette.locator("input").fill(label)
        item = palette.locator(".lm-CommandPalette-item", has_text=label).first
        try:
            item.click(timeout=5_000)
            return
        except Exception:
            if attempt == 2:
                shot(page, "failure-palette")
                raise
            page.keyboard.press("Escape")  # type: ignore[attr-defined]


def test_palette_opens_panel_and_api_errors_are_notifications(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = lab.registry(monkeypatch)
    reg.create_model("vanishing")
    p = open_lab(browser, lab)
    run_palette_command(p.page, "Open Model Registry")
    panel = p.page.locator(PANEL)
    panel.get_by_role("list", name="Models").wait_for(state="attached")
    open_model(panel, "vanishing")
    # Deleted behind the panel's back: the next poll fails with a readable 404.
    reg.delete_model("vanishing")
    toast = p.page.locator(".Toastify__toast").filter(has_text="Could not load model vanishing")
    toast.wait_for(timeout=20_000)
    assert "vanishing" in toast.inner_text()
    # The panel still shows the model's header and a way back, not a blank area.
    assert panel.get_by_role("heading", name="vanishing").is_visible()
    panel.get_by_role("button", name="Models").click()
    panel.get_by_role("searchbox", name="Search models").wait_for()
    shot(p.page, "panel-error-notification")
    assert p.errors == []


def test_screenshots_light_and_dark(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch, model_folder: Path
) -> None:
    """A realistic model, shot in the light and dark themes (docs/img/panel*.png come from here)."""
    reg = lab.registry(monkeypatch)
    model = reg.create_model(
        "digits-cnn",
        description="a character recognition model trained on MNIST",
        metadata={"dataset_url": "https://example.org/mnist.tgz", "owner": "vision-team"},
        labels=["vision", "cnn"],
    )
    model.set_notes(
        "## Digits CNN\n\nTwo conv layers, **99.1 %** test accuracy.\n\n- input: 28\u00d728 grey\n"
    )
    for i, (acc, loss) in enumerate([(0.962, 0.131), (0.981, 0.072), (0.991, 0.041)]):
        ckpt = reg.create_checkpoint(
            model_folder, framework="torch-2.13.0", metrics={"test_acc": acc, "loss": loss}
        )
        aliases = {0: ["baseline"], 1: ["staging"], 2: ["production"]}[i]
        model.register_version(ckpt, name=f"epoch-{(i + 1) * 5}", aliases=aliases)
    p = open_lab(browser, lab)
    page = p.page
    panel = open_panel(p)
    # Widen the sidebar (drag the handle between it and the main area) for the docs.
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 330, box["y"] + 200, steps=5)
    page.mouse.up()
    open_model(panel, "digits-cnn")
    panel.locator('tr[data-version="3"]').wait_for()
    shot(page, "panel-detail")
    run_palette_command(page, "Use Theme: JupyterLab Dark")
    page.wait_for_selector("body[data-jp-theme-name='JupyterLab Dark']", state="attached")
    page.wait_for_timeout(500)
    shot(page, "panel-dark-detail")
    panel.get_by_role("button", name="Models").click()
    panel.get_by_role("searchbox", name="Search models").fill("")
    panel.get_by_role("combobox", name="Sort models").select_option(label="Last updated")
    p.page.wait_for_function(
        "() => document.querySelector('.jp-RegistryPanel-model')?.dataset.model === 'digits-cnn'"
    )
    shot(page, "panel-dark")
    run_palette_command(page, "Use Theme: JupyterLab Light")
    page.wait_for_selector("body[data-jp-theme-name='JupyterLab Light']", state="attached")
    assert p.errors == []


def test_archive_and_delete_ask_for_confirmation(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = lab.registry(monkeypatch)
    reg.create_model("to-archive")
    reg.create_model("to-delete")
    p = open_lab(browser, lab)
    panel = open_panel(p)
    dialog = p.page.locator(".jp-Dialog")

    open_model(panel, "to-archive")
    panel.get_by_role("button", name="Archive", exact=True).click()
    dialog.get_by_role("button", name="Cancel").click()
    assert reg.get_model("to-archive").archived is False
    panel.get_by_role("button", name="Archive", exact=True).click()
    dialog.get_by_role("button", name="Archive").click()
    panel.locator(".jp-RegistryPanel-detail .jp-RegistryPanel-badge").wait_for()
    assert reg.get_model("to-archive").archived is True
    panel.get_by_role("button", name="Models").click()
    panel.get_by_role("searchbox", name="Search models").fill("to-archive")
    wait_count(p.page, 0)  # hidden from the default "Active" list

    open_model(panel, "to-delete")
    panel.get_by_role("button", name="Delete", exact=True).click()
    assert "cannot be undone" in dialog.inner_text()
    dialog.get_by_role("button", name="Delete").click()
    panel.get_by_role("searchbox", name="Search models").wait_for()
    wait_count(p.page, 0)
    assert [m.name for m in reg.get_models(name="to-delete")] == []
    assert p.errors == []


def test_refused_actions_are_disabled_with_the_reason(
    lab: Lab, browser: object, monkeypatch: pytest.MonkeyPatch, model_folder: Path
) -> None:
    """A member who does not maintain a model cannot archive, delete or touch ``production``."""
    monkeypatch.setenv("JUPYTER_REGISTRY_USER", "ana")  # made by a teammate, not the lab's user
    reg = lab.registry(monkeypatch)
    model = reg.create_model("anas-team-model")
    model.register_version(reg.create_checkpoint(model_folder), aliases=["production", "staging"])

    p = open_lab(browser, lab)
    panel = open_panel(p)
    open_model(panel, "anas-team-model")
    reason = "Only the maintainers of anas-team-model (ana) and admins may"
    for name in ("Archive", "Delete", "Delete v1"):
        button = panel.get_by_role("button", name=name, exact=True)
        assert button.is_disabled(), name
        assert (button.get_attribute("title") or "").startswith(reason), name
    assert panel.get_by_role("button", name="Register version").is_enabled()
    assert panel.get_by_role("button", name="Set alias on v1").is_enabled()
    assert panel.get_by_role("button", name="Remove alias staging").count() == 1
    assert panel.get_by_role("button", name="Remove alias production").count() == 0
    assert panel.get_by_label("New maintainer").count() == 0
    panel.get_by_role("button", name="Set alias on v1").click()
    dialog = p.page.locator(".jp-Dialog")
    dialog.get_by_label("Alias", exact=True).fill("production")
    assert dialog.get_by_role("alert").inner_text().startswith(reason)
    assert dialog.get_by_role("button", name="Set alias").is_disabled()
    dialog.get_by_label("Alias", exact=True).fill("candidate")
    assert dialog.get_by_role("button", name="Set alias").is_enabled()
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="detached")
    facts = panel.locator(".jp-RegistryPanel-facts").inner_text()
    assert "by ana" in facts
    assert panel.locator('[data-chip="ana"]').is_visible()
    shot(p.page, "panel-team-rules")

    model.add_maintainer(getpass.getuser())  # ana shares the model with the lab's user
    panel.get_by_role("button", name="Refresh").click()
    panel.get_by_label("New maintainer").wait_for()
    assert panel.get_by_role("button", name="Archive", exact=True).is_enabled()
    panel.get_by_role("button", name="Remove alias production").wait_for()
    assert p.errors == []


def test_changes_from_a_kernel_appear_live(lab: Lab, browser: object, model_folder: Path) -> None:
    """The panel follows the server's event stream: a kernel's change shows within 2 s.

    Polling (every 5 s) is only the fallback while the stream is down, so each
    change appearing within 2 s, twice over, is the event stream at work.
    """
    p = open_lab(browser, lab)
    panel = open_panel(p)
    p.page.wait_for_function(  # type: ignore[attr-defined]
        f"() => document.querySelector('{PANEL}').dataset.live === 'events'"
    )
    panel.get_by_role("searchbox", name="Search models").fill("live_from_kernel")  # type: ignore[attr-defined]
    folder = json.dumps(str(model_folder))
    headers = {"Authorization": f"token {lab.token}"}
    with server_kernel(lab.url, headers, Path(jupyter_runtime_dir())) as kernel:
        run_in_kernel(kernel, "from jupyter_registry import Registry\nreg = Registry()")
        run_in_kernel(kernel, "model = reg.create_model('live_from_kernel')")
        opened = panel.get_by_title("Open live_from_kernel", exact=True)  # type: ignore[attr-defined]
        opened.wait_for(timeout=2_000)
        opened.click()
        panel.get_by_role("heading", name="live_from_kernel", exact=True).wait_for()  # type: ignore[attr-defined]
        run_in_kernel(kernel, f"model.register_version(reg.create_checkpoint({folder}))")
        panel.locator('tr[data-version="1"]').wait_for(timeout=2_000)  # type: ignore[attr-defined]
        run_in_kernel(kernel, "model.set_alias('staging', 1)")
        panel.locator('tr[data-version="1"] [data-chip="staging"]').wait_for(timeout=2_000)  # type: ignore[attr-defined]
    assert not p.errors
