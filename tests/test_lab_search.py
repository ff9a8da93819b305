"""The panel's filter box in a real browser: typing the filter language narrows the model
list; a malformed expression shows its error and position in place and keeps the list."""

from __future__ import annotations

import uuid

import pytest
from test_lab_panel import (  # noqa: F401  (fixtures)
    PANEL,
    Lab,
    browser,
    jp_asyncio_loop,
    jp_server_cleanup,
    lab,
    open_lab,
    open_panel,
    shot,
    wait_count,
)

pytestmark = pytest.mark.slow


def test_filter_box_narrows_the_list_and_positions_errors(
    lab: Lab,  # noqa: F811
    browser: object,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = lab.registry(monkeypatch)
    team = f"team-{uuid.uuid4().hex[:6]}"
    for name, owner in [("cnn", "ana"), ("mlp", "bob"), ("rnn", "ana")]:
        registry.create_model(name, labels=["vision"], metadata={"owner": owner, "team": team})
    p = open_lab(browser, lab)
    panel = open_panel(p)
    wait_count(p.page, 3)

    box = panel.get_by_role("searchbox", name="Filter models")  # type: ignore[attr-defined]
    box.fill(f"metadata.team = '{team}' and metadata.owner = 'ana'")
    wait_count(p.page, 2)
    names = p.page.locator(f"{PANEL} .jp-RegistryPanel-modelName").all_inner_texts()  # type: ignore[attr-defined]
    assert names == ["cnn", "rnn"]

    unbalanced = f"metadata.team = '{team}' and (metadata.owner = 'ana'"
    box.fill(unbalanced)
    error = panel.locator(".jp-RegistryPanel-filterError")  # type: ignore[attr-defined]
    error.wait_for(state="visible")
    message = error.inner_text()
    assert f"position {len(unbalanced) + 1}:" in message and "ends too early" in message
    assert box.get_attribute("aria-invalid") == "true"
    wait_count(p.page, 2)  # the list keeps its rows
    assert panel.locator(".jp-RegistryPanel-errorBox").count() == 0  # type: ignore[attr-defined]
    shot(p.page, "panel-filter-error")

    box.fill("")
    wait_count(p.page, 3)
    error.wait_for(state="detached")
    assert p.errors == []
