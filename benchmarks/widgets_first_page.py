"""Time the model list widget's first page (and paging, sorting, filtering) over 50,000 models.

Run: ``python -m benchmarks.widgets_first_page [--models 50000] [--browser]``.

The registry is a throwaway SQLite home. Models are seeded in bulk through the
store's tables (``--seed sdk`` uses ``create_model`` instead, ~2 ms each);
every timed operation then goes through the public widget exactly as a click
would: one paged ``list_models`` query, a DataFrame, one HTML table. For
contrast it also times what an unpaged view would do (the whole registry as a
DataFrame and as one HTML table). ``--browser`` adds the front end: a real
JupyterLab + Chromium, from Shift+Enter on ``ModelList()`` (warm kernel) to the
20 rows on screen, and from a click on "next page" to the next page on screen.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .timing import HEADER, Phase, measure

FAMILIES = ["mnist_cnn", "resnet50", "bert-base", "churn-xgb", "whisper-small", "forecast"]
LABELS = ["vision", "nlp", "tabular", "audio", "timeseries"]


def seed_bulk(registry: Any, count: int) -> None:
    """Insert ``count`` models (and a label each) straight into the store's tables."""
    from sqlalchemy import insert

    from jupyter_registry.store.orm import LabelRow, ModelRow

    engine = registry.client.service.store.engine
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    models = [
        {
            "id": i + 1,
            "name": f"{FAMILIES[i % len(FAMILIES)]}-{i:06d}",
            "description": f"{FAMILIES[i % len(FAMILIES)]} trained on shard {i % 97}",
            "metadata_": {"shard": i % 97},
            "notes": "",
            "archived": i % 50 == 0,
            "creation_time": start + timedelta(minutes=i),
            "last_updated_time": start + timedelta(minutes=(i * 7919) % count),
            "last_version": 0,
        }
        for i in range(count)
    ]
    labels = [
        {"model_id": i + 1, "label": LABELS[i % len(LABELS)], "position": 0} for i in range(count)
    ]
    with engine.begin() as conn:
        for first in range(0, count, 5_000):
            conn.execute(insert(ModelRow), models[first : first + 5_000])
            conn.execute(insert(LabelRow), labels[first : first + 5_000])


def seed_sdk(registry: Any, count: int) -> None:
    for i in range(count):
        family = FAMILIES[i % len(FAMILIES)]
        registry.create_model(
            f"{family}-{i:06d}",
            description=f"{family} trained on shard {i % 97}",
            labels=[LABELS[i % len(LABELS)]],
        )


def kernel_side(registry: Any, repeat: int) -> list[Phase]:
    from jupyter_registry.frames import models_frame
    from jupyter_registry.schemas import ModelSortBy, OrderBy
    from jupyter_registry.widgets import ModelList
    from jupyter_registry.widgets.html import page_table

    phases = [
        measure("ModelList() first page (build)", range(repeat), lambda _: ModelList(registry))
    ]
    view = ModelList(registry)
    phases.append(measure("next page", range(repeat), lambda _: view.next_page()))
    phases.append(measure("last page", range(repeat), lambda _: view.move("last")))
    for sort_by in ModelSortBy:
        for order_by in OrderBy:

            def sort(_: object, s: str = sort_by.value, o: str = order_by.value) -> None:
                view._quiet = True  # set both controls, then query once
                view.sort_by.value, view.order_by.value = s, o
                view._quiet = False
                view.offset = 0
                view.refresh()

            phases.append(measure(f"sort {sort_by.value} {order_by.value}", range(repeat), sort))
    view.sort_by.value, view.order_by.value = "name", "asc"
    for label, control, text in (
        ("filter name contains", view.name_filter, "resnet50-0123"),
        ("filter description contains", view.description_filter, "shard 42"),
    ):

        def search(i: object, control: Any = control, text: str = text) -> None:
            control.value = text if int(i) % 2 == 0 else text[:-1]  # type: ignore[call-overload]

        phases.append(measure(label, range(repeat), search))
        control.value = ""

    def by_label(i: object) -> None:
        view.labels_filter.value = [LABELS[int(i) % len(LABELS)]]  # type: ignore[call-overload]

    phases.append(measure("filter label", range(repeat), by_label))
    view.close()

    t0 = time.perf_counter()
    frame = registry.models_frame()
    frame_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = page_table(frame)
    html_s = time.perf_counter() - t0
    everything = Phase("unpaged: all models as DataFrame", [frame_s * 1000], frame_s)
    as_html = Phase("unpaged: all models as one HTML", [html_s * 1000], html_s)
    page_html = len(ModelList(registry).table.value.encode())
    print(
        f"HTML sent for one page of 20: {page_html / 1024:.1f} KiB; "
        f"for all {len(frame):,} models: {len(html.encode()) / 1024 / 1024:.1f} MiB "
        f"({len(models_frame([]).columns)} columns)"
    )
    return [*phases, everything, as_html]


def browser_side(home: Path, repeat: int) -> list[Phase]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import nbformat
    from browser import CHROMIUM, CHROMIUM_ARGS, start_lab
    from playwright.sync_api import expect, sync_playwright

    base = Path(tempfile.mkdtemp(prefix="jr-bench-lab-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_REGISTRY_")}
    env["JUPYTER_REGISTRY_HOME"] = str(home)
    lab = start_lab(base, env)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from jupyter_registry.widgets import ModelList"),
        nbformat.v4.new_code_cell("ModelList()"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)"}
    nbformat.write(notebook, lab.root / "bench.ipynb")
    first: list[float] = []
    paging: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(lab.open_url("lab/tree/bench.ipynb"))
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
            page.locator(".jp-Cell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")  # imports: not timed
            for _ in range(repeat):
                page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
                page.locator(".jp-Cell .jp-InputArea-editor").nth(1).click()
                t0 = time.perf_counter()
                page.keyboard.press("Shift+Enter")
                rows = page.locator(".jr-model-table tbody tr")
                expect(rows).to_have_count(20, timeout=30_000)
                first.append((time.perf_counter() - t0) * 1000)
            pager = page.locator(".jr-pager").first
            for n in range(2, repeat + 2):
                t0 = time.perf_counter()
                pager.locator("button[title='next page']").click()
                expect(pager).to_contain_text(f"page {n:,} of")
                paging.append((time.perf_counter() - t0) * 1000)
            browser.close()
    finally:
        lab.stop()
    return [
        Phase("browser: Shift+Enter to 20 rows", first, sum(first) / 1000),
        Phase("browser: next-page click to rows", paging, sum(paging) / 1000),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.widgets_first_page")
    parser.add_argument("--models", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20, help="runs per timed phase")
    parser.add_argument("--seed", choices=("bulk", "sdk"), default="bulk")
    parser.add_argument("--browser", action="store_true", help="also time JupyterLab + Chromium")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="jr-bench-widgets-") as home:
        os.environ["JUPYTER_REGISTRY_HOME"] = home
        from jupyter_registry import Registry

        registry = Registry()
        t0 = time.perf_counter()
        (seed_bulk if args.seed == "bulk" else seed_sdk)(registry, args.models)
        print(f"seeded {args.models:,} models ({args.seed}) in {time.perf_counter() - t0:.1f} s")
        print(f"jupyter_registry widgets benchmark ({args.models:,} models, embedded SQLite)")
        print(
            f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(HEADER)
        for phase in kernel_side(registry, args.repeat):
            print(phase.row(), flush=True)
        if args.browser:
            for phase in browser_side(Path(home), min(args.repeat, 10)):
                print(phase.row())


if __name__ == "__main__":
    main()
