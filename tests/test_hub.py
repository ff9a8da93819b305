"""One registry for a whole JupyterHub, end to end (issue 15, SPEC §7).

A real JupyterHub (tests/hub_proc.py): the registry runs once as the hub
service ``registry``; alice's and bob's single-user servers forward their
registry API to it and their kernels reach it as their user. Alice registers
and promotes a torch model from a kernel in her server; bob sees it through
his server's forwarded API and loads it in his kernel. Neither kernel holds
anything of the registry's storage.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from browser import CHROMIUM, CHROMIUM_ARGS
from hub_proc import PASSWORD, Hub, start_hub
from jupyter_client import BlockingKernelClient
from jupyter_proc import run_in_kernel, server_kernel
from test_lab_panel import (
    LAB_EXTENSION,
    Page,
    jp_asyncio_loop,  # noqa: F401 - Playwright's sync API needs pytest-jupyter's loop off
    jp_server_cleanup,  # noqa: F401
    open_model,
    open_panel,
    shot,
)

from jupyter_registry import Registry

pytestmark = pytest.mark.slow

REGISTER = """
import json, os
import torch
from jupyter_registry import Registry

class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def forward(self, x):
        return self.layer(x)

registry = Registry()
torch.manual_seed(0)
model = registry.create_model("team-net", description="shared through the hub")
first = model.register_version(registry.save_checkpoint(TinyNet()))
model.register_version(registry.save_checkpoint(TinyNet()))
model.set_alias("production", first.version)
print("RESULT", json.dumps({
    "client": type(registry.client).__name__,
    "production": first.version,
    "weights": float(registry.get_model_version("team-net:production").load().layer.weight.sum()),
}))
"""

LOAD = """
import json
from jupyter_registry import Registry

registry = Registry()
net = registry.get_model_version("team-net:production").load()
print("RESULT", json.dumps({"class": type(net).__name__, "weights": float(net.layer.weight.sum())}))
"""

ENVIRONMENT = "import json, os; print('RESULT', json.dumps(dict(os.environ)))"


@dataclass
class Member:
    """A hub user with a running single-user server and a token acting as them."""

    name: str
    token: str
    server: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def registry_api(self, *path: str) -> str:
        """The registry API of this user's own server (forwarded to the hub service)."""
        return self.server + "registry/api/v1/" + "/".join(path)


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    hub = start_hub()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def members(hub: Hub) -> dict[str, Member]:
    tokens = {name: hub.add_user(name) for name in ("alice", "bob")}
    return {name: Member(name, token, hub.start_server(name)) for name, token in tokens.items()}


def kernel(hub: Hub, member: Member) -> AbstractContextManager[BlockingKernelClient]:
    """A kernel in ``member``'s server, started through the hub's proxy."""
    runtime = hub.home(member.name) / ".local/share/jupyter/runtime"
    return server_kernel(member.server, member.headers(), runtime)


def run_json(client: BlockingKernelClient, code: str) -> Any:
    """The JSON the code prints on its ``RESULT`` line (warnings may print around it)."""
    output = run_in_kernel(client, code)
    results = [line for line in output.splitlines() if line.startswith("RESULT ")]
    assert results, output
    return json.loads(results[-1].removeprefix("RESULT "))


def assert_no_storage(environment: dict[str, str], hub: Hub) -> None:
    """A kernel has the registry's URL and a user token, nothing of its database or bucket."""
    assert environment["JUPYTER_REGISTRY_SERVER"] == hub.registry
    assert environment["JUPYTER_REGISTRY_TOKEN"] == environment["JUPYTERHUB_API_TOKEN"]
    storage = str(hub.folder / "registry")
    for key, value in environment.items():
        assert key not in ("JUPYTER_REGISTRY_DATABASE", "JUPYTER_REGISTRY_ARTIFACTS"), key
        assert "STORAGE_OPTIONS" not in key and not key.startswith("AWS_"), key
        assert storage not in value and "sqlite:" not in value, (key, value)


def test_a_model_promoted_in_one_users_kernel_is_every_users(
    hub: Hub, members: dict[str, Member]
) -> None:
    alice, bob = members["alice"], members["bob"]
    with kernel(hub, alice) as client:
        registered = run_json(client, REGISTER)
        assert_no_storage(run_json(client, ENVIRONMENT), hub)
    assert registered["client"] == "HttpClient"

    seen = requests.get(bob.registry_api("models", "team-net"), headers=bob.headers())
    assert seen.status_code == 200, seen.text
    model = seen.json()
    assert model["aliases"] == {"production": registered["production"]}
    assert model["num_versions"] == 2
    assert model["created_by"] == "alice"
    history = requests.get(bob.registry_api("models", "team-net", "history"), headers=bob.headers())
    actors = {(a["action"], a["user"]) for a in history.json()["actions"]}
    assert ("model.created", "alice") in actors
    assert all(user == "alice" for _, user in actors), actors

    with kernel(hub, bob) as client:
        loaded = run_json(client, LOAD)
        assert_no_storage(run_json(client, ENVIRONMENT), hub)
    assert loaded == {"class": "TinyNet", "weights": registered["weights"]}


def test_each_server_acts_as_its_own_user(hub: Hub, members: dict[str, Member]) -> None:
    alice, bob = members["alice"], members["bob"]
    made = requests.post(
        bob.registry_api("models"), json={"name": "bobs-model"}, headers=bob.headers()
    )
    assert made.status_code == 201, made.text
    assert made.json()["created_by"] == "bob"
    # Bob's token opens neither alice's server nor, through it, her identity.
    through_alice = requests.post(
        alice.registry_api("models"), json={"name": "as-alice"}, headers=bob.headers()
    )
    assert through_alice.status_code in (401, 403)
    assert through_alice.json()["error"]["type"] in ("Unauthorized", "Forbidden")
    missing = requests.get(bob.registry_api("models", "as-alice"), headers=bob.headers())
    assert missing.status_code == 404
    # The service itself refuses a request without a hub token.
    anonymous = requests.get(f"{hub.registry}registry/api/v1/models")
    assert anonymous.status_code in (401, 403)
    assert "bobs-model" not in anonymous.text


def test_the_service_serves_the_registry_and_nothing_else(
    hub: Hub, members: dict[str, Member]
) -> None:
    # The service holds the storage credentials: no user may run code or read files there.
    alice = members["alice"]
    service = hub.registry
    models = requests.get(f"{service}registry/api/v1/models", headers=alice.headers())
    assert models.status_code == 200
    for method, path in (
        ("POST", "api/kernels"),
        ("GET", "api/kernels"),
        ("POST", "api/terminals"),
        ("GET", "api/contents"),
        ("POST", "api/sessions"),
    ):
        response = requests.request(
            method, service + path, json={"name": "python3"}, headers=alice.headers()
        )
        assert response.status_code in (403, 404), (method, path, response.status_code)
    assert not list((hub.folder / "registry").glob("*.ipynb"))


def test_uploads_and_downloads_pass_through_a_users_server(
    members: dict[str, Member], tmp_path: Path
) -> None:
    bob = members["bob"]
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    payload = bytes(range(256)) * (8 * 4096)  # 8 MiB
    (folder / "weights.bin").write_bytes(payload)
    registry = Registry(server=bob.server, token=bob.token)
    checkpoint = registry.create_checkpoint(folder)
    copy = registry.get_checkpoint(checkpoint.uuid).download(tmp_path / "copy")
    assert (copy / "weights.bin").read_bytes() == payload


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's /usr/bin/chromium")
@pytest.mark.skipif(
    not (LAB_EXTENSION / "package.json").exists(), reason="the lab extension is not built"
)
def test_bob_sees_alices_promoted_version_in_his_panel(
    hub: Hub, members: dict[str, Member], model_folder: Path
) -> None:
    from playwright.sync_api import sync_playwright

    alice = members["alice"]
    registry = Registry(server=alice.server, token=alice.token)
    model = registry.create_model("panel-model", description="made by alice")
    model.register_version(registry.create_checkpoint(model_folder), aliases=["production"])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{hub.url}hub/login")
            page.fill("#username_input", "bob")
            page.fill("#password_input", PASSWORD)
            page.click("#login_submit")
            page.wait_for_url("**/user/bob/**")
            page.goto(f"{hub.url}user/bob/lab")
            page.wait_for_selector("#jp-main-dock-panel")
            panel = open_panel(Page(page, [], []))
            open_model(panel, "panel-model")
            v1 = panel.locator('tr[data-version="1"]')
            v1.wait_for()
            assert v1.locator('[data-chip="production"]').is_visible()
            shot(page, "hub-bob-panel")

            # A write from bob's browser session (cookie and XSRF, not a token) is forwarded
            # as bob.
            panel.get_by_role("button", name="Models").click()
            panel.get_by_title("Create model").click()
            dialog = page.locator(".jp-Dialog")
            dialog.get_by_label("Name").fill("made-in-bobs-panel")
            dialog.get_by_role("button", name="Create").click()
            panel.get_by_role("heading", name="made-in-bobs-panel").wait_for()
        finally:
            browser.close()
    made = registry.get_model("made-in-bobs-panel")
    assert made.info.created_by == "bob"
