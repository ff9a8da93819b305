"""SPEC §9 lineage: typed relations between versions and the graph around a version.

Contract tests, run on SQLite and PostgreSQL here and through a live server in
tests/test_remote_contract.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_registry import NotFoundError, Registry, ValidationError
from jupyter_registry.schemas import MAX_LINEAGE_NODES, DescribeLineage


@pytest.fixture
def ckpt(registry: Registry, model_folder: Path):
    return registry.create_checkpoint(model_folder, metrics={"acc": 0.9}, run="lineage-run")


def _bases(version) -> list[tuple[str, int, str, bool]]:
    return [(b.model_name, b.version, b.relation.value, b.deleted) for b in version.bases]


def _edges(graph: DescribeLineage) -> set[tuple[str, str, str]]:
    return {(e.base, e.derived, e.relation.value) for e in graph.edges}


def test_base_is_resolved_to_a_concrete_version(registry: Registry, ns: str, ckpt) -> None:
    base = registry.create_model(f"{ns}base")
    base.register_version(ckpt)
    base.register_version(ckpt, aliases=["production"])
    tuned = registry.create_model(f"{ns}tuned")
    by_number = tuned.register_version(ckpt, base=f"{ns}base:1", relation="finetune")
    by_alias = tuned.register_version(ckpt, base=f"{ns}base:production", relation="adapter")
    newest = tuned.register_version(ckpt, base=f"{ns}base", relation="quantized")
    assert _bases(by_number) == [(f"{ns}base", 1, "finetune", False)]
    assert _bases(by_alias) == [(f"{ns}base", 2, "adapter", False)]
    assert _bases(newest) == [(f"{ns}base", 2, "quantized", False)]
    # moving the alias or adding versions later never changes a recorded base
    base.set_alias("production", 1)
    base.register_version(ckpt)
    assert _bases(tuned.get_version(2)) == [(f"{ns}base", 2, "adapter", False)]
    assert _bases(registry.get_model_version(f"{ns}tuned:3")) == [
        (f"{ns}base", 2, "quantized", False)
    ]
    assert base.get_version(1).bases == []


def test_a_merge_has_several_bases_in_order(registry: Registry, ns: str, ckpt) -> None:
    a = registry.create_model(f"{ns}a").register_version(ckpt)
    b = registry.create_model(f"{ns}b").register_version(ckpt)
    merged = registry.create_model(f"{ns}merged").register_version(ckpt, base=[b, a.ref])
    assert _bases(merged) == [(f"{ns}b", 1, "merge", False), (f"{ns}a", 1, "merge", False)]
    tuned = registry.create_model(f"{ns}t").register_version(ckpt, base=a)
    assert _bases(tuned) == [(f"{ns}a", 1, "finetune", False)]


def _refused_without_a_trace(registry: Registry, name: str, ckpt, error, match, **kw):
    model = registry.get_model(name)
    before = len(model.history())
    with pytest.raises(error, match=match):
        model.register_version(ckpt, **kw)
    model.reload()
    assert model.num_versions == 1 and len(model.history()) == before
    # the refused registration took no number either
    assert model.register_version(ckpt).version == 2
    model.get_version(2).delete()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"base": "{ns}base", "relation": "pruned"}, ValidationError, "relation"),
        ({"base": "{ns}nobody:1"}, NotFoundError, "no model named"),
        ({"base": "{ns}base:7"}, NotFoundError, "has no version 7"),
        ({"base": "{ns}base:staging"}, NotFoundError, "has no alias 'staging'"),
        ({"base": ["{ns}base:1", "{ns}base:1"]}, ValidationError, "given twice"),
        ({"base": "bad name!"}, ValidationError, "name"),
        ({"relation": "finetune"}, ValidationError, "needs base="),
        ({"base": ["{ns}base"] * 17}, ValidationError, "bases"),
    ],
)
def test_bad_bases_are_refused_and_nothing_is_written(
    registry: Registry, ns: str, ckpt, kwargs, error, match
) -> None:
    registry.create_model(f"{ns}base").register_version(ckpt)
    filled = {
        k: [x.format(ns=ns) for x in v] if isinstance(v, list) else v.format(ns=ns)
        for k, v in kwargs.items()
    }
    _refused_without_a_trace(registry, f"{ns}base", ckpt, error, match, **filled)


def test_set_bases_refuses_self_reference_and_cycles(registry: Registry, ns: str, ckpt) -> None:
    model = registry.create_model(f"{ns}m")
    v1 = model.register_version(ckpt)
    v2 = model.register_version(ckpt, base=v1.ref)
    v3 = model.register_version(ckpt, base=v2.ref, relation="distilled")
    with pytest.raises(ValidationError, match="its own base"):
        v2.set_bases(v2.ref)
    with pytest.raises(ValidationError, match="cycle"):
        v1.set_bases(v3.ref, relation="merge")
    with pytest.raises(ValidationError, match="cycle"):
        v1.set_bases([f"{ns}m:2"])
    assert v1.reload().bases == [] and _bases(v2.reload()) == [(f"{ns}m", 1, "finetune", False)]
    # a base that is not downstream is fine; None removes them all
    v3.set_bases([v1, v2], relation="merge")
    assert _bases(v3) == [(f"{ns}m", 1, "merge", False), (f"{ns}m", 2, "merge", False)]
    v3.set_bases(None)
    assert v3.reload().bases == []
    history = model.history()
    assert list(history["action"])[-1] == "version.updated"


def test_a_deleted_base_stays_in_the_lineage_marked_deleted(
    registry: Registry, ns: str, ckpt
) -> None:
    base = registry.create_model(f"{ns}base")
    base.register_version(ckpt)
    tuned = registry.create_model(f"{ns}tuned").register_version(ckpt, base=f"{ns}base:1")
    base.get_version(1).delete()
    assert _bases(tuned.reload()) == [(f"{ns}base", 1, "finetune", True)]
    graph = tuned.lineage_graph()
    deleted = {n.id: n.deleted for n in graph.nodes}
    assert deleted == {f"{ns}base:1": True, f"{ns}tuned:1": False}
    assert _edges(graph) == {(f"{ns}base:1", f"{ns}tuned:1", "finetune")}
    # the whole base model going keeps it too
    registry.delete_model(f"{ns}base")
    assert _bases(tuned.reload()) == [(f"{ns}base", 1, "finetune", True)]


def test_lineage_graph_walks_both_ways_with_captured_attributes(
    registry: Registry, ns: str, ckpt
) -> None:
    llama = registry.create_model(f"{ns}llama").register_version(ckpt)
    chat = registry.create_model(f"{ns}chat").register_version(ckpt, base=llama)
    lora = registry.create_model(f"{ns}lora").register_version(ckpt, base=chat, relation="adapter")
    q = registry.create_model(f"{ns}q").register_version(ckpt, base=chat, relation="quantized")
    other = registry.create_model(f"{ns}other").register_version(ckpt)
    merged = registry.create_model(f"{ns}merged").register_version(ckpt, base=[lora, other])
    graph = registry.get_lineage(f"{ns}chat:1")
    assert graph.root == f"{ns}chat:1" and not graph.truncated
    assert _edges(graph) == {
        (f"{ns}llama:1", f"{ns}chat:1", "finetune"),
        (f"{ns}chat:1", f"{ns}lora:1", "adapter"),
        (f"{ns}chat:1", f"{ns}q:1", "quantized"),
        (f"{ns}lora:1", f"{ns}merged:1", "merge"),
    }
    # descendants' other bases are not walked: other:1 is not in chat's lineage
    layers = {n.id: n.layer for n in graph.nodes}
    assert layers == {
        f"{ns}llama:1": 0,
        f"{ns}chat:1": 1,
        f"{ns}lora:1": 2,
        f"{ns}q:1": 2,
        f"{ns}merged:1": 3,
    }
    node = next(n for n in graph.nodes if n.id == f"{ns}q:1")
    assert (node.model_name, node.version, node.deleted) == (f"{ns}q", 1, False)
    assert node.checkpoint == ckpt.uuid and node.run == "lineage-run"
    assert node.metrics == {"acc": 0.9} and "jupyter_registry" in node.packages
    # from the merge: both of its bases, and up the chain
    up = merged.lineage_graph(depth=2)
    assert {n.id for n in up.nodes} == {
        f"{ns}merged:1",
        f"{ns}lora:1",
        f"{ns}other:1",
        f"{ns}chat:1",
    }
    assert up.truncated  # llama:1 is a third step up
    assert q.lineage_graph(depth=1).nodes[0].id == f"{ns}chat:1"


def test_lineage_errors(registry: Registry, ns: str, ckpt) -> None:
    registry.create_model(f"{ns}m").register_version(ckpt)
    with pytest.raises(NotFoundError, match="no model named"):
        registry.get_lineage(f"{ns}nobody:1")
    with pytest.raises(NotFoundError, match="has no version 4"):
        registry.get_lineage(f"{ns}m:4")
    for depth in (0, 11):
        with pytest.raises(ValidationError, match="depth"):
            registry.get_lineage(f"{ns}m", depth=depth)


def test_lineage_is_bounded_by_the_node_limit(registry: Registry, ns: str, ckpt) -> None:
    base = registry.create_model(f"{ns}base").register_version(ckpt)
    tuned = registry.create_model(f"{ns}tuned")
    for _ in range(6):
        tuned.register_version(ckpt, base=base)
    assert not base.lineage_graph(max_nodes=7).truncated
    graph = base.lineage_graph(max_nodes=4)
    assert graph.truncated and len(graph.nodes) == 4 and len(graph.edges) == 3
    with pytest.raises(ValidationError, match="max_nodes"):
        base.lineage_graph(max_nodes=MAX_LINEAGE_NODES + 1)
