"""The notebook views driven from Python, the way clicks drive them, on real registries."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_registry import ModelSortBy, OrderBy, Registry
from jupyter_registry.widgets import ModelCard, ModelList, VersionPage, VersionTable
from jupyter_registry.widgets.html import page_table
from jupyter_registry.widgets.views import CHOOSE

N = 25


@pytest.fixture
def views() -> Iterator[list[Any]]:
    """Views made by a test, closed after it so they stop listening for changes."""
    made: list[Any] = []
    yield made
    for view in made:
        view.close()


@pytest.fixture
def populated(registry: Registry, ns: str) -> Registry:
    for i in range(N):
        registry.create_model(
            f"{ns}m{i:02d}",
            description=f"model number {N - i:02d}" + (" vision" if i % 5 == 0 else ""),
            labels=["even"] if i % 2 == 0 else ["odd"],
        )
    return registry


def count_page_queries(registry: Registry) -> list[Any]:
    """Record every ``list_models`` query the widget sends (calls pass through)."""
    queries: list[Any] = []
    client = registry.client
    real = client.list_models

    def spy(query: Any) -> Any:
        queries.append(query)
        return real(query)

    client.list_models = spy  # type: ignore[method-assign]
    return queries


def rows(view: Any) -> int:
    return view.table.value.count("<tr") - 1  # minus the header row


def test_pages_one_query_each(populated: Registry, ns: str, views: list[Any]) -> None:
    queries = count_page_queries(populated)
    view = ModelList(populated, page_size=10, name=ns)
    views.append(view)
    assert view.total == N
    assert view.frame["name"].tolist() == [f"{ns}m{i:02d}" for i in range(10)]
    assert rows(view) == 10 and view.pager.previous.disabled and not view.pager.next.disabled
    assert "1-10 of 25 models · page 1 of 3" in view.pager.label.value
    assert [(q.offset, q.limit) for q in queries] == [(0, 10)]

    view.pager.next.click()
    assert view.page == 1
    assert view.frame["name"].tolist() == [f"{ns}m{i:02d}" for i in range(10, 20)]
    view.pager.last.click()
    assert view.frame["name"].tolist() == [f"{ns}m{i:02d}" for i in range(20, 25)]
    assert rows(view) == 5 and view.pager.next.disabled
    view.pager.first.click()
    assert view.offset == 0
    assert [(q.offset, q.limit) for q in queries] == [(0, 10), (10, 10), (20, 10), (0, 10)]

    view.pager.size.value = 20
    assert len(view.frame) == 20 and queries[-1].limit == 20


@pytest.mark.parametrize("sort_by", list(ModelSortBy))
@pytest.mark.parametrize("order_by", list(OrderBy))
def test_sort_control(
    populated: Registry, ns: str, views: list[Any], sort_by: ModelSortBy, order_by: OrderBy
) -> None:
    view = ModelList(populated, page_size=7, name=ns)
    views.append(view)
    other = "name" if sort_by != ModelSortBy.NAME else "description"
    view.sort_by.value = other
    view.pager.next.click()
    assert view.offset == 7
    view.sort_by.value = sort_by.value
    view.order_by.value = order_by.value
    assert view.offset == 0, "changing the sort goes back to the first page"
    expected = populated.models_frame(sort_by=sort_by, order_by=order_by, name=ns)
    assert view.frame["name"].tolist() == expected["name"].tolist()[:7]
    view.pager.next.click()
    assert view.frame["name"].tolist() == expected["name"].tolist()[7:14]
    assert "jr-sorted" in view.table.value


def test_sort_from_constructor(populated: Registry, ns: str, views: list[Any]) -> None:
    view = ModelList(populated, name=ns, sort_by="description", order_by="desc", page_size=3)
    views.append(view)
    assert view.sort_by.value == "description" and view.order_by.value == "desc"
    assert view.frame["description"].tolist() == [
        "model number 25 vision",
        "model number 24",
        "model number 23",
    ]


def test_filters(populated: Registry, ns: str, views: list[Any]) -> None:
    view = ModelList(populated, page_size=10)
    views.append(view)
    view.name_filter.value = f"{ns}m1"
    assert view.frame["name"].tolist() == [f"{ns}m{i}" for i in range(10, 20)]
    view.description_filter.value = "vision"
    assert view.frame["name"].tolist() == [f"{ns}m10", f"{ns}m15"]
    view.description_filter.value = ""
    view.labels_filter.value = ["even"]
    assert view.frame["name"].tolist() == [f"{ns}m{i}" for i in range(10, 20, 2)]
    assert all(labels == ["even"] for labels in view.frame["labels"])

    populated.get_model(f"{ns}m12").archive()
    view.archived.value = "archived only"
    assert view.frame["name"].tolist() == [f"{ns}m12"]
    view.archived.value = "active only"
    assert f"{ns}m12" not in view.frame["name"].tolist()
    active = ModelList(populated, name=f"{ns}m1", archived=False)  # what %models passes
    views.append(active)
    assert active.archived.value == "active only" and active.total == 9

    view.name_filter.value = f"{ns}nothing-like-this"
    assert view.frame.empty and view.total == 0
    assert "no models match" in view.table.value and "no models" in view.pager.label.value


def test_filter_resets_to_first_page(populated: Registry, ns: str, views: list[Any]) -> None:
    view = ModelList(populated, page_size=5, name=ns)
    views.append(view)
    view.pager.last.click()
    assert view.offset == 20
    view.name_filter.value = f"{ns}m0"
    assert view.offset == 0 and len(view.frame) == 5


def test_search_box_is_debounced(populated: Registry, ns: str, views: list[Any]) -> None:
    queries = count_page_queries(populated)
    view = ModelList(populated, page_size=10, name=ns)
    views.append(view)

    async def type_slowly_then_wait() -> None:
        for prefix in (f"{ns}m", f"{ns}m2", f"{ns}m24"):
            view.name_filter.value = prefix  # one keystroke each
            await asyncio.sleep(0.05)
        assert view._search.pending and len(queries) == 1, "no query while typing"
        await asyncio.sleep(0.5)

    asyncio.run(type_slowly_then_wait())
    assert len(queries) == 2 and queries[-1].name == f"{ns}m24"
    assert view.frame["name"].tolist() == [f"{ns}m24"]


def test_only_the_visible_page_reaches_the_browser(
    populated: Registry, ns: str, views: list[Any]
) -> None:
    view = ModelList(populated, page_size=10, name=ns)
    views.append(view)
    html = view.table.value
    assert f"{ns}m09" in html and f"{ns}m10" not in html
    assert [n for _, n in view.model_select.options[1:]] == view.frame["name"].tolist()


@pytest.fixture
def versioned(registry: Registry, ns: str, model_folder: Path) -> str:
    name = f"{ns}mnist_cnn"
    model = registry.create_model(name, description="digits", notes="# Notes\n\n*careful*")
    for accuracy in (0.91, 0.95, 0.97):
        checkpoint = registry.create_checkpoint(
            model_folder, metrics={"accuracy": accuracy, "loss": 1 - accuracy}
        )
        model.register_version(checkpoint, comment=f"acc {accuracy}")
    return name


def test_select_model_shows_versions_and_card(
    registry: Registry, versioned: str, views: list[Any]
) -> None:
    view = ModelList(registry, name=versioned)
    views.append(view)
    assert view.details.children == ()
    view.model_select.value = versioned  # choosing the row in the menu
    assert view.selected == versioned and "jr-selected" in view.table.value
    versions = view.versions
    assert versions is not None and view.card is not None
    assert versions.frame["version"].tolist() == [3, 2, 1]
    assert versions.frame["metrics.accuracy"].tolist() == [0.97, 0.95, 0.91]
    assert "metrics.accuracy" in versions.table.value and "0.97" in versions.table.value
    assert "framework" in versions.frame.columns
    assert "<th>framework</th>" not in versions.table.value, "empty on this page: not shown"
    assert view.card.frame["name"].tolist() == [versioned]
    tabs = view.details.children[0]
    assert tabs.children == (versions, view.card)


def test_alias_actions(registry: Registry, versioned: str, views: list[Any]) -> None:
    table = VersionTable(registry.get_model(versioned))
    views.append(table)
    assert table.selected == 3
    table.alias_text.value = "production"
    table.set_alias_button.click()
    assert registry.get_model_version(f"{versioned}:production").version == 3
    assert table.frame.set_index("version").loc[3, "aliases"] == ["production"]

    table.version_select.value = 1  # move the alias to version 1
    table.set_alias_button.click()
    assert registry.get_model_version(f"{versioned}:production").version == 1
    aliases = table.frame.set_index("version")["aliases"].to_dict()
    assert aliases == {3: [], 2: [], 1: ["production"]}
    assert table.last_error is None and "production" in table.status.value

    table.remove_alias_button.click()
    assert registry.get_model_version(versioned).aliases == []
    assert all(a == [] for a in table.frame["aliases"])

    table.alias_text.value = "7"  # would read as a version number
    table.set_alias_button.click()
    assert table.last_error is not None and "version number" in table.last_error
    assert all(a == [] for a in table.frame["aliases"])


def test_load_snippet_follows_the_alias(
    registry: Registry, versioned: str, views: list[Any]
) -> None:
    model = registry.get_model(versioned)
    model.set_alias("production", 2)
    table = VersionTable(model)
    views.append(table)
    table.version_select.value = 2
    table.snippet_button.click()
    assert f"Registry().get_model_version('{versioned}:production').load()" in table.snippet
    assert table.snippet_text.value == table.snippet
    assert "navigator.clipboard" in str(table._clipboard.outputs)
    table.version_select.value = 1
    table.snippet_button.click()
    assert f"get_model_version('{versioned}:1')" in table.snippet
    ref = re.search(r"get_model_version\('([^']+)'\)", table.snippet).group(1)  # type: ignore[union-attr]
    assert registry.get_model_version(ref).version == 1


def test_download_action(registry: Registry, versioned: str, views: list[Any]) -> None:
    table = VersionTable(versioned, registry)
    views.append(table)
    table.version_select.value = 2
    table.folder_text.value = "out/v2"
    table.download_button.click()
    assert (Path("out/v2") / "code" / "model_def.py").read_text() == "class Net:\n    pass\n"
    assert (Path("out/v2") / "weights.bin").stat().st_size == 25224
    assert "downloaded" in table.status.value and table.last_error is None


def test_version_paging(registry: Registry, ns: str, model_folder: Path, views: list[Any]) -> None:
    model = registry.create_model(f"{ns}many")
    checkpoint = registry.create_checkpoint(model_folder)
    for _ in range(12):
        model.register_version(checkpoint)
    table = VersionTable(model, page_size=5)
    views.append(table)
    assert table.total == 12 and table.frame["version"].tolist() == [12, 11, 10, 9, 8]
    table.pager.next.click()
    assert table.frame["version"].tolist() == [7, 6, 5, 4, 3]
    table.pager.last.click()
    assert table.frame["version"].tolist() == [2, 1]


def test_model_card(registry: Registry, versioned: str, views: list[Any]) -> None:
    model = registry.get_model(versioned)
    model.set_alias("production", 3)
    model.add_metadata({"dataset": "<mnist>"})
    model.set_labels(["vision"])
    card = ModelCard(model)
    views.append(card)
    assert card.aliases == {"production": 3}
    assert card.frame.loc[0, "latest_version"] == 3
    html = card.summary.value
    assert "production → v3" in html and "vision" in html and "&lt;mnist&gt;" in html
    assert card.notes.value == "<h1>Notes</h1>\n<p><em>careful</em></p>\n"


def test_text_is_escaped(registry: Registry, ns: str, model_folder: Path, views: list[Any]) -> None:
    """Every free-text field reaches the browser as text; notes as sanitized Markdown."""
    payload = "<img src=x onerror=alert(1)>"
    model = registry.create_model(
        f"{ns}x",
        description=payload,
        labels=[payload],
        metadata={"k": payload},
        notes=f"**bold** {payload}<script>alert(2)</script>",
    )
    checkpoint = registry.create_checkpoint(model_folder, hparams={"k": payload})
    version = model.register_version(
        checkpoint, name=payload, comment=payload, metadata={"k": payload}
    )
    view = ModelList(registry, name=ns)
    views.append(view)
    view.select(model.name)
    assert view.versions is not None and view.card is not None
    shown = {
        "model table": view.table.value,
        "version table": view.versions.table.value,
        "card": view.card.summary.value,
        "model repr": model._repr_html_(),
        "version repr": version._repr_html_(),
        "checkpoint repr": checkpoint._repr_html_(),
    }
    for where, html in shown.items():
        assert "<img" not in html and "<script" not in html, where
    assert "&lt;img" in view.table.value and "&lt;img" in view.card.summary.value
    # notes are Markdown: the image stays, its handler and the script do not
    assert view.card.notes.value == '<p><strong>bold</strong> <img src="x"></p>\n'
    view.versions.show_status(payload, error=True)
    assert "&lt;img" in view.versions.status.value


def test_refresh_button_and_live_refresh(backend: Any, ns: str, views: list[Any]) -> None:
    if backend.server is not None:
        pytest.skip("over HTTP the kernel hears no change events: the refresh button is it")
    registry = backend.registry()
    view = ModelList(registry, name=ns)
    views.append(view)
    assert view.total == 0
    registry.create_model(f"{ns}a")  # a change in this process, outside a cell: at once
    assert view.frame["name"].tolist() == [f"{ns}a"]

    other = Registry(client=registry.client)
    view.unwatch()
    other.create_model(f"{ns}b")
    assert view.total == 1, "an unwatched view waits for the refresh button"
    view.refresh_button.click()
    assert view.frame["name"].tolist() == [f"{ns}a", f"{ns}b"]


def test_live_refresh_after_a_cell(
    backend: Any, shell: Any, ns: str, model_folder: Path, views: list[Any]
) -> None:
    """A registration in a cell (any ``Registry()`` in the kernel) refreshes when the cell ends."""
    if backend.server is not None:
        pytest.skip("over HTTP the kernel hears no change events: the refresh button is it")
    registry = backend.registry()
    model = registry.create_model(f"{ns}live")
    view = ModelList(registry, name=ns)
    views.append(view)
    view.select(f"{ns}live")
    assert view.versions is not None and view.versions.total == 0

    shell.user_ns.update(second=backend.registry(), folder=model_folder, name=model.name, view=view)
    shell.run_cell(
        "ckpt = second.create_checkpoint(folder, metrics={'acc': 0.5})\n"
        "second.get_model(name).register_version(ckpt, aliases=['production'])\n"
        "during = view.versions.total\n"
    ).raise_error()
    assert shell.user_ns["during"] == 0, "no refresh in the middle of the cell"
    assert view.versions.total == 1
    assert view.versions.frame["aliases"].tolist() == [["production"]]
    assert view.frame["versions"].tolist() == [1]


@pytest.fixture
def shell() -> Iterator[Any]:
    """An in-process IPython shell whose cell hooks the live refresh listens to."""
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    yield ip
    InteractiveShell.clear_instance()


def test_live_refresh_after_register_version_magic(
    shell: Any, ns: str, model_folder: Path, views: list[Any]
) -> None:
    if not (Path(__file__).parent.parent / "jupyter_registry" / "magics.py").exists():
        pytest.skip("the magics have not landed")
    view = ModelList(name=ns)  # the default registry, as %register_version uses
    views.append(view)
    assert view.total == 0
    shell.user_ns["folder"] = str(model_folder)
    shell.run_cell("%load_ext jupyter_registry").raise_error()
    shell.run_cell(f"%register_version {ns}cnn folder --create --alias production").raise_error()
    assert view.frame["name"].tolist() == [f"{ns}cnn"]
    assert view.frame["versions"].tolist() == [1]
    versions = VersionTable(f"{ns}cnn")
    views.append(versions)
    shell.run_cell(f"%register_version {ns}cnn folder").raise_error()
    assert versions.frame["version"].tolist() == [2, 1]
    assert versions.frame["aliases"].tolist() == [[], ["production"]]


def test_selected_model_deleted_elsewhere(
    registry: Registry, versioned: str, views: list[Any]
) -> None:
    view = ModelList(registry, name=versioned)
    views.append(view)
    view.select(versioned)
    registry.delete_model(versioned)  # refreshes the open view at once
    assert view.total == 0 and view.frame.empty
    assert view.versions is not None and view.versions.last_error is not None
    assert "no model named" in view.versions.last_error
    view.model_select.value = ""
    assert view.selected == versioned, "the details stay until another model is chosen"
    view.select(None)
    assert view.details.children == ()


def test_over_http(
    request: pytest.FixtureRequest, tmp_path: Path, ns: str, views: list[Any]
) -> None:
    """The same views over a Jupyter server's REST API (``Registry(server=...)``)."""
    from conftest import make_backend

    registry = make_backend("remote", request, tmp_path).registry()
    model = registry.create_model(f"{ns}remote", labels=["vision"])
    for i in range(3):
        registry.create_model(f"{ns}other{i}")
    (tmp_path / "w.bin").write_bytes(b"weights")
    model.register_version(registry.create_checkpoint(tmp_path / "w.bin", metrics={"f1": 0.8}))
    view = ModelList(registry, name=ns, page_size=2, labels=["vision"])
    views.append(view)
    assert view.frame["name"].tolist() == [f"{ns}remote"]
    view.labels_filter.value = []
    assert view.total == 4 and len(view.frame) == 2
    view.pager.next.click()
    assert view.frame["name"].tolist() == [f"{ns}other2", f"{ns}remote"]
    versions = view.select(f"{ns}remote")
    assert versions is not None and versions.frame["metrics.f1"].tolist() == [0.8]
    versions.set_alias("production")
    assert registry.get_model_version(f"{ns}remote:production").version == 1
    assert versions.download("dl") is not None and (Path("dl") / "w.bin").read_bytes() == b"weights"


def test_unknown_filter_is_an_error(registry: Registry) -> None:
    from jupyter_registry import ValidationError

    with pytest.raises(ValidationError, match="unknown filter"):
        ModelList(registry, colour="red")


def test_page_table_marks_selection_and_numbers() -> None:
    import pandas as pd

    frame = pd.DataFrame({"name": ["a", "b"], "score": [0.123456, None], "tags": [["x"], []]})
    html = page_table(frame, selected=1)
    assert html.count('class="jr-selected"') == 1 and "0.1235" in html
    assert html.count('class="jr-num"') == 2 and '<span class="jr-chip">x</span>' in html


def test_version_page_edits_the_versions_notes_and_metadata_and_lists_tensors(
    registry: Registry, ns: str, tmp_path: Path, views: list[Any]
) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    folder = tmp_path / "weights"
    folder.mkdir()
    save_file({"w": np.zeros((4, 3), np.float32)}, str(folder / "model.safetensors"))
    (folder / "notes.txt").write_text("x")
    model = registry.create_model(f"{ns}m", metadata={"model": "level"})
    model.register_version(registry.create_checkpoint(folder), metadata={"drop": 1, "keep": 2})
    page = VersionPage(model, 1)
    views.append(page)
    assert dict(zip(page.frame["path"], page.frame["bytes"], strict=True)) == {
        "model.safetensors": (folder / "model.safetensors").stat().st_size,
        "notes.txt": 1,
    }
    page.save_notes("## Evaluated <script>alert(1)</script>")
    assert registry.get_model_version(f"{ns}m:1").notes.startswith("## Evaluated")
    assert "<script" not in page.notes.value and "Evaluated" in page.notes.value
    page.save_metadata('{"keep": 3, "new": [1]}')
    assert registry.get_model_version(f"{ns}m:1").metadata == {"keep": 3, "new": [1]}
    assert registry.get_model(f"{ns}m").metadata == {"model": "level"}
    assert page.save_metadata("[1]") is None and "JSON object" in (page.last_error or "")
    assert registry.get_model_version(f"{ns}m:1").metadata == {"keep": 3, "new": [1]}
    assert page.file_select.options == ((CHOOSE, ""), ("model.safetensors", "model.safetensors"))
    info = page.show_tensors("model.safetensors")
    assert [(t.name, t.shape) for t in info.tensors] == [("w", [4, 3])]
    assert "12 parameters" in page.status.value
    assert page.show_tensors("notes.txt") is None and "safetensors" in (page.last_error or "")


def test_model_card_shows_the_front_matter_as_written(
    registry: Registry, ns: str, views: list[Any]
) -> None:
    notes = "---\nlicense: <mit>\ntags: [a]\n---\n# Body\n"
    card = ModelCard(registry.create_model(f"{ns}m", notes=notes))
    views.append(card)
    assert card.notes.value.startswith(
        '<pre class="jr-front-matter">license: &lt;mit&gt;\ntags: [a]\n</pre><h1>Body</h1>'
    )
