"""The ``total`` of a page: exact and unflagged while cheap, an estimate flagged as such above.

Every page of models and versions says how many rows match. Up to
``EXACT_UP_TO`` rows the total is exact on every backend (found from a short
page without counting, else by a bounded count): these contract tests run
embedded and remote. Above it (tests/test_store_totals.py) PostgreSQL returns
its planner's estimate with ``total_is_estimate`` set. The rows of a page never
depend on how its total was found.
"""

from __future__ import annotations

from pathlib import Path

from jupyter_registry import ModelSortBy, OrderBy, Registry
from jupyter_registry.schemas import ListModelsQuery, ListModelsResponse, parse

SORTS = [(s, o) for s in ModelSortBy for o in OrderBy]


def page(registry: Registry, **query: object) -> ListModelsResponse:
    return registry.client.list_models(parse(ListModelsQuery, query))


def test_small_totals_are_exact_on_every_page_shape(registry: Registry, ns: str) -> None:
    """Full, short, exactly fitting, empty and past-the-end pages all give the exact total."""
    for i in range(7):
        labels = ["even"] if i % 2 == 0 else []
        description = None if i == 3 else f"number {i}"
        registry.create_model(f"{ns}m{i}", description=description, labels=labels)
    cases = [
        ({}, 7),
        ({"limit": 3}, 7),
        ({"limit": 3, "offset": 6}, 7),
        ({"limit": 7}, 7),
        ({"limit": 3, "offset": 7}, 7),
        ({"limit": 3, "offset": 50}, 7),
        ({"labels": ["even"], "limit": 2}, 4),
        ({"labels": ["even"], "limit": 2, "offset": 4}, 4),
        ({"description": "number", "limit": 1}, 6),
        ({"name": "no-such-model"}, 0),
    ]
    for query, expected in cases:
        got = page(registry, name=query.pop("name", ns), **query)
        assert (got.total, got.total_is_estimate) == (expected, False), query


def test_paging_in_every_sort_returns_the_same_rows_as_one_page(
    registry: Registry, ns: str
) -> None:
    """Pages of 2 in each sort and order concatenate to the single page (ties and NULLs too)."""
    for i in range(5):
        description = None if i in (1, 3) else ("same" if i < 3 else f"d{i}")
        registry.create_model(f"{ns}m{i}", description=description)
    for sort_by, order_by in SORTS:
        whole = page(registry, name=ns, sort_by=sort_by, order_by=order_by)
        paged = []
        for offset in range(0, 6, 2):
            part = page(
                registry, name=ns, sort_by=sort_by, order_by=order_by, offset=offset, limit=2
            )
            assert (part.total, part.total_is_estimate) == (5, False)
            paged += [m.name for m in part.models]
        assert paged == [m.name for m in whole.models], (sort_by, order_by)
    ascending = page(registry, name=ns, sort_by="description").models
    assert [m.description for m in ascending][:2] == [None, None]  # empty descriptions first
    descending = page(registry, name=ns, sort_by="description", order_by="desc").models
    assert [m.description for m in descending][-2:] == [None, None]


def test_version_page_totals_are_exact(registry: Registry, ns: str, model_folder: Path) -> None:
    model = registry.create_model(f"{ns}m")
    checkpoint = registry.create_checkpoint(model_folder)
    for _ in range(5):
        model.register_version(checkpoint)
    for offset, limit in [(0, None), (0, 2), (4, 2), (0, 5), (5, 2), (9, 2)]:
        got = registry.client.list_versions(model.name, offset, limit)
        assert (got.total, got.total_is_estimate) == (5, False), (offset, limit)
    assert [v.version for v in model.get_versions(limit=3, offset=1)] == [4, 3, 2]
