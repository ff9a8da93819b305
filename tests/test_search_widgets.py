"""The ``ModelList`` widget's filter box: the filter language, its errors shown in place."""

from __future__ import annotations

from typing import Any

from test_widgets import populated, views  # noqa: F401  (fixtures)

from jupyter_registry import Registry
from jupyter_registry.widgets import ModelList


def test_filter_box_narrows_and_keeps_the_list_on_a_bad_expression(
    populated: Registry,  # noqa: F811
    ns: str,
    views: list[Any],  # noqa: F811
) -> None:
    view = ModelList(populated, page_size=10, name=ns)
    views.append(view)
    view.expression_filter.value = "labels contains 'even' and description contains 'vision'"
    assert view.frame["name"].tolist() == [f"{ns}m00", f"{ns}m10", f"{ns}m20"]
    assert view.last_error is None

    view.expression_filter.value = "labels contains 'even' and (description"
    assert view.last_error is not None and "position 40" in view.last_error
    assert "position 40" in view.status.value
    assert view.frame["name"].tolist() == [f"{ns}m00", f"{ns}m10", f"{ns}m20"]  # kept

    view.expression_filter.value = ""
    assert view.total == 25 and view.last_error is None
    made = ModelList(populated, name=ns, filter="labels = 'odd'")
    views.append(made)
    assert made.total == 12 and made.expression_filter.value == "labels = 'odd'"
