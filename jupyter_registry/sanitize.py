"""Turning user-supplied text into HTML a browser may render (SPEC §7).

Model notes, descriptions, labels and comments are written by any member of
a shared registry and shown in other people's JupyterLab, where the widget
manager inserts HTML without a sanitizer of its own. So every view builds its
HTML here: plain strings are escaped (:func:`escape_text`), Markdown is
rendered and then cleaned by ammonia (through ``nh3``) with a strict
allow-list (:func:`render_markdown`, :func:`sanitize_html`). The result is an
:class:`Html`, the one type :func:`jupyter_registry.display.card` inserts
without escaping, so a raw string cannot reach a view by mistake.
"""

from __future__ import annotations

from functools import cache
from html import escape
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


class Html(str):
    """HTML known to be safe to insert: built only by escaping or sanitizing."""

    __slots__ = ()


#: Text structure only: no scripts, frames, plugins, forms, SVG, MathML or <style>.
TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl",
        "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
        "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub",
        "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
#: No event handlers, ``style``, ``class`` or ``id`` (which could dress text up as
#: JupyterLab's own interface or clobber names its scripts look up).
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "details": {"open"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
#: Plus relative URLs; ``javascript:``, ``data:``, ``vbscript:`` and the rest are dropped.
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: Dropped with their content rather than shown as text.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "noscript", "template"})


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        # a link opens beside JupyterLab instead of replacing it
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


@cache
def _markdown() -> MarkdownIt:
    """The parser, imported on first use: only notes and descriptions need it."""
    from markdown_it import MarkdownIt

    # Raw HTML is let through the Markdown parser only because the cleaner runs after it.
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def escape_text(text: object) -> Html:
    """``text`` shown as itself, whatever characters it holds."""
    return Html(escape(str(text)))


def sanitize_html(html: str) -> Html:
    """``html`` with everything outside the allow-list removed."""
    return Html(_cleaner().clean(html))


def render_markdown(text: str) -> Html:
    """Markdown (CommonMark plus tables and strikethrough) as sanitized HTML."""
    return sanitize_html(_markdown().render(text))
