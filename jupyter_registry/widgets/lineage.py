"""``LineageView``: a version's ancestors and descendants as a layered graph you can click.

The layout is computed here, in Python (:mod:`jupyter_registry.graph`): a CSS
grid with one row per layer, the edges drawn as one escaped SVG under the
grid, and each version a button in its cell. Clicking a node shows that
version's card (with where it was made: notebook, cell, git, packages, run);
"Centre here" walks the lineage again from it. No front-end code of ours.
"""

from __future__ import annotations

import ipywidgets as w

from .. import display, graph
from ..errors import RegistryError
from ..sanitize import escape_text
from ..schemas import DescribeLineage, LineageNode
from ..sdk import ModelVersion, Registry

BUTTON_WIDTH = f"{graph.CELL_WIDTH - 24}px"
BUTTON_HEIGHT = f"{graph.NODE_HEIGHT}px"


def node_label(node: LineageNode) -> str:
    aliases = f" [{', '.join(node.aliases)}]" if node.aliases else ""
    return f"{node.id}{aliases}" + (" (deleted)" if node.deleted else "")


def node_card(node: LineageNode, lineage: DescribeLineage) -> str:
    """The version's card: what it is, what it came from, and where it was made (escaped)."""
    bases = [f"{e.relation.value} of {e.base}" for e in lineage.edges if e.derived == node.id]
    made = [f"{e.derived} ({e.relation.value})" for e in lineage.edges if e.base == node.id]
    if node.deleted:
        return display.card(f"{node.id}", {"status": "deleted; its relations are kept"})
    cell = f"cell [{node.execution_count}]" if node.execution_count is not None else None
    return display.card(
        f"{node.model_name} v{node.version}",
        {
            "aliases": display.chips(node.aliases),
            "name": node.name,
            "made from": display.chips(bases),
            "made into": display.chips(made),
            "framework": node.framework,
            "format": node.format,
            "metrics": node.metrics,
            "made in": node.notebook or node.script,
            "cell": cell,
            "git": node.git,
            "run": node.run,
            "packages": node.packages,
            "checkpoint": node.checkpoint,
            "created": node.creation_time,
            "created by": node.created_by,
        },
    )


class LineageView(w.VBox):
    """The lineage graph around one version; ``select(id)`` and ``focus(id)`` as clicks do."""

    def __init__(
        self,
        version: ModelVersion | str,
        registry: Registry | None = None,
        depth: int = 3,
    ) -> None:
        if isinstance(version, ModelVersion):
            self.registry = registry or version.registry
            self.root = version.ref
        else:
            self.registry = registry or Registry()
            self.root = version
        self.depth = depth
        self.lineage: DescribeLineage | None = None
        self.buttons: dict[str, w.Button] = {}
        self.selected: str | None = None
        self.title = w.HTML()
        self.grid = w.GridBox(layout=w.Layout(overflow="auto"))
        self.card = w.HTML()
        self.status = w.HTML()
        self.centre = w.Button(description="Centre here", icon="crosshairs", disabled=True)
        self.centre.on_click(lambda _: self.focus(self.selected or self.root))
        controls = w.HBox([self.centre, self.status])
        super().__init__([self.title, self.grid, controls, self.card])
        self.add_class("jr-lineage")
        self.refresh()

    def refresh(self) -> None:
        """Walk the lineage from ``root`` again and redraw."""
        try:
            self.lineage = self.registry.get_lineage(self.root, depth=self.depth)
        except RegistryError as exc:
            self.status.value = f'<span style="color:#c62828">{escape_text(str(exc))}</span>'
            return
        self.status.value = (
            "<i>more beyond this view: centre on a node at its edge</i>"
            if self.lineage.truncated
            else ""
        )
        self._draw(self.lineage)
        self.select(self.lineage.root)

    def _draw(self, lineage: DescribeLineage) -> None:
        place = graph.grid(lineage)
        rows = 1 + max(row for row, _ in place.values())
        columns = 1 + max(column for _, column in place.values())
        edges = w.HTML(graph.svg_edges(lineage, place))
        edges.layout = w.Layout(grid_area=f"1 / 1 / {rows + 1} / {columns + 1}")
        self.buttons = {}
        for node in lineage.nodes:
            row, column = place[node.id]
            button = w.Button(
                description=node_label(node),
                tooltip=node_label(node),
                disabled=node.deleted,
                button_style="info" if node.id == lineage.root else "",
                layout=w.Layout(
                    grid_area=f"{row + 1} / {column + 1}",
                    width=BUTTON_WIDTH,
                    height=BUTTON_HEIGHT,
                    align_self="center",
                    justify_self="center",
                ),
            )
            button.on_click(lambda _, node_id=node.id: self.select(node_id))
            button.add_class("jr-lineage-node")
            self.buttons[node.id] = button
        self.grid.layout.grid_template_columns = f"repeat({columns}, {graph.CELL_WIDTH}px)"
        self.grid.layout.grid_template_rows = f"repeat({rows}, {graph.CELL_HEIGHT}px)"
        self.grid.children = [edges, *self.buttons.values()]
        self.title.value = f"<b>Lineage of {escape_text(lineage.root)}</b>"

    def select(self, node_id: str) -> None:
        """Show the card of a node of the graph (a click on it does the same)."""
        assert self.lineage is not None
        node = next((n for n in self.lineage.nodes if n.id == node_id), None)
        if node is None:
            self.status.value = f"{escape_text(node_id)} is not in this graph"
            return
        self.selected = node_id
        self.centre.disabled = node.deleted or node_id == self.lineage.root
        self.card.value = node_card(node, self.lineage)

    def focus(self, node_id: str) -> None:
        """Walk the lineage from another version (the "Centre here" button)."""
        self.root = node_id
        self.refresh()
