"""Pure HTML rendering of one page of a DataFrame (no widgets, no I/O).

The views send only the visible page to the browser, as one escaped HTML table,
so a registry of 50,000 models costs the front end no more than one of 20.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import pandas as pd

from ..sanitize import escape_text

TABLE_CLASS = "jr-table"

STYLE = f"""<style>
.{TABLE_CLASS} {{border-collapse:collapse;font-family:var(--jp-ui-font-family,sans-serif);
  font-size:var(--jp-ui-font-size1,13px);width:100%;table-layout:auto}}
.{TABLE_CLASS} th {{text-align:left;font-weight:600;padding:4px 8px;white-space:nowrap;
  border-bottom:2px solid var(--jp-border-color1,#bbb);color:var(--jp-ui-font-color1,#222)}}
.{TABLE_CLASS} td {{padding:3px 8px;border-bottom:1px solid var(--jp-border-color2,#e0e0e0);
  vertical-align:top;line-height:1.5;color:var(--jp-ui-font-color1,#222);max-width:28em;overflow:hidden;
  text-overflow:ellipsis;white-space:nowrap}}
.{TABLE_CLASS} td.jr-num {{text-align:right;font-variant-numeric:tabular-nums}}
.{TABLE_CLASS} tr.jr-selected td {{background:var(--jp-brand-color3,#d7e9fb)}}
.{TABLE_CLASS} tr:hover td {{background:var(--jp-layout-color2,#f2f2f2)}}
.{TABLE_CLASS} .jr-chip {{display:inline-block;padding:0 6px;margin:0 2px 0 0;border-radius:8px;
  background:var(--jp-layout-color3,#e4e4e4);font-size:90%}}
.{TABLE_CLASS} .jr-empty {{color:var(--jp-ui-font-color2,#777);font-style:italic}}
.{TABLE_CLASS} .jr-sorted::after {{content:var(--jr-arrow);padding-left:3px}}
</style>"""


def format_cell(value: Any) -> str:
    """One cell as escaped HTML: dates to the minute, lists as chips, floats to 4 digits."""
    if isinstance(value, (list, tuple)):
        return "".join(f'<span class="jr-chip">{escape_text(v)}</span>' for v in value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, datetime):
        return escape_text(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return escape_text(f"{value:.4g}")
    if isinstance(value, dict):
        return escape_text(json.dumps(value, default=str)[:200])
    return escape_text(value)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def page_table(
    frame: pd.DataFrame,
    columns: list[str] | None = None,
    headers: dict[str, str] | None = None,
    selected: int | None = None,
    sorted_column: str | None = None,
    descending: bool = False,
    empty: str = "nothing to show",
) -> str:
    """An HTML table of ``frame`` (already one page); row ``selected`` is highlighted."""
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    headers = headers or {}
    numeric = {c for c in columns if _is_numeric(frame[c])}
    arrow = "'\\25BC'" if descending else "'\\25B2'"
    head = "".join(
        f'<th class="jr-sorted" style="--jr-arrow:{arrow}">{escape_text(headers.get(c, c))}</th>'
        if c == sorted_column
        else f"<th>{escape_text(headers.get(c, c))}</th>"
        for c in columns
    )
    if frame.empty:
        body = f'<tr><td class="jr-empty" colspan="{len(columns)}">{escape_text(empty)}</td></tr>'
    else:
        rows = []
        for position, record in enumerate(frame[columns].itertuples(index=False, name=None)):
            cells = "".join(
                f'<td class="jr-num">{format_cell(v)}</td>'
                if c in numeric
                else f"<td>{format_cell(v)}</td>"
                for c, v in zip(columns, record, strict=True)
            )
            mark = ' class="jr-selected"' if position == selected else ""
            rows.append(f"<tr{mark}>{cells}</tr>")
        body = "".join(rows)
    return (
        f'{STYLE}<table class="{TABLE_CLASS}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def page_summary(
    offset: int, shown: int, total: int, page_size: int, noun: str, estimate: bool = False
) -> str:
    """``"21-40 of 50,000 models · page 2 of 2,500"``; ``"of about …"`` for an estimated total."""
    about = "about " if estimate else ""
    if total == 0:
        return f"no {noun}"
    if shown == 0:
        return f"past the end of {about}{total:,} {noun}"
    pages = max(1, math.ceil(total / page_size))
    page = offset // page_size + 1
    return (
        f"{offset + 1:,}-{offset + shown:,} of {about}{total:,} {noun}"
        f" · page {page:,} of {about}{pages:,}"
    )
