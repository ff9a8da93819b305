"""Model cards: the notes' front matter checked with line numbers, each save kept, HF export.

Contract tests (every backend; remote through tests/test_remote_contract.py),
plus the CLI's ``model card``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import Backend
from test_cli import assert_one_line_error, run, run_json

from jupyter_registry import Registry, ValidationError
from jupyter_registry.cards import MAX_FRONT_MATTER_BYTES

CARD = """---
license: apache-2.0
datasets:
  - mnist
language: en
tags: [vision, digits]
intended_use: Classify handwritten digits.
limitations: Only 28x28 grey images.
---
# Digits

A small convolutional network.
"""

#: (card, the line the error must name, words of the message)
BAD_CARDS = [
    ("---\ndatasets: [mnist]\n\nlicense: 3\n---\n", 4, "license must be a string"),
    ("---\nlicense: mit\ntags: vision\n---\n", 3, "tags must be a list"),
    (
        "---\nmodel-index:\n  - name: m\n    results:\n      - task: {type: t}\n"
        "        metrics:\n          - type: acc\n            value: [1]\n---\n",
        8,
        "value must be a number or a string",
    ),
    ("---\nlicense: mit\n", 1, "never closed"),
    ("---\n- a list\n---\n", 2, "must be a mapping"),
    ("---\nlicense: mit\n  bad: : x\n---\n", 3, "not allowed"),
]

#: YAML meant to hurt the reader: Python objects, an alias bomb, deep nesting, size
HOSTILE_CARDS = [
    ("---\nx: !!python/object/apply:os.system ['true']\n---\n", 2, "constructor"),
    ("---\n!!python/object:builtins.dict {}\n---\n", 2, "constructor"),
    (
        "---\na: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, n in zip("abcdefg", "bcdefgh", strict=True)
        )
        + "---\n",
        3,
        "aliases",
    ),
    ("---\nx: " + "[" * 200 + "]" * 200 + "\n---\n", 2, "nested"),
    ("---\n" + "k: v\n" * (MAX_FRONT_MATTER_BYTES // 4) + "---\n", 2, "longer than"),
    ("---\nx: " + "9" * 5000 + "\n---\n", 2, "unreadable"),
]


def test_a_valid_card_is_saved_and_parsed(registry: Registry, ns: str) -> None:
    model = registry.create_model(f"{ns}m", notes=CARD)
    card = registry.get_model(f"{ns}m").card()
    assert card.fields["license"] == "apache-2.0"
    assert card.fields["tags"] == ["vision", "digits"]
    assert card.body.startswith("# Digits")
    model.set_notes("Plain Markdown, no front matter.\n\n---\n\nA rule is not a front matter.")
    assert registry.get_model(f"{ns}m").card().fields == {}


@pytest.mark.parametrize(("text", "line", "words"), BAD_CARDS + HOSTILE_CARDS)
def test_a_bad_card_is_refused_with_its_line_and_nothing_changes(
    registry: Registry, ns: str, text: str, line: int, words: str
) -> None:
    model = registry.create_model(f"{ns}m", notes=CARD)
    with pytest.raises(ValidationError) as refused:
        model.set_notes(text)
    assert f"model card line {line}:" in refused.value.message
    assert words in refused.value.message
    assert registry.get_model(f"{ns}m").notes == CARD
    with pytest.raises(ValidationError, match=f"model card line {line}:"):
        registry.create_model(f"{ns}other", notes=text)
    assert [m.name for m in registry.get_models(name=ns)] == [f"{ns}m"]


def test_each_save_of_the_card_is_in_the_history(registry: Registry, ns: str) -> None:
    model = registry.create_model(f"{ns}m", notes=CARD)
    second = CARD.replace("apache-2.0", "mit")
    model.set_notes(second)
    model.set_description("not a card change")
    model.set_notes("")
    revisions = model.card_history()
    assert [r.text for r in revisions] == [CARD, second, ""]
    assert all(r.user == revisions[0].user for r in revisions)
    assert revisions[0].time <= revisions[1].time <= revisions[2].time


def test_export_fills_model_index_from_the_production_version(
    registry: Registry, ns: str, model_folder: Path, tmp_path: Path
) -> None:
    model = registry.create_model(f"{ns}m", notes=CARD)
    first = registry.create_checkpoint(model_folder, metrics={"acc": 0.97, "loss": 0.1})
    newer = registry.create_checkpoint(model_folder, metrics={"acc": 0.5, "note": "worse"})
    model.register_version(first, aliases=["production"])
    model.register_version(newer)
    target = tmp_path / "README.md"
    readme = model.export_card(target)
    assert target.read_text() == readme
    _, front, body = readme.split("---\n", 2)
    fields = yaml.safe_load(front)
    assert body.startswith("# Digits")
    assert fields["license"] == "apache-2.0" and fields["datasets"] == ["mnist"]
    (entry,) = fields["model-index"]
    assert entry["name"] == f"{ns}m"
    (result,) = entry["results"]
    assert result["dataset"] == {"type": "mnist", "name": "mnist"}
    assert {m["type"]: m["value"] for m in result["metrics"]} == {"acc": 0.97, "loss": 0.1}
    model.remove_alias("production")
    newest = yaml.safe_load(model.export_card().split("---\n", 2)[1])
    assert newest["model-index"][0]["results"][0]["metrics"][0]["value"] == 0.5


def test_export_keeps_the_cards_own_model_index(
    registry: Registry, ns: str, model_folder: Path
) -> None:
    own = CARD.replace(
        "language: en\n",
        "language: en\nmodel-index:\n  - name: digits\n    results:\n"
        "      - task: {type: image-classification}\n        metrics:\n"
        "          - {type: accuracy, value: 0.99}\n",
    )
    model = registry.create_model(f"{ns}m", notes=own)
    model.register_version(registry.create_checkpoint(model_folder, metrics={"acc": 0.1}))
    fields = yaml.safe_load(model.export_card().split("---\n", 2)[1])
    assert fields["model-index"] == yaml.safe_load(own.split("---\n", 2)[1])["model-index"]


def test_a_model_without_card_exports_a_titled_readme(registry: Registry, ns: str) -> None:
    assert registry.create_model(f"{ns}m").export_card() == f"# {ns}m\n"


def test_cli_sets_shows_and_exports_a_card(backend: Backend, ns: str, tmp_path: Path) -> None:
    run(backend, "model", "create", f"{ns}m")
    card = tmp_path / "card.md"
    card.write_text(CARD)
    run(backend, "model", "card", f"{ns}m", "--set", str(card))
    shown = run_json(backend, "model", "card", f"{ns}m")
    assert shown["fields"]["tags"] == ["vision", "digits"]
    card.write_text("---\nlicense: mit\ntags: vision\n---\n")
    refused = run(backend, "model", "card", f"{ns}m", "--set", str(card), code=1)
    assert_one_line_error(refused, "model card line 3:", "tags must be a list")
    target = tmp_path / "README.md"
    run(backend, "model", "card", f"{ns}m", "--export", str(target))
    assert target.read_text() == CARD
