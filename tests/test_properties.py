"""Hypothesis state machine: random operation sequences keep the registry's invariants.

Invariants: version numbers unique, increasing and never reused; ``latest`` is
the highest live number; each alias names exactly one live version of its
model; metadata follows the top-level merge law.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from jupyter_registry import ConflictError, NotFoundError, Registry

NAMES = st.sampled_from(["a", "b", "c"])
ALIASES = st.sampled_from(["production", "staging", "best"])
KEYS = st.sampled_from(["k1", "k2", "k3", "metrics"])
VALUES = st.one_of(
    st.integers(-5, 5), st.text(max_size=3), st.dictionaries(KEYS, st.booleans(), max_size=2)
)


class RegistryMachine(RuleBasedStateMachine):
    @initialize()
    def open(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="jr-prop-")
        self.registry = Registry(
            database=f"sqlite:///{self.folder}/r.db", artifacts=f"{self.folder}/artifacts"
        )
        ckpt_dir = os.path.join(self.folder, "ckpt")
        os.mkdir(ckpt_dir)
        with open(os.path.join(ckpt_dir, "w"), "wb") as handle:
            handle.write(b"weights")
        self.checkpoint = self.registry.create_checkpoint(ckpt_dir)
        self.models: dict[str, dict] = {}

    def teardown(self) -> None:
        shutil.rmtree(getattr(self, "folder", ""), ignore_errors=True)

    @rule(name=NAMES)
    def create(self, name: str) -> None:
        if name in self.models:
            with pytest.raises(ConflictError):
                self.registry.create_model(name)
            return
        self.registry.create_model(name)
        self.models[name] = {"counter": 0, "live": set(), "aliases": {}, "metadata": {}}

    @precondition(lambda self: self.models)
    @rule(data=st.data(), aliases=st.lists(ALIASES, max_size=2))
    def register(self, data: st.DataObject, aliases: list[str]) -> None:
        name = data.draw(st.sampled_from(sorted(self.models)))
        state = self.models[name]
        mv = self.registry.get_model(name).register_version(self.checkpoint, aliases=aliases)
        state["counter"] += 1
        assert mv.version == state["counter"]
        state["live"].add(mv.version)
        for alias in aliases:
            state["aliases"][alias] = mv.version

    @precondition(lambda self: any(m["live"] for m in self.models.values()))
    @rule(data=st.data())
    def delete_version(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(n for n, m in self.models.items() if m["live"])))
        state = self.models[name]
        number = data.draw(st.sampled_from(sorted(state["live"])))
        self.registry.get_model(name).get_version(number).delete()
        state["live"].discard(number)
        state["aliases"] = {a: v for a, v in state["aliases"].items() if v != number}

    @precondition(lambda self: any(m["live"] for m in self.models.values()))
    @rule(data=st.data(), alias=ALIASES)
    def set_alias(self, data: st.DataObject, alias: str) -> None:
        name = data.draw(st.sampled_from(sorted(n for n, m in self.models.items() if m["live"])))
        state = self.models[name]
        number = data.draw(st.sampled_from(sorted(state["live"])))
        self.registry.get_model(name).set_alias(alias, number)
        state["aliases"][alias] = number

    @precondition(lambda self: self.models)
    @rule(data=st.data(), alias=ALIASES)
    def remove_alias(self, data: st.DataObject, alias: str) -> None:
        name = data.draw(st.sampled_from(sorted(self.models)))
        state = self.models[name]
        model = self.registry.get_model(name)
        if alias in state["aliases"]:
            model.remove_alias(alias)
            del state["aliases"][alias]
        else:
            with pytest.raises(NotFoundError):
                model.remove_alias(alias)

    @precondition(lambda self: self.models)
    @rule(
        data=st.data(),
        add=st.dictionaries(KEYS, VALUES, max_size=3),
        remove=st.lists(KEYS, max_size=2),
    )
    def metadata(self, data: st.DataObject, add: dict, remove: list[str]) -> None:
        name = data.draw(st.sampled_from(sorted(self.models)))
        state = self.models[name]
        model = self.registry.get_model(name)
        model.add_metadata(add)
        state["metadata"].update(add)
        model.remove_metadata(remove)
        for key in remove:
            state["metadata"].pop(key, None)

    @precondition(lambda self: self.models)
    @rule(data=st.data())
    def delete_model(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.models)))
        self.registry.delete_model(name)
        del self.models[name]

    @invariant()
    def consistent(self) -> None:
        if not hasattr(self, "registry"):
            return
        assert sorted(m.name for m in self.registry.get_models()) == sorted(self.models)
        for name, state in self.models.items():
            model = self.registry.get_model(name)
            versions = model.get_versions()
            numbers = [v.version for v in versions]
            assert numbers == sorted(state["live"], reverse=True)
            if numbers:
                assert model.get_version().version == numbers[0]
            else:
                with pytest.raises(NotFoundError):
                    model.get_version()
            seen = {a: v.version for v in versions for a in v.aliases}
            assert seen == state["aliases"]
            assert sum(len(v.aliases) for v in versions) == len(seen)
            assert model.metadata == state["metadata"]


RegistryMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_registry_state_machine = RegistryMachine.TestCase
