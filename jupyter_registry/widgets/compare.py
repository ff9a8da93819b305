"""``CompareView``: versions of a model side by side, with a chart of one metric.

The table is the service's comparison (:mod:`jupyter_registry.compare`) sent
as one escaped HTML table; the "only differences" toggle filters the rows it
already holds, without asking the registry again. The chart is a Vega-Lite
spec in an ``Output`` widget (the ``application/vnd.vegalite.v5+json`` MIME
bundle, which JupyterLab 4 and Notebook 7 render themselves), so no front-end
code of ours is needed. Names and values reach the chart as data and titles,
which Vega draws as text; its field names are fixed, never a metric's name,
since Vega-Lite reads dots and brackets in a field name as a path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as w
import pandas as pd

from .. import frames
from ..sanitize import escape_text
from ..schemas import CompareQuery, CompareRow, DescribeComparison, parse
from ..sdk import Model, Registry
from .html import page_table
from .views import CHOOSE, View, display_data, registry_for

VEGA_LITE = "application/vnd.vegalite.v5+json"
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: Sections whose numeric rows can be charted across versions.
CHARTED_SECTIONS = ("metrics", "hparams")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def chartable(rows: Iterable[CompareRow]) -> list[CompareRow]:
    """Metric and hparam rows with a number in at least one version."""
    return [
        row
        for row in rows
        if row.section in CHARTED_SECTIONS and any(is_number(v) for v in row.values)
    ]


def metric_chart(comparison: DescribeComparison, row: CompareRow) -> dict[str, Any]:
    """A Vega-Lite line chart of ``row`` across the compared versions (gaps where none)."""
    values = [
        {"version": f"v{number}", "value": value}
        for number, value in zip(comparison.versions, row.values, strict=True)
        if is_number(value)
    ]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": row.key,
        "width": 360,
        "height": 180,
        "data": {"values": values},
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": {
            "x": {
                "field": "version",
                "type": "ordinal",
                "sort": [f"v{n}" for n in comparison.versions],
                "title": "version",
            },
            "y": {"field": "value", "type": "quantitative", "title": row.key},
        },
    }


class CompareView(View):
    """Versions of a model side by side, one column a version, with a metric chart.

    ``CompareView(model, versions=None, registry=None, only_differences=False,
    metric=None)``: ``versions`` as for :meth:`Model.compare` (default: the
    newest ten). ``.frame`` is the table shown (only the differing rows while
    the toggle is on), ``.comparison`` everything the registry answered.
    """

    def __init__(
        self,
        model: Model | str,
        versions: Iterable[int | str] | None = None,
        registry: Registry | None = None,
        *,
        only_differences: bool = False,
        metric: str | None = None,
        watch: bool = True,
    ) -> None:
        self.registry, self.model_name = registry_for(model, registry)
        self.query = parse(CompareQuery, {"versions": [str(v) for v in versions or ()]})
        self.comparison = DescribeComparison(model_name=self.model_name, versions=[], rows=[])
        self.frame = pd.DataFrame()
        self.title = w.HTML()
        self.only_differences = w.Checkbox(
            value=only_differences, description="only differences", indent=False
        )
        self.only_differences.add_class("jr-only-differences")
        self.metric = w.Dropdown(
            options=[(CHOOSE, "")], description="Chart", layout=w.Layout(width="24em")
        )
        self.metric.add_class("jr-chart-metric")
        self.refresh_button = w.Button(
            description="Refresh", icon="refresh", layout=w.Layout(width="auto")
        )
        self.table = w.HTML()
        self.table.add_class("jr-compare-table")
        self.chart = w.Output()
        self.chart.add_class("jr-compare-chart")
        self._wanted_metric = metric
        controls = w.HBox(
            [self.only_differences, self.metric, self.refresh_button],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        super().__init__([self.title, controls, self.table, self.chart], watch=watch)
        self.add_class("jr-compare-view")
        self.only_differences.observe(lambda _c: self._render_table(), "value")
        self.metric.observe(lambda _c: self._render_chart(), "value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.refresh()

    def _load(self) -> None:
        self.comparison = self.registry.client.compare_versions(self.model_name, self.query)
        columns = ", ".join(f"v{n}" for n in self.comparison.versions) or "no versions"
        self.title.value = f"<b>{escape_text(self.model_name)}</b> · {escape_text(columns)}"
        keys = [row.key for row in chartable(self.comparison.rows)]
        chosen = self.metric.value or self._wanted_metric
        self.metric.options = [(CHOOSE, ""), *((key, key) for key in keys)]
        self.metric.value = chosen if chosen in keys else (keys[0] if keys else "")
        self._render_table()
        self._render_chart()
        self.show_status("")

    def _render_table(self) -> None:
        rows = self.comparison.rows
        if self.only_differences.value:
            rows = [row for row in rows if row.differs]
        shown = self.comparison.model_copy(update={"rows": rows})
        self.frame = frames.comparison_frame(shown)
        empty = (
            "no differences between these versions"
            if self.comparison.rows
            else "no versions to compare"
        )
        self.table.value = page_table(self.frame.reset_index(), empty=empty)

    def _render_chart(self) -> None:
        row = next((r for r in self.comparison.rows if r.key == self.metric.value), None)
        if row is None:
            self.chart.outputs = ()
            return
        spec = metric_chart(self.comparison, row)
        self.chart.outputs = (display_data({VEGA_LITE: spec, "text/plain": f"chart of {row.key}"}),)

    def set_only_differences(self, value: bool = True) -> None:
        """Show only the rows whose values differ (as the toggle does)."""
        self.only_differences.value = value

    def chart_metric(self, key: str) -> dict[str, Any]:
        """Chart the row ``key`` (``metrics.acc``); the Vega-Lite spec shown."""
        self.metric.value = key
        return metric_chart(self.comparison, next(r for r in self.comparison.rows if r.key == key))
