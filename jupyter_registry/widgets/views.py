"""The notebook views: ModelList, VersionTable, ModelCard, VersionPage (standard ipywidgets).

Each view asks the registry for one page (``list_models``/``list_versions``
with ``offset``/``limit``, which also return the total), keeps it as a pandas
DataFrame in ``.frame``, and sends the browser that page only, as one escaped
HTML table. Selection and row actions are ordinary widgets next to the table,
and every action is also a method, so code and tests drive the views the same
way a click does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import ipywidgets as w
import pandas as pd

from .. import display, frames
from ..cards import split_card
from ..errors import RegistryError, ValidationError
from ..sanitize import escape_text, render_markdown
from ..schemas import (
    DescribeModel,
    DescribeTensors,
    DescribeVersion,
    ListModelsQuery,
    ModelSortBy,
    OrderBy,
    SetAlias,
    parse,
)
from ..sdk import Model, ModelVersion, Registry
from .html import page_summary, page_table
from .live import Debouncer, LiveRefresh

DEBOUNCE_SECONDS = 0.3
# Menu values are never None: to the front end None means "nothing chosen" (a blank menu)
CHOOSE = "— choose —"
PAGE_SIZES = (10, 20, 50, 100)

MODEL_COLUMNS = [c for c in frames.MODEL_COLUMNS if c != "archived"]
MODEL_HEADERS = {
    "latest_version": "latest",
    "creation_time": "created",
    "created_by": "by",
    "last_updated_time": "updated",
}
VERSION_HEADERS = {"creation_time": "created", "created_by": "by"}
ALWAYS_SHOWN = frozenset({"version", "aliases", "comment", "creation_time"})
SORT_LABELS = {
    ModelSortBy.NAME: "name",
    ModelSortBy.DESCRIPTION: "description",
    ModelSortBy.CREATION_TIME: "created",
    ModelSortBy.LAST_UPDATED_TIME: "updated",
}
ARCHIVED_CHOICES = {"all models": None, "active only": False, "archived only": True}

F = TypeVar("F", bound=Callable[..., Any])


def _reports_errors(method: F) -> F:
    """Button callbacks: show a registry or file error in the view's status line."""

    @wraps(method)
    def wrapper(self: View, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (RegistryError, OSError) as exc:
            self.show_status(str(exc), error=True)
            return None

    return wrapper  # type: ignore[return-value]


def _button(description: str, icon: str = "", tooltip: str = "", **layout: str) -> w.Button:
    return w.Button(
        description=description,
        icon=icon,
        tooltip=tooltip or description,
        layout=w.Layout(width="auto", **layout),
    )


def _search_box(field: str, value: str | None, width: str) -> w.Text:
    """A text box that reports every keystroke (the view debounces them)."""
    return w.Text(
        value=value or "",
        placeholder=f"{field.lower()} contains…",
        description=field,
        continuous_update=True,
        layout=w.Layout(width=width),
    )


def registry_for(model: Model | str, registry: Registry | None) -> tuple[Registry, str]:
    if isinstance(model, Model):
        # the Model's own client, so a view of a remote model stays remote
        return registry or model.registry, model.name
    return registry or Registry(), model


class View(w.VBox):
    """A VBox with a status line, a current ``.frame`` and live refresh."""

    frame: pd.DataFrame
    registry: Registry
    #: Set while the view refreshes itself after changes (``watch=True``).
    live: LiveRefresh | None = None

    def __init__(self, children: list[w.Widget], watch: bool, **kwargs: Any) -> None:
        self.status = w.HTML(layout=w.Layout(min_height="1.5em"))
        super().__init__(children=[*children, self.status], **kwargs)
        if watch:
            self.live = LiveRefresh(self, self.registry.client)

    def show_status(self, message: str, error: bool = False) -> None:
        color = "var(--jp-error-color1,#c62828)" if error else "var(--jp-ui-font-color2,#555)"
        self.status.value = f'<span style="color:{color}">{escape_text(message)}</span>'
        self.last_error = message if error else None

    last_error: str | None = None

    def refresh(self) -> None:
        try:
            self._load()
        except RegistryError as exc:
            self.show_status(str(exc), error=True)

    def _load(self) -> None:
        raise NotImplementedError

    def unwatch(self) -> None:
        """Stop refreshing after changes: the view then waits for its refresh button."""
        if self.live is not None:
            self.live.stop()
            self.live = None

    def close(self) -> None:
        self.unwatch()
        super().close()


class _Pager(w.HBox):
    """First/previous/next/last buttons, a position label and a page-size menu."""

    def __init__(self, page_size: int, on_move: Callable[[str], None]) -> None:
        self.first = _button("", "angle-double-left", "first page")
        self.previous = _button("", "angle-left", "previous page")
        self.next = _button("", "angle-right", "next page")
        self.last = _button("", "angle-double-right", "last page")
        sizes = sorted({*PAGE_SIZES, page_size})
        self.size = w.Dropdown(
            options=[(f"{n} / page", n) for n in sizes],
            value=page_size,
            layout=w.Layout(width="8em"),
        )
        self.label = w.HTML(layout=w.Layout(margin="0 1em"))
        for name in ("first", "previous", "next", "last"):
            getattr(self, name).on_click(lambda _b, name=name: on_move(name))
        super().__init__(
            [self.first, self.previous, self.label, self.next, self.last, self.size],
            layout=w.Layout(align_items="center"),
        )
        self.add_class("jr-pager")

    def update(self, offset: int, shown: int, total: int, noun: str, estimate: bool) -> None:
        size = self.size.value
        self.label.value = escape_text(page_summary(offset, shown, total, size, noun, estimate))
        self.first.disabled = self.previous.disabled = offset <= 0
        # an estimated total can be short: a full page may always have a next one
        at_end = shown < size if estimate else offset + size >= total
        self.next.disabled = self.last.disabled = at_end


def _new_offset(move: str, offset: int, size: int, total: int) -> int:
    last = max(0, (total - 1) // size * size)
    return {
        "first": 0,
        "previous": max(0, offset - size),
        "next": min(last, offset + size),
        "last": last,
    }[move]


class ModelList(View):
    """The registry's models, one page at a time, sortable and filterable.

    ``ModelList(registry=None, page_size=20, **filters)`` takes the filters of
    :meth:`Registry.get_models` (``sort_by``, ``order_by``, ``name``,
    ``description``, ``labels``, ``archived``, ``filter``: an expression of the
    filter language, typed in the *Filter* box; a malformed one shows its error
    and position under the list, which keeps its rows). Choosing a model in the *Model*
    menu (or :meth:`select`) opens its :class:`VersionTable` and
    :class:`ModelCard` below the list.
    """

    def __init__(
        self, registry: Registry | None = None, *, page_size: int = 20, **filters: Any
    ) -> None:
        known = {"sort_by", "order_by", "name", "description", "labels", "archived", "filter"}
        unknown = set(filters) - known
        if unknown:
            raise ValidationError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        labels = filters.get("labels") or []
        query = parse(
            ListModelsQuery,
            {**filters, "labels": [labels] if isinstance(labels, str) else list(labels)},
        )
        self.registry = registry or Registry()
        self.offset = 0
        self.total = 0
        self.total_is_estimate = False
        self.models: list[DescribeModel] = []
        self.frame = frames.models_frame([])
        self.selected: str | None = None
        self.versions: VersionTable | None = None
        self.card: ModelCard | None = None
        self._quiet = True

        self._make_controls(query, page_size)
        self._wire_controls()
        super().__init__(self._rows(), watch=True)
        self.add_class("jr-model-list")
        self._quiet = False
        self.refresh()

    def _make_controls(self, query: ListModelsQuery, page_size: int) -> None:
        """The filter, sort and paging controls, set to ``query``."""
        self.name_filter = _search_box("Name", query.name, "16em")
        self.description_filter = _search_box("Description", query.description, "20em")
        self.expression_filter = w.Text(
            value=query.filter or "",
            placeholder="labels contains 'vision' and metadata.owner = 'ana'",
            description="Filter",
            continuous_update=True,
            layout=w.Layout(width="40em"),
        )
        self.labels_filter = w.TagsInput(
            value=list(query.labels),
            allow_duplicates=False,
            placeholder="add a label, Enter",
            layout=w.Layout(min_width="12em"),
        )
        self.sort_by = w.Dropdown(
            options=[(label, s.value) for s, label in SORT_LABELS.items()],
            value=query.sort_by.value,
            description="Sort by",
            layout=w.Layout(width="14em"),
        )
        self.order_by = w.ToggleButtons(
            options=[("asc", OrderBy.ASC.value), ("desc", OrderBy.DESC.value)],
            value=query.order_by.value,
            style=w.ToggleButtonsStyle(button_width="4em"),
        )
        self.archived = w.Dropdown(
            options=list(ARCHIVED_CHOICES),
            value=next(k for k, v in ARCHIVED_CHOICES.items() if v is query.archived),
            layout=w.Layout(width="10em"),
        )
        self.refresh_button = _button("Refresh", "refresh", "query the registry again")
        self.table = w.HTML()
        self.table.add_class("jr-model-table")
        self.pager = _Pager(page_size, self.move)
        self.model_select = w.Dropdown(
            options=[(CHOOSE, "")], description="Model", layout=w.Layout(width="24em")
        )
        self.details = w.VBox()

    def _wire_controls(self) -> None:
        """CSS hooks for tests and styles, and what each control does when changed."""
        for control, css in (
            (self.name_filter, "jr-name-filter"),
            (self.description_filter, "jr-description-filter"),
            (self.expression_filter, "jr-expression-filter"),
            (self.sort_by, "jr-sort-by"),
            (self.order_by, "jr-order-by"),
            (self.archived, "jr-archived"),
            (self.model_select, "jr-model-select"),
        ):
            control.add_class(css)
        self._search = Debouncer(DEBOUNCE_SECONDS, self._filters_changed)
        self.name_filter.observe(self._search, "value")
        self.description_filter.observe(self._search, "value")
        self.expression_filter.observe(self._search, "value")
        self.labels_filter.observe(lambda _c: self._filters_changed(), "value")
        for control in (self.sort_by, self.order_by, self.archived, self.pager.size):
            control.observe(lambda _c: self._filters_changed(), "value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.model_select.observe(self._on_select, "value")

    def _rows(self) -> list[w.Widget]:
        filters_row = w.HBox(
            [
                self.name_filter,
                self.description_filter,
                w.Label("Labels", layout=w.Layout(margin="0 0 0 1em")),
                self.labels_filter,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        sort_row = w.HBox(
            [self.sort_by, self.order_by, self.archived, self.refresh_button],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        rows = [filters_row, self.expression_filter, sort_row, self.table, self.pager]
        return [*rows, self.model_select, self.details]

    # --- querying ---------------------------------------------------------

    @property
    def query(self) -> ListModelsQuery:
        """The query behind the visible page."""
        return parse(
            ListModelsQuery,
            {
                "sort_by": self.sort_by.value,
                "order_by": self.order_by.value,
                "name": self.name_filter.value.strip() or None,
                "description": self.description_filter.value.strip() or None,
                "filter": self.expression_filter.value.strip() or None,
                "labels": list(self.labels_filter.value),
                "archived": ARCHIVED_CHOICES[self.archived.value],
                "offset": self.offset,
                "limit": self.pager.size.value,
            },
        )

    def _load(self) -> None:
        query = self.query
        page = self.registry.client.list_models(query)
        if not page.models and page.total and self.offset:
            # the list shrank under us: show its last page instead of nothing
            self.offset = _new_offset("last", 0, query.limit, page.total)
            page = self.registry.client.list_models(
                query.model_copy(update={"offset": self.offset})
            )
        self.models = list(page.models)
        self.total, self.total_is_estimate = page.total, page.total_is_estimate
        self.frame = frames.models_frame(self.models)
        self._render()
        if self.selected is not None:
            for child in (self.versions, self.card):
                if child is not None:
                    child.refresh()
        self.show_status("")

    def _render(self) -> None:
        names = [m.name for m in self.models]
        position = names.index(self.selected) if self.selected in names else None
        self.table.value = page_table(
            self.frame,
            MODEL_COLUMNS,
            MODEL_HEADERS,
            selected=position,
            sorted_column=self.sort_by.value,
            descending=self.order_by.value == OrderBy.DESC.value,
            empty="no models match",
        )
        self.pager.update(
            self.offset, len(self.models), self.total, "models", self.total_is_estimate
        )
        self._quiet = True
        try:
            self.model_select.options = [(CHOOSE, ""), *((n, n) for n in names)]
            self.model_select.value = self.selected if position is not None else ""
        finally:
            self._quiet = False

    def _filters_changed(self) -> None:
        if self._quiet:
            return
        self.offset = 0
        self.refresh()

    # --- paging -----------------------------------------------------------

    def move(self, where: str) -> None:
        """Go to the ``"first"``, ``"previous"``, ``"next"`` or ``"last"`` page."""
        self.offset = _new_offset(where, self.offset, self.pager.size.value, self.total)
        self.refresh()

    def next_page(self) -> None:
        self.move("next")

    def previous_page(self) -> None:
        self.move("previous")

    @property
    def page(self) -> int:
        """The visible page, counted from 0."""
        return self.offset // self.pager.size.value

    # --- selection --------------------------------------------------------

    def _on_select(self, change: dict[str, Any]) -> None:
        if not self._quiet and change["new"] != "":
            self.select(change["new"])

    @_reports_errors
    def select(self, name: str | None) -> VersionTable | None:
        """Show ``name``'s versions and card below the list (``None`` hides them)."""
        self.selected = name
        if name is None:
            self.details.children = []
            self._render()
            return None
        model = self.registry.get_model(name)
        if self.versions is None or self.card is None:
            self.versions = VersionTable(model, self.registry, watch=False)
            self.card = ModelCard(model, self.registry, watch=False)
            self.versions.on_change(self._child_changed)
            tabs = w.Tab([self.versions, self.card])
            tabs.set_title(0, "Versions")
            tabs.set_title(1, "Model card")
            self.details.children = [tabs]
        else:
            self.versions.show_model(name)
            self.card.show_model(name)
        self._render()
        return self.versions

    def _child_changed(self) -> None:
        self._load()

    def close(self) -> None:
        # also runs from __del__, possibly on an instance whose __init__ failed
        search = self.__dict__.get("_search")
        if search is not None:
            search.cancel()
        for child in (self.__dict__.get("versions"), self.__dict__.get("card")):
            if child is not None:
                child.close()
        super().close()


class VersionTable(View):
    """A model's versions newest first, with checkpoint metrics as columns.

    Row actions work on the version chosen in the *Version* menu: set or move
    an alias, remove one, show (and copy) its load snippet, download its files.
    """

    def __init__(
        self,
        model: Model | str,
        registry: Registry | None = None,
        *,
        page_size: int = 20,
        watch: bool = True,
    ) -> None:
        self.registry, self.model_name = registry_for(model, registry)
        self.offset = 0
        self.total = 0
        self.total_is_estimate = False
        self.versions: list[DescribeVersion] = []
        self.frame = frames.versions_frame([])
        self.selected: int | None = None
        self.snippet = ""
        self._listeners: list[Callable[[], None]] = []
        self._quiet = True

        self._make_controls(page_size)
        self._wire_controls()
        super().__init__(self._rows(), watch=watch)
        self.add_class("jr-version-table-view")
        self._quiet = False
        self.refresh()

    def _make_controls(self, page_size: int) -> None:
        """The table, pager and the row actions' controls."""
        self.title = w.HTML()
        self.refresh_button = _button("Refresh", "refresh", "query the registry again")
        self.table = w.HTML()
        self.table.add_class("jr-version-table")
        self.pager = _Pager(page_size, self.move)
        self.version_select = w.Dropdown(
            options=[(CHOOSE, "")], description="Version", layout=w.Layout(width="20em")
        )
        self.alias_text = w.Text(
            placeholder="alias, e.g. production", layout=w.Layout(width="14em")
        )
        self.set_alias_button = _button("Set alias", "tag", "point this alias at the version")
        self.remove_alias_button = _button("Remove alias", "times", "remove this alias")
        self.snippet_button = _button("Load snippet", "copy", "show and copy the load code")
        self.snippet_text = w.Textarea(
            layout=w.Layout(width="100%", height="4em", display="none"), disabled=False
        )
        self.folder_text = w.Text(
            placeholder="folder (default ./checkpoints/<uuid>)", layout=w.Layout(width="20em")
        )
        self.download_button = _button("Download", "download", "copy the version's files")
        self._clipboard = w.Output(layout=w.Layout(display="none"))

    def _wire_controls(self) -> None:
        """CSS hooks for tests and styles, and what each control does."""
        self.version_select.add_class("jr-version-select")
        self.snippet_text.add_class("jr-snippet")
        self.pager.size.observe(lambda _c: self._size_changed(), "value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.version_select.observe(self._on_select, "value")
        self.set_alias_button.on_click(lambda _b: self.set_alias(self.alias_text.value))
        self.remove_alias_button.on_click(lambda _b: self.remove_alias(self.alias_text.value))
        self.snippet_button.on_click(lambda _b: self.copy_snippet())
        self.download_button.on_click(lambda _b: self.download(self.folder_text.value or None))

    def _rows(self) -> list[w.Widget]:
        actions = w.HBox(
            [
                self.version_select,
                self.alias_text,
                self.set_alias_button,
                self.remove_alias_button,
                self.snippet_button,
                self.folder_text,
                self.download_button,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        header = w.HBox([self.title, self.refresh_button], layout=w.Layout(align_items="center"))
        return [header, self.table, self.pager, actions, self.snippet_text, self._clipboard]

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after an action here changed the registry."""
        self._listeners.append(callback)

    def show_model(self, name: str) -> None:
        """Reuse this view for another model of the same registry."""
        self.model_name, self.offset, self.selected = name, 0, None
        self.snippet_text.layout.display = "none"
        self.refresh()

    def _load(self) -> None:
        size = self.pager.size.value
        page = self.registry.client.list_versions(self.model_name, self.offset, size)
        if not page.versions and page.total and self.offset:
            self.offset = _new_offset("last", 0, size, page.total)
            page = self.registry.client.list_versions(self.model_name, self.offset, size)
        self.versions = list(page.versions)
        self.total, self.total_is_estimate = page.total, page.total_is_estimate
        self.frame = frames.versions_frame(self.versions)
        if self.selected is None and self.versions:
            self.selected = self.versions[0].version
        self._render()
        self.show_status("")

    def _render(self) -> None:
        numbers = [v.version for v in self.versions]
        position = numbers.index(self.selected) if self.selected in numbers else None
        columns = [
            c
            for c in self.frame.columns
            if c in ALWAYS_SHOWN or (c != "checkpoint" and _has_values(self.frame[c]))
        ]
        self.title.value = (
            f"<b>{escape_text(self.model_name)}</b> · "
            f"{'about ' if self.total_is_estimate else ''}{self.total:,} version"
            f"{'' if self.total == 1 else 's'}"
        )
        self.table.value = page_table(
            self.frame, columns, VERSION_HEADERS, selected=position, empty="no versions yet"
        )
        self.pager.update(
            self.offset, len(self.versions), self.total, "versions", self.total_is_estimate
        )
        self._quiet = True
        try:
            self.version_select.options = [
                (CHOOSE, ""),
                *((_version_label(v), v.version) for v in self.versions),
            ]
            self.version_select.value = self.selected if position is not None else ""
        finally:
            self._quiet = False

    def _size_changed(self) -> None:
        if not self._quiet:
            self.offset = 0
            self.refresh()

    def move(self, where: str) -> None:
        self.offset = _new_offset(where, self.offset, self.pager.size.value, self.total)
        self.refresh()

    def _on_select(self, change: dict[str, Any]) -> None:
        if not self._quiet and change["new"] != "":
            self.select(change["new"])

    def select(self, version: int) -> None:
        self.selected = version
        self._render()

    def _version(self, version: int | None) -> ModelVersion:
        number = version if version is not None else self.selected
        if number is None:
            raise ValidationError("choose a version first")
        return self.registry.get_model(self.model_name).get_version(number)

    def _changed(self, message: str) -> None:
        self._load()
        self.show_status(message)
        for callback in self._listeners:
            callback()

    @_reports_errors
    def set_alias(self, alias: str, version: int | None = None) -> ModelVersion:
        """Point ``alias`` at the chosen version, moving it if another version held it."""
        target = self._version(version)
        alias = alias.strip()
        info = self.registry.client.set_alias(
            self.model_name, alias, parse(SetAlias, {"version": target.version})
        )
        self._changed(f"alias {alias!r} → version {info.version}")
        return ModelVersion(self.registry.client, info)

    @_reports_errors
    def remove_alias(self, alias: str) -> None:
        alias = alias.strip()
        self.registry.client.remove_alias(self.model_name, alias)
        self._changed(f"alias {alias!r} removed")

    @_reports_errors
    def copy_snippet(self, version: int | None = None) -> str:
        """The code that loads the version in a fresh process, shown and copied.

        It names the version by its first alias when it has one
        (``Registry().get_model_version("mnist_cnn:production").load()``), so it
        keeps following the alias as it moves.
        """
        target = self._version(version)
        self.snippet = target.load_snippet(alias=target.aliases[0] if target.aliases else None)
        self.snippet_text.value = self.snippet
        self.snippet_text.layout.display = None
        self._clipboard.outputs = (display_data(_clipboard_js(self.snippet)),)
        self.show_status("load snippet above (also copied to the clipboard if the browser allows)")
        return self.snippet

    @_reports_errors
    def download(
        self, folder: str | os.PathLike[str] | None = None, version: int | None = None
    ) -> Path:
        """Copy the version's checkpoint files into ``folder`` (verified)."""
        target = self._version(version)
        path = target.download(folder)
        self.show_status(f"version {target.version} downloaded to {path}")
        return path


class ModelCard(View):
    """One model at a glance: description, labels, metadata, aliases, notes.

    The notes are Markdown rendered and sanitized here (:mod:`..sanitize`):
    the widget manager puts HTML into the page as it comes, and notes are
    written by whoever may edit the model, not by the person viewing it.
    """

    def __init__(
        self, model: Model | str, registry: Registry | None = None, *, watch: bool = True
    ) -> None:
        self.registry, self.model_name = registry_for(model, registry)
        self.aliases: dict[str, int] = {}
        self.frame = frames.models_frame([])
        self.summary = w.HTML()
        self.notes = w.HTML()
        self.notes.add_class("jp-RenderedHTMLCommon")  # JupyterLab's Markdown typography
        self.notes.add_class("jr-notes")
        super().__init__([self.summary, w.HTML("<b>Notes</b>"), self.notes], watch=watch)
        self.add_class("jr-model-card")
        self.refresh()

    def show_model(self, name: str) -> None:
        self.model_name = name
        self.refresh()

    def _load(self) -> None:
        info = self.registry.client.get_model(self.model_name)
        self.aliases = dict(info.aliases)
        self.frame = frames.models_frame([info])
        self.summary.value = display.card(
            f"Model {info.name}",
            {
                "description": info.description,
                "labels": display.chips(info.labels),
                "versions": info.num_versions,
                "latest version": info.latest_version,
                "aliases": display.chips(f"{a} → v{v}" for a, v in sorted(self.aliases.items())),
                "archived": info.archived,
                "metadata": info.metadata,
                "created": info.creation_time,
                "updated": info.last_updated_time,
            },
        )
        self.notes.value = _card_html(info.notes)
        self.show_status("")


def _card_html(notes: str) -> str:
    """A model card: its front matter as written (escaped, not read as Markdown), then the body.

    Read as Markdown, a front matter's closing ``---`` would turn its last
    line into a heading.
    """
    try:
        front, _, body = split_card(notes)
    except ValidationError:  # saved before cards were checked: shown as it is
        front, body = None, notes
    rendered = render_markdown(body or ("" if front else "_no notes_"))
    if front is None:
        return rendered
    return f'<pre class="jr-front-matter">{escape_text(front)}</pre>{rendered}'


def _metadata_from(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"metadata is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValidationError('metadata must be a JSON object, e.g. {"key": "value"}')
    return value


class VersionPage(View):
    """A version's own notes and metadata (editable), its files with sizes, and tensors.

    The panel's version page as a notebook widget. Edits go through the SDK
    (``set_notes``, ``add_metadata``/``remove_metadata``), so they are checked
    and recorded in the model's history as any other write; the tensors are
    read from the file's header alone (:meth:`ModelVersion.tensors`).
    """

    def __init__(
        self,
        model: Model | str,
        version: int | str | None = None,
        registry: Registry | None = None,
        *,
        watch: bool = True,
    ) -> None:
        self.registry, self.model_name = registry_for(model, registry)
        self.ref = version
        self.version: ModelVersion | None = None
        self.tensors: DescribeTensors | None = None
        self.frame = pd.DataFrame(columns=["path", "bytes"])
        self.title = w.HTML()
        self.notes = w.HTML()
        self.notes.add_class("jp-RenderedHTMLCommon")
        self.notes_text = w.Textarea(
            placeholder="Markdown notes on this version", layout=w.Layout(width="100%")
        )
        self.save_notes_button = _button("Save notes", "save", "save this version's notes")
        self.metadata_text = w.Textarea(layout=w.Layout(width="100%", height="8em"))
        self.save_metadata_button = _button("Save metadata", "save", "replace the metadata")
        self.files = w.HTML()
        self.file_select = w.Dropdown(options=[(CHOOSE, "")], description="Safetensors")
        self.tensors_button = _button("Tensors", "table", "read the file's header")
        self.tensor_table = w.HTML()
        self.save_notes_button.on_click(lambda _b: self.save_notes(self.notes_text.value))
        self.save_metadata_button.on_click(lambda _b: self.save_metadata(self.metadata_text.value))
        self.tensors_button.on_click(lambda _b: self.show_tensors(self.file_select.value))
        super().__init__(
            [
                self.title,
                w.HTML("<b>Notes</b>"),
                self.notes,
                self.notes_text,
                self.save_notes_button,
                w.HTML("<b>Metadata</b>"),
                self.metadata_text,
                self.save_metadata_button,
                w.HTML("<b>Files</b>"),
                self.files,
                w.HBox([self.file_select, self.tensors_button]),
                self.tensor_table,
            ],
            watch=watch,
        )
        self.add_class("jr-version-page")
        self.refresh()

    def _load(self) -> None:
        self.version = self.registry.get_model(self.model_name).get_version(self.ref)
        info = self.version.info
        self.title.value = (
            f"<b>{escape_text(self.model_name)} v{info.version}</b>"
            f" · checkpoint {escape_text(info.checkpoint.uuid)}"
        )
        self.notes.value = render_markdown(info.notes or "_no notes_")
        self.notes_text.value = info.notes
        self.metadata_text.value = json.dumps(info.metadata, indent=2)
        self.frame = pd.DataFrame(
            [(f.path, f.size) for f in info.checkpoint.files], columns=["path", "bytes"]
        )
        self.files.value = page_table(self.frame, empty="no files")
        weights = [p for p in self.frame["path"] if p.endswith(".safetensors")]
        self.file_select.options = [(CHOOSE, ""), *((p, p) for p in weights)]
        self.show_status("")

    @_reports_errors
    def save_notes(self, notes: str) -> ModelVersion:
        """Replace the version's notes (Markdown)."""
        version = self._current()
        version.set_notes(notes)
        self._load()
        self.show_status(f"notes of v{version.version} saved")
        return version

    @_reports_errors
    def save_metadata(self, metadata: dict[str, Any] | str) -> ModelVersion:
        """Make the version's metadata exactly ``metadata`` (a dict or JSON text)."""
        wanted = _metadata_from(metadata) if isinstance(metadata, str) else metadata
        version = self._current()
        removed = [k for k in version.metadata if k not in wanted]
        changed = {k: v for k, v in wanted.items() if version.metadata.get(k, object()) != v}
        if changed:
            version.add_metadata(changed)
        if removed:
            version.remove_metadata(removed)
        self._load()
        self.show_status(f"metadata of v{version.version} saved")
        return version

    @_reports_errors
    def show_tensors(self, path: str) -> DescribeTensors:
        """The tensors of the version's safetensors file ``path``, read from its header."""
        if not path:
            raise ValidationError("choose a .safetensors file first")
        self.tensors = self._current().tensors(path)
        frame = pd.DataFrame(
            [
                (t.name, t.dtype, " x ".join(map(str, t.shape)) or "scalar", t.parameters)
                for t in self.tensors.tensors
            ],
            columns=["tensor", "dtype", "shape", "parameters"],
        )
        self.tensor_table.value = page_table(frame, empty="no tensors")
        self.show_status(
            f"{path}: {len(self.tensors.tensors)} tensors, {self.tensors.parameters:,} parameters"
        )
        return self.tensors

    def _current(self) -> ModelVersion:
        if self.version is None:
            raise ValidationError("the version could not be loaded")
        return self.version


def display_data(data: dict[str, Any]) -> dict[str, Any]:
    """An output for an ``Output`` widget, built without an IPython shell."""
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _clipboard_js(text: str) -> dict[str, str]:
    """Best effort: browsers may refuse clipboard writes; the text stays on screen."""
    code = (
        f"navigator.clipboard && navigator.clipboard.writeText({json.dumps(text)})"
        ".catch(function () {});"
    )
    return {"application/javascript": code, "text/plain": ""}


def _has_values(column: pd.Series) -> bool:
    """False for a column that is empty on this page (no name, no framework): not shown."""
    return bool(column.map(lambda v: v not in (None, "") and v == v).any())


def _version_label(version: DescribeVersion) -> str:
    aliases = f" ({', '.join(version.aliases)})" if version.aliases else ""
    return f"v{version.version}{aliases}"
