"""Rich notebook displays (``_repr_html_``) for the SDK objects; no I/O here.

Every value shown is escaped unless it is already :class:`~.sanitize.Html`,
so a name, label or comment holding markup is shown as text (SPEC §7).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .sanitize import Html, escape_text

STYLE = (
    "<style>.jr-card{font-family:var(--jp-ui-font-family,sans-serif);font-size:13px}"
    ".jr-card th{text-align:left;padding-right:1em;color:var(--jp-ui-font-color2,#555)}"
    ".jr-card code{font-size:12px}.jr-chip{display:inline-block;padding:0 6px;margin:0 2px;"
    "border-radius:8px;background:var(--jp-layout-color2,#eee)}</style>"
)
NONE = Html("<i>none</i>")


def _value(value: Any) -> Html:
    if isinstance(value, Html):
        return value
    if isinstance(value, datetime):
        return escape_text(value.strftime("%Y-%m-%d %H:%M:%S UTC"))
    if isinstance(value, (dict, list)):
        if not value:
            return NONE
        text = json.dumps(value, indent=1, default=str)
        if len(text) > 2000:
            text = text[:2000] + " …"
        return Html(f"<code>{escape_text(text)}</code>")
    if value is None or value == "":
        return NONE
    return escape_text(value)


def chips(values: Iterable[str]) -> Html:
    return Html("".join(f'<span class="jr-chip">{escape_text(v)}</span>' for v in values) or NONE)


def card(title: str, rows: dict[str, Any]) -> Html:
    """A titled two-column table; values are escaped unless already :class:`Html`."""
    body = "".join(
        f"<tr><th>{escape_text(key)}</th><td>{_value(value)}</td></tr>"
        for key, value in rows.items()
    )
    return Html(
        f'{STYLE}<div class="jr-card"><b>{escape_text(title)}</b><table>{body}</table></div>'
    )
