"""SPEC §1/§2 version and alias rules, run against every backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_registry import ConflictError, NotFoundError, Registry, ValidationError


@pytest.fixture
def checkpoint(registry: Registry, model_folder: Path):
    return registry.create_checkpoint(model_folder, metrics={"acc": 0.9}, hparams={"lr": 0.1})


def test_numbers_start_at_one_and_increase(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}m")
    versions = [model.register_version(checkpoint).version for _ in range(3)]
    assert versions == [1, 2, 3]
    assert model.num_versions == 3
    assert [v.version for v in model.get_versions()] == [3, 2, 1]


def test_version_fields(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}m")
    mv = model.register_version(
        checkpoint, name="first", comment="baseline", metadata={"k": 1}, aliases=["staging"]
    )
    assert (mv.model_name, mv.version, mv.name, mv.comment) == (f"{ns}m", 1, "first", "baseline")
    assert mv.metadata == {"k": 1} and mv.aliases == ["staging"] and mv.notes == ""
    assert mv.checkpoint.uuid == checkpoint.uuid
    assert mv.checkpoint.metrics == {"acc": 0.9}
    assert mv.creation_time.tzinfo is not None


def test_numbers_never_reused_after_delete(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}m")
    for _ in range(3):
        model.register_version(checkpoint)
    model.get_version(3).delete()
    assert model.get_version().version == 2
    assert model.register_version(checkpoint).version == 4
    model.get_version(2).delete()
    with pytest.raises(NotFoundError, match="no version 2"):
        model.get_version(2)
    assert [v.version for v in model.get_versions()] == [4, 1]


def test_references(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}mnist")
    model.register_version(checkpoint)
    model.register_version(checkpoint, aliases=["production"])
    model.register_version(checkpoint)
    for ref, expected in [
        (f"{ns}mnist", 3),
        (f"{ns}mnist:latest", 3),
        (f"{ns}mnist:production", 2),
        (f"{ns}mnist:1", 1),
        (f"{ns}mnist:v1", 1),
    ]:
        assert registry.get_model_version(ref).version == expected, ref
    assert model.get_version().version == 3
    assert model.get_version(2).version == 2
    assert model.get_version("v2").version == 2
    assert model.get_version("production").version == 2
    with pytest.raises(NotFoundError, match="no alias 'champion'"):
        registry.get_model_version(f"{ns}mnist:champion")
    with pytest.raises(NotFoundError, match="no version 9"):
        registry.get_model_version(f"{ns}mnist:v9")
    with pytest.raises(NotFoundError, match="no model named"):
        registry.get_model_version(f"{ns}other:1")
    with pytest.raises(ValidationError):
        registry.get_model_version(f"{ns}mnist:0")
    with pytest.raises(ValidationError):
        registry.get_model_version("bad name:1")


def test_latest_of_empty_model(registry: Registry, ns: str) -> None:
    model = registry.create_model(f"{ns}m")
    with pytest.raises(NotFoundError, match="has no versions"):
        model.get_version()


def test_aliases_move_and_are_unique(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}m")
    v1 = model.register_version(checkpoint, aliases=["production", "best"])
    model.register_version(checkpoint)
    moved = model.set_alias("production", 2)
    assert moved.version == 2 and moved.aliases == ["production"]
    assert v1.reload().aliases == ["best"]
    assert model.get_version("production").version == 2
    model.register_version(checkpoint, aliases=["best"])
    assert model.get_version("best").version == 3
    assert model.get_version(1).aliases == []
    model.remove_alias("production")
    with pytest.raises(NotFoundError):
        model.get_version("production")
    with pytest.raises(NotFoundError):
        model.remove_alias("production")


def test_model_describes_all_its_aliases(registry: Registry, ns: str, checkpoint) -> None:
    """A model's aliases come from the API, however old the version holding one is."""
    model = registry.create_model(f"{ns}m")
    model.register_version(checkpoint, aliases=["production"])
    for _ in range(101):
        model.register_version(checkpoint)
    model.set_alias("staging", 50)
    assert model.reload().aliases == {"production": 1, "staging": 50}
    listed = registry.get_models(name=f"{ns}m")[0]
    assert listed.aliases == {"production": 1, "staging": 50}
    model.set_alias("production", 102)
    model.remove_alias("staging")
    assert model.reload().aliases == {"production": 102}


def test_alias_rules(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}m")
    model.register_version(checkpoint)
    for bad, rule in [
        ("latest", "reserved"),
        ("3", "version number"),
        ("v2", "version number"),
        ("a b", "names are"),
        ("", "names are"),
    ]:
        with pytest.raises(ValidationError, match=rule):
            model.set_alias(bad, 1)
        with pytest.raises(ValidationError, match=rule):
            model.register_version(checkpoint, aliases=[bad])
    assert model.num_versions == 1
    with pytest.raises(NotFoundError, match="no version 7"):
        model.set_alias("production", 7)


def test_alias_on_other_model_is_independent(registry: Registry, ns: str, checkpoint) -> None:
    a = registry.create_model(f"{ns}a")
    b = registry.create_model(f"{ns}b")
    a.register_version(checkpoint, aliases=["production"])
    b.register_version(checkpoint, aliases=["production"])
    assert a.get_version("production").model_name == f"{ns}a"
    assert b.get_version("production").model_name == f"{ns}b"


def test_deleting_version_drops_its_aliases(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}m")
    model.register_version(checkpoint, aliases=["production"])
    model.get_version("production").delete()
    with pytest.raises(NotFoundError):
        model.get_version("production")


def test_version_metadata_and_notes(registry: Registry, ns: str, checkpoint) -> None:
    mv = registry.create_model(f"{ns}m").register_version(checkpoint)
    mv.add_metadata({"key": "value"})
    mv.add_metadata({"metrics": {"test_set_loss": 0.091}})
    mv.add_metadata({"metrics": {"test_set_acc": 0.97}})
    mv.remove_metadata(["key"])
    mv.set_notes("## Notes")
    got = registry.get_model_version(f"{ns}m:1")
    assert got.metadata == {"metrics": {"test_set_acc": 0.97}}
    assert got.notes == "## Notes"
    with pytest.raises(ValidationError, match="NaN"):
        mv.add_metadata({"x": float("nan")})


def test_changes_update_last_updated_time(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}m")
    times = [model.reload().last_updated_time]
    for change in (
        lambda: model.register_version(checkpoint),
        lambda: model.set_alias("production", 1),
        lambda: model.get_version(1).add_metadata({"a": 1}),
        lambda: model.remove_alias("production"),
        lambda: model.get_version(1).delete(),
    ):
        change()
        times.append(model.reload().last_updated_time)
    assert times == sorted(times) and len(set(times)) == len(times)


def test_unknown_checkpoint_registers_nothing(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}m")
    with pytest.raises(NotFoundError, match="no checkpoint"):
        model.register_version("00000000-0000-0000-0000-000000000000")
    assert model.register_version(checkpoint).version == 1


def test_archived_model_refuses_registration(registry: Registry, ns: str, checkpoint) -> None:
    model = registry.create_model(f"{ns}m")
    model.archive()
    with pytest.raises(ConflictError, match="archived"):
        model.register_version(checkpoint)
    model.unarchive()
    assert model.register_version(checkpoint).version == 1


def test_checkpoint_in_many_models_and_pinned(registry: Registry, ns: str, checkpoint) -> None:
    a = registry.create_model(f"{ns}a")
    b = registry.create_model(f"{ns}b")
    a.register_version(checkpoint)
    b.register_version(checkpoint)
    with pytest.raises(ConflictError, match=f"{ns}a:1, {ns}b:1"):
        checkpoint.delete()
    a.get_version(1).delete()
    b.delete()
    checkpoint.delete()
    with pytest.raises(NotFoundError):
        registry.get_checkpoint(checkpoint.uuid)


def test_to_pandas(registry: Registry, ns: str, model_folder: Path) -> None:
    model = registry.create_model(f"{ns}m")
    for acc in (0.8, 0.9):
        ckpt = registry.create_checkpoint(model_folder, metrics={"acc": acc, "nested": {"x": 1}})
        model.register_version(ckpt, comment=f"acc {acc}")
    model.set_alias("production", 2)
    frame = model.to_pandas()
    assert list(frame["version"]) == [2, 1]
    assert list(frame["metrics.acc"]) == [0.9, 0.8]
    assert frame.loc[0, "aliases"] == ["production"]
    assert "metrics.nested" not in frame.columns


def test_version_repr_and_snippet(registry: Registry, ns: str, checkpoint) -> None:
    mv = registry.create_model(f"{ns}m").register_version(checkpoint, aliases=["production"])
    assert repr(mv) == f"<ModelVersion {ns}m:1 aliases=['production']>"
    assert "get_model_version('" + f"{ns}m:production')" in mv.load_snippet("production")
    assert checkpoint.uuid in mv._repr_html_()
