"""``CompareView`` driven from Python, and ``%compare`` in a real kernel.

Hostile metric names and metadata values must reach the browser escaped: the
widget manager inserts HTML as it comes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_magics import run_notebook, text_of

from jupyter_registry import Registry
from jupyter_registry.widgets import CompareView
from jupyter_registry.widgets.compare import VEGA_LITE

HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

SETUP = f"""
from pathlib import Path
from jupyter_registry import Registry
reg = Registry()
Path("m").mkdir(exist_ok=True)
Path("m/w.bin").write_bytes(b"one")
first = reg.create_checkpoint("m", metrics={{"acc": 0.9, "loss": 0.3}}, hparams={{"lr": 0.1}})
Path("m/w.bin").write_bytes(b"two")
second = reg.create_checkpoint(
    "m", metrics={{"acc": 0.95, "loss": 0.3, {HOSTILE!r}: 2.0}}, hparams={{"lr": 0.01}}
)
model = reg.create_model("{{name}}")
model.register_version(first, aliases=["staging"])
model.register_version(second, metadata={{"note": {HOSTILE!r}}})
model.register_version(second)
"""


def make_model(registry: Registry, name: str, folder: Path) -> Any:
    folder.mkdir()
    (folder / "w.bin").write_bytes(b"one")
    first = registry.create_checkpoint(folder, metrics={"acc": 0.9, "loss": 0.3})
    (folder / "w.bin").write_bytes(b"two")
    second = registry.create_checkpoint(
        folder, metrics={"acc": 0.95, "loss": 0.3, HOSTILE: 2.0}, hparams={"lr": 0.01}
    )
    model = registry.create_model(name)
    model.register_version(first, aliases=["staging"])
    model.register_version(second, metadata={"note": HOSTILE})
    model.register_version(second)
    return model


def test_compare_view_toggles_differences_and_charts_a_metric(
    registry: Registry, ns: str, tmp_path: Path
) -> None:
    model = make_model(registry, f"{ns}m", tmp_path / "m")
    view = CompareView(model, [1, 3])
    try:
        assert list(view.frame.columns) == ["v1", "v3"]
        assert "metrics.loss" in view.frame.index
        assert view.metric.value == f"metrics.{HOSTILE}"  # the first chartable row, sorted
        view.set_only_differences()
        assert "metrics.loss" not in view.frame.index and "metrics.acc" in view.frame.index
        assert "metrics.loss" not in view.table.value
        view.set_only_differences(False)
        assert "metrics.loss" in view.table.value

        spec = view.chart_metric("metrics.acc")
        (output,) = view.chart.outputs
        assert output["data"][VEGA_LITE] == spec
        assert spec["data"]["values"] == [
            {"version": "v1", "value": 0.9},
            {"version": "v3", "value": 0.95},
        ]
        assert spec["encoding"]["y"]["field"] == "value"  # never a metric's own name
        # hparams.lr: v1 has none, so the chart has one point, not a zero
        assert view.chart_metric("hparams.lr")["data"]["values"] == [
            {"version": "v3", "value": 0.01}
        ]

        # hostile names and values are text in the table: no element, no handler
        table = view.table.value
        assert "<script>" not in table and "<img" not in table
        assert "&lt;script&gt;window.__xss=2&lt;/script&gt;" in table
        assert "onerror=&quot;" in table
        assert "<b>" + ns in view.title.value

        # a new version appears after a change made through the same registry
        model.register_version(model.get_version(1).checkpoint)
        view.refresh()
        assert list(view.frame.columns) == ["v1", "v3"]  # the versions named stay
        assert list(CompareView(model, watch=False).frame.columns) == ["v1", "v2", "v3", "v4"]
    finally:
        view.close()


def test_compare_view_reports_errors_in_its_status_line(registry: Registry, ns: str) -> None:
    registry.create_model(f"{ns}empty")
    view = CompareView(f"{ns}empty", registry=registry, watch=False)
    assert view.frame.empty and "no versions to compare" in view.table.value
    assert view.chart.outputs == ()
    missing = CompareView(f"{ns}nope", registry=registry, watch=False)
    assert missing.last_error == f"no model named '{ns}nope'"


def widget_states(nb: Any) -> list[dict[str, Any]]:
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return [entry["state"] for entry in states.values()]


def with_class(states: list[dict[str, Any]], css: str) -> dict[str, Any]:
    """The first widget with ``css`` (the failed ``%compare`` calls made, then closed, others)."""
    return next(s for s in states if css in s.get("_dom_classes", []))


@pytest.mark.slow
def test_compare_magic_in_a_kernel(tmp_path: Path, ns: str) -> None:
    name = f"{ns}cmp"
    cells = [
        "%load_ext jupyter_registry",
        SETUP.replace("{name}", name),
        f"%compare {name} 1 staging 3 --only-differences --metric metrics.acc",
        f"%compare {name} 1 9",
        f"%compare {name} 'bad name'",
        "%compare --help",
    ]
    nb = run_notebook(tmp_path / "nb", cells, allow_errors=True)
    assert any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in nb.cells[2].outputs
    ), nb.cells[2].outputs
    states = widget_states(nb)
    table = with_class(states, "jr-compare-table")["value"]
    assert "metrics.acc" in table and "hparams.lr" in table
    assert "metrics.loss" not in table  # equal in v1 and v3: hidden by --only-differences
    assert "<script>" not in table and "&lt;script&gt;" in table
    assert with_class(states, "jr-only-differences")["value"] is True
    chart = with_class(states, "jr-compare-chart")["outputs"][0]["data"][VEGA_LITE]
    assert chart["data"]["values"] == [
        {"version": "v1", "value": 0.9},
        {"version": "v3", "value": 0.95},
    ]
    assert text_of(nb.cells[3]).strip() == f"UsageError: model '{name}' has no version 9"
    error = text_of(nb.cells[4]).strip()
    assert error.startswith("UsageError: invalid version reference 'bad name'"), error
    assert "%compare [--only-differences] [--metric KEY]" in text_of(nb.cells[5])
