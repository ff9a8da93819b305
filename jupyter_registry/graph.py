"""Lineage graphs: versions as nodes, typed relations as edges, and their layered layout.

The service walks the relations (:meth:`RegistryService.get_lineage`) and
hands the versions and edges it found to :func:`lineage`, which turns each
version into a :class:`~jupyter_registry.schemas.LineageNode` carrying what
was captured where it was made (notebook, cell, git, packages, run) and gives
every node a layer: bases above what was made from them. The widget and the
panel both draw those layers, so they agree on the picture. :func:`svg_edges`
draws the edges for the widget, whose nodes are buttons on a grid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any, Protocol

from .schemas import DescribeLineage, DescribeVersion, LineageEdge, LineageNode, Relation


class EdgeRecord(Protocol):
    """A stored relation as the store returns it (``store.relations.Edge``)."""

    @property
    def version_id(self) -> int: ...
    @property
    def base_id(self) -> int | None: ...
    @property
    def base_model(self) -> str: ...
    @property
    def base_version(self) -> int: ...
    @property
    def base_node(self) -> str: ...
    @property
    def relation(self) -> Relation: ...


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def node_of(version: DescribeVersion, layer: int = 0) -> LineageNode:
    """A version as a node, with its checkpoint's captured origin as attributes."""
    checkpoint = version.checkpoint
    source = checkpoint.source
    git = source.get("git")
    packages = source.get("packages")
    count = source.get("execution_count")
    return LineageNode(
        id=f"{version.model_name}:{version.version}",
        model_name=version.model_name,
        version=version.version,
        layer=layer,
        name=version.name,
        aliases=version.aliases,
        created_by=version.created_by,
        creation_time=version.creation_time,
        framework=checkpoint.framework,
        format=checkpoint.format,
        checkpoint=checkpoint.uuid,
        run=checkpoint.run,
        notebook=_text(source.get("notebook")),
        execution_count=count if isinstance(count, int) else None,
        script=_text(source.get("script")),
        git=git if isinstance(git, dict) else None,
        packages={k: v for k, v in packages.items() if isinstance(v, str)}
        if isinstance(packages, dict)
        else {},
        metrics=checkpoint.metrics,
    )


def _layers(ids: Iterable[str], edges: list[LineageEdge]) -> dict[str, int]:
    """Longest-path layering: a node sits one layer below its lowest base.

    Relations form no cycle (the service refuses one), so this settles in at
    most as many rounds as there are nodes.
    """
    layer = dict.fromkeys(ids, 0)
    for _ in range(len(layer)):
        moved = False
        for edge in edges:
            wanted = layer[edge.base] + 1
            if layer[edge.derived] < wanted:
                layer[edge.derived] = wanted
                moved = True
        if not moved:
            break
    return layer


def lineage(
    root: str,
    versions: Mapping[int, DescribeVersion],
    stored: Iterable[EdgeRecord],
    truncated: bool,
) -> DescribeLineage:
    """The graph of the walked ``versions`` and the ``stored`` relations between them.

    A relation whose base was deleted keeps a node of its own (``deleted``);
    one that leads out of the walked versions (past the node limit) is left out.
    """
    deleted: dict[str, LineageNode] = {}
    edges: list[LineageEdge] = []
    for record in stored:
        derived = versions.get(record.version_id)
        if derived is None:
            continue
        if record.base_id is None:
            deleted[record.base_node] = LineageNode(
                id=record.base_node,
                model_name=record.base_model,
                version=record.base_version,
                deleted=True,
            )
        elif record.base_id not in versions:
            continue
        edges.append(
            LineageEdge(
                base=record.base_node,
                derived=f"{derived.model_name}:{derived.version}",
                relation=record.relation,
            )
        )
    live = {f"{v.model_name}:{v.version}": v for v in versions.values()}
    layer = _layers([*live, *deleted], edges)
    nodes = [node_of(version, layer[key]) for key, version in live.items()]
    nodes += [node.model_copy(update={"layer": layer[key]}) for key, node in deleted.items()]
    nodes.sort(key=lambda n: (n.layer, n.model_name, n.version))
    edges.sort(key=lambda e: (e.base, e.derived))
    return DescribeLineage(root=root, nodes=nodes, edges=edges, truncated=truncated)


# --- drawing (the widget) ------------------------------------------------------

CELL_WIDTH = 200
CELL_HEIGHT = 100
NODE_HEIGHT = 44


def grid(graph: DescribeLineage) -> dict[str, tuple[int, int]]:
    """Each node's ``(row, column)``: its layer, and its place among that layer's nodes."""
    place: dict[str, tuple[int, int]] = {}
    used: dict[int, int] = {}
    for node in graph.nodes:  # already sorted by layer, model and version
        column = used.get(node.layer, 0)
        used[node.layer] = column + 1
        place[node.id] = (node.layer, column)
    return place


def svg_edges(graph: DescribeLineage, place: Mapping[str, tuple[int, int]]) -> str:
    """An SVG of the edges between grid cells, each labelled with its relation (escaped)."""
    rows = 1 + max((row for row, _ in place.values()), default=0)
    columns = 1 + max((column for _, column in place.values()), default=0)
    width, height = columns * CELL_WIDTH, rows * CELL_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'class="jr-lineage-edges" role="img" aria-label="lineage">',
        '<defs><marker id="jr-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>',
    ]
    for edge in graph.edges:
        (base_row, base_col), (row, col) = place[edge.base], place[edge.derived]
        x1 = base_col * CELL_WIDTH + CELL_WIDTH // 2
        y1 = base_row * CELL_HEIGHT + (CELL_HEIGHT + NODE_HEIGHT) // 2
        x2 = col * CELL_WIDTH + CELL_WIDTH // 2
        y2 = row * CELL_HEIGHT + (CELL_HEIGHT - NODE_HEIGHT) // 2
        label = escape(edge.relation.value)
        parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#888" '
            'stroke-width="1.5" marker-end="url(#jr-arrow)"/>'
            f'<text x="{(x1 + x2) // 2 + 4}" y="{(y1 + y2) // 2 + 4}" font-size="11" '
            f'fill="#555">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
