"""Rich notebook displays (``_repr_html_``) for the SDK objects; no I/O here."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any

STYLE = (
    "<style>.jr-card{font-family:var(--jp-ui-font-family,sans-serif);font-size:13px}"
    ".jr-card th{text-align:left;padding-right:1em;color:var(--jp-ui-font-color2,#555)}"
    ".jr-card code{font-size:12px}.jr-chip{display:inline-block;padding:0 6px;margin:0 2px;"
    "border-radius:8px;background:var(--jp-layout-color2,#eee)}</style>"
)


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        return escape(value.strftime("%Y-%m-%d %H:%M:%S UTC"))
    if isinstance(value, (dict, list)):
        if not value:
            return "<i>none</i>"
        text = json.dumps(value, indent=1, default=str)
        if len(text) > 2000:
            text = text[:2000] + " …"
        return f"<code>{escape(text)}</code>"
    if value is None or value == "":
        return "<i>none</i>"
    return escape(str(value))


def chips(values: Iterable[str]) -> str:
    return "".join(f'<span class="jr-chip">{escape(v)}</span>' for v in values) or "<i>none</i>"


def card(title: str, rows: dict[str, Any], raw: frozenset[str] = frozenset()) -> str:
    """A titled two-column table; keys in ``raw`` hold HTML already escaped by the caller."""
    body = "".join(
        f"<tr><th>{escape(key)}</th><td>{value if key in raw else _value(value)}</td></tr>"
        for key, value in rows.items()
    )
    return f'{STYLE}<div class="jr-card"><b>{escape(title)}</b><table>{body}</table></div>'
