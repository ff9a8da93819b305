"""The rules of a team registry (SPEC §7), with four people on one registry.

``root`` is an admin, ``ana`` and ``ben`` are members, ``rita`` may only read.
Each test runs on SQLite and PostgreSQL (one embedded registry per person,
configured as a kernel would be, through the ``JUPYTER_REGISTRY_*``
environment) and through a live Jupyter server whose identity provider names
each token's person, as JupyterHub would. Every refusal is checked to change
nothing, and the history to name who did what.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import Backend, make_backend
from jupyter_proc import JupyterServer, start_jupyter
from sqlalchemy import inspect, text
from test_trust_load import torch_folder

from jupyter_registry import (
    Model,
    NotFoundError,
    PermissionDeniedError,
    Registry,
    RegistryError,
    UntrustedCodeError,
    ValidationError,
)
from jupyter_registry.config import ENV_LISTS, ENV_USER
from jupyter_registry.store.migrate import current_revision, downgrade, head_revision, upgrade

ADMIN, ANA, BEN, RITA = "root", "ana", "ben", "rita"
USERS = (ADMIN, ANA, BEN, RITA)
ROLES = {
    "admin_users": [ADMIN],
    "readonly_users": [RITA],
    "trusted_users": [ADMIN],
    "protected_aliases": ["production", "release"],
}
TESTS = str(Path(__file__).parent)


@dataclass
class Team:
    """One registry handle per person, all on the same registry."""

    registries: dict[str, Registry]

    def __getitem__(self, user: str) -> Registry:
        return self.registries[user]


@dataclass
class TeamServer:
    server: JupyterServer
    tokens: dict[str, str]  # user → token


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    folder = tmp_path_factory.mktemp("team-server")
    tokens = {user: uuid.uuid4().hex for user in USERS}
    server = start_jupyter(
        {
            "database": f"sqlite:///{folder / 'registry.db'}",
            "artifacts": str(folder / "artifacts"),
            **ROLES,
        },
        env={"PYTHONPATH": os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")])},
        extra_config={
            "ServerApp": {"identity_provider_class": "team_identity.TokenUsersIdentityProvider"},
            "TokenUsersIdentityProvider": {"users": {t: u for u, t in tokens.items()}},
        },
    )
    yield TeamServer(server, tokens)
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql", "remote"])
def team(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Team:
    if request.param == "remote":
        remote: TeamServer = request.getfixturevalue("team_server")
        return Team(
            {
                user: Registry(server=remote.server.url, token=token)
                for user, token in remote.tokens.items()
            }
        )
    backend = make_backend(request.param, request, tmp_path)
    for traitlet, names in ROLES.items():
        monkeypatch.setenv(ENV_LISTS[traitlet], ",".join(names))
    registries = {}
    for user in USERS:
        monkeypatch.setenv(ENV_USER, user)
        registries[user] = backend.registry()
    return Team(registries)


def snapshot(registry: Registry, name: str) -> Any:
    """Everything a refused call could have changed about a model."""
    model = registry.get_model(name)
    return (
        model.info,
        [v.info for v in model.get_versions()],
        [(a.action, a.user, a.version, a.alias) for a in _history(registry, name)],
    )


def _history(registry: Registry, name: str) -> list[Any]:
    return list(registry.client.get_history(name).actions)


def actions(registry: Registry, name: str) -> list[tuple[str, str | None]]:
    return [(a.action, a.user) for a in _history(registry, name)]


@pytest.fixture
def anas_model(team: Team, ns: str, model_folder: Path) -> Model:
    """ana's model with versions 1 and 2; version 1 holds ``production``."""
    model = team[ANA].create_model(f"{ns}anas", description="ana's model")
    checkpoint = team[ANA].create_checkpoint(model_folder)
    model.register_version(checkpoint, aliases=["production"])
    model.register_version(checkpoint)
    return model


def test_every_record_names_the_person_who_made_it(team: Team, anas_model: Model) -> None:
    assert anas_model.created_by == ANA and anas_model.maintainers == [ANA]
    version = anas_model.get_version(1)
    assert version.created_by == ANA and version.checkpoint.created_by == ANA
    team[BEN].get_model(anas_model.name).set_description("ben was here")
    described = team[ADMIN].get_model(anas_model.name)
    assert described.info.updated_by == BEN
    assert described.maintainers == [ANA]
    assert actions(team[RITA], anas_model.name) == [
        ("model.created", ANA),
        ("version.registered", ANA),
        ("alias.set", ANA),
        ("version.registered", ANA),
        ("model.updated", BEN),
    ]


def test_each_person_has_the_role_configured(team: Team) -> None:
    roles = {user: team[user].identity() for user in USERS}
    assert {user: (i.user, i.role) for user, i in roles.items()} == {
        ADMIN: (ADMIN, "admin"),
        ANA: (ANA, "member"),
        BEN: (BEN, "member"),
        RITA: (RITA, "readonly"),
    }
    assert roles[BEN].protected_aliases == ["production", "release"]
    assert roles[BEN].trusted_users == [ADMIN]


def test_a_readonly_user_may_read_and_nothing_else(
    team: Team, anas_model: Model, ns: str, model_folder: Path
) -> None:
    rita = team[RITA]
    name = anas_model.name
    before = snapshot(rita, name)
    assert rita.get_model(name).get_version("production").version == 1
    assert rita.get_lineage(f"{name}:2").root == f"{name}:2"
    assert [m.name for m in rita.get_models(name=ns)] == [name]
    model = rita.get_model(name)
    version = model.get_version(2)
    checkpoint_uuid = version.checkpoint.uuid
    refused = [
        lambda: rita.create_model(f"{ns}ritas"),
        lambda: rita.create_checkpoint(model_folder),
        lambda: model.register_version(checkpoint_uuid),
        lambda: model.set_description("x"),
        lambda: model.set_labels(["x"]),
        lambda: model.set_notes("x"),
        lambda: model.add_metadata({"k": 1}),
        lambda: model.set_alias("staging", 2),
        lambda: model.remove_alias("production"),
        lambda: version.set_notes("x"),
        lambda: version.add_metadata({"k": 1}),
        lambda: version.set_bases(f"{name}:1"),
        lambda: version.delete(),
        lambda: model.archive(),
        lambda: model.add_maintainer(RITA),
        lambda: model.delete(),
        lambda: rita.get_checkpoint(checkpoint_uuid).delete(),
    ]
    for call in refused:
        with pytest.raises(PermissionDeniedError, match=rf"^{RITA} may not .*read-only"):
            call()
    assert snapshot(rita, name) == before
    assert rita.get_models(name=f"{ns}ritas") == []


def test_members_edit_and_alias_any_model(team: Team, anas_model: Model) -> None:
    ben = team[BEN]
    model = ben.get_model(anas_model.name)
    model.set_description("edited by ben")
    model.set_labels(["vision"])
    model.set_notes("# by ben")
    model.add_metadata({"owner": "team"})
    version = model.register_version(model.get_version(1).checkpoint, aliases=["staging"])
    assert version.version == 3 and version.created_by == BEN
    model.get_version(2).set_notes("checked")
    model.get_version(2).add_metadata({"acc": 0.9})
    model.set_alias("staging", 2)
    model.set_alias("best", 1)
    model.remove_alias("best")
    described = team[ANA].get_model(anas_model.name)
    assert (described.description, described.labels, described.metadata) == (
        "edited by ben",
        ["vision"],
        {"owner": "team"},
    )
    assert described.info.aliases == {"production": 1, "staging": 2}
    assert described.maintainers == [ANA]  # editing does not make ben a maintainer
    assert {user for action, user in actions(ben, anas_model.name)[5:]} == {BEN}


def test_only_maintainers_and_admins_archive_delete_promote_and_manage(
    team: Team, anas_model: Model
) -> None:
    ben = team[BEN]
    name = anas_model.name
    model = ben.get_model(name)
    before = snapshot(ben, name)
    refused = {
        "archive": model.archive,
        "delete model": model.delete,
        "delete version 2": lambda: model.get_version(2).delete(),
        "add maintainers": lambda: model.add_maintainer(BEN),
        "remove maintainers": lambda: model.remove_maintainer(ANA),
        "set protected alias 'production'": lambda: model.set_alias("production", 2),
        "set protected alias 'release'": lambda: model.set_alias("release", 1),
        "remove protected alias 'production'": lambda: model.remove_alias("production"),
        "set protected alias 'production' (registering)": lambda: model.register_version(
            model.get_version(1).checkpoint, aliases=["staging", "production"]
        ),
    }
    for action, call in refused.items():
        with pytest.raises(PermissionDeniedError) as refusal:
            call()
        message = refusal.value.message
        assert message.startswith(f"{BEN} may not {action.split(' (')[0]}"), message
        assert f"maintainers of model {name!r} ({ANA}) and admins ({ADMIN}) may" in message
    assert snapshot(ben, name) == before
    # the refused registration took no version number
    assert ben.get_model(name).register_version(model.get_version(1).checkpoint).version == 3


def test_maintainers_share_their_rights_and_admins_hold_them_all(
    team: Team, anas_model: Model
) -> None:
    name = anas_model.name
    anas_model.add_maintainer(BEN)
    assert anas_model.maintainers == [ANA, BEN]
    bens = team[BEN].get_model(name)
    bens.set_alias("production", 2)  # a maintainer promotes
    bens.archive()
    bens.unarchive()
    admins = team[ADMIN].get_model(name)
    admins.remove_maintainer(ANA)  # an admin need not be a maintainer
    assert team[ANA].get_model(name).maintainers == [BEN]
    with pytest.raises(PermissionDeniedError, match=f"^{ANA} may not remove protected alias"):
        team[ANA].get_model(name).remove_alias("production")
    with pytest.raises(NotFoundError, match="not a maintainer"):
        admins.remove_maintainer(ANA)
    with pytest.raises(ValidationError, match="user name"):
        admins.add_maintainer("a/b")
    admins.add_maintainer(ANA)
    admins.add_maintainer(ANA)  # already one: nothing changes
    admins.set_alias("release", 1)
    admins.get_version(1).delete()
    assert [v.version for v in team[RITA].get_model(name).get_versions()] == [2]
    assert actions(team[RITA], name)[4:] == [
        ("maintainer.added", ANA),
        ("alias.set", BEN),
        ("model.updated", BEN),
        ("model.updated", BEN),
        ("maintainer.removed", ADMIN),
        ("maintainer.added", ADMIN),
        ("alias.set", ADMIN),
        ("version.deleted", ADMIN),
    ]
    admins.delete()
    assert actions(team[RITA], name)[-1] == ("model.deleted", ADMIN)


CAPTURED = """
from pathlib import Path
Path({marker!r}).write_text("imported")

from torch import nn


class Net(nn.Linear):
    def __init__(self, width=3):
        super().__init__(width, width)
"""


def _captured(registry: Registry, tmp_path: Path, marker: Path) -> Any:
    root = tmp_path / uuid.uuid4().hex[:8]
    root.mkdir()
    folder = torch_folder(root, code={"model_def.py": ""})
    (folder / "code" / "model_def.py").write_text(CAPTURED.format(marker=str(marker)))
    return registry.create_checkpoint(folder, format="safetensors", entrypoint="model_def:Net")


def test_captured_code_is_imported_only_from_someone_the_loader_trusts(
    team: Team, ns: str, tmp_path: Path
) -> None:
    marker = tmp_path / "imported"
    model = team[ANA].create_model(f"{ns}captured")
    version = model.register_version(_captured(team[ANA], tmp_path, marker))

    bens = team[BEN].get_model_version(f"{model.name}:1")
    with pytest.raises(UntrustedCodeError) as refusal:
        bens.load()
    assert f"captured by {ANA}" in refusal.value.message
    assert "load(trusted=True)" in refusal.value.message
    assert not marker.exists()  # refused before anything was imported
    with pytest.raises(UntrustedCodeError):
        team[BEN].get_checkpoint(bens.checkpoint.uuid).load()
    assert not marker.exists()

    assert type(version.load()).__name__ == "Net"  # ana's own code
    marker.unlink()
    with pytest.raises(UntrustedCodeError):  # ana's load taught ben's trust nothing
        bens.load()
    assert not marker.exists()
    assert type(bens.load(trusted=True)).__name__ == "Net"  # ben reviewed it
    marker.unlink()
    model.set_alias("production", 1)  # a maintainer promoted it
    promoted = team[BEN].get_model_version(f"{model.name}:production")
    assert type(promoted.load()).__name__ == "Net"
    marker.unlink()

    admins = (
        team[ADMIN].get_model(model.name).register_version(_captured(team[ADMIN], tmp_path, marker))
    )
    assert admins.created_by == ADMIN
    assert type(team[BEN].get_model_version(f"{model.name}:2").load()).__name__ == "Net"


def test_files_need_no_trust(team: Team, ns: str, model_folder: Path) -> None:
    """A plain files checkpoint imports nothing, even when it holds .py files."""
    checkpoint = team[ANA].create_checkpoint(model_folder)
    loaded = team[BEN].get_checkpoint(checkpoint.uuid).load()
    assert (Path(loaded) / "code" / "model_def.py").is_file()


# --- through the server only ----------------------------------------------------


def test_a_refusal_is_a_403_permission_denied_naming_who_may(
    team_server: TeamServer, ns: str
) -> None:
    server = team_server.server
    ana = Registry(server=server.url, token=team_server.tokens[ANA])
    model = ana.create_model(f"{ns}http")
    response = requests.put(
        server.api("models", model.name, "maintainers", BEN),
        headers={"Authorization": f"token {team_server.tokens[BEN]}"},
        timeout=30,
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["type"] == "PermissionDenied"
    assert error["message"].startswith(f"{BEN} may not add maintainers")
    assert f"({ANA})" in error["message"] and f"({ADMIN})" in error["message"]
    listed = requests.get(
        server.api("models", model.name, "maintainers"),
        headers={"Authorization": f"token {team_server.tokens[RITA]}"},
        timeout=30,
    )
    assert listed.json() == {"maintainers": [ANA]}


def test_a_plain_token_server_names_its_default_user(tmp_path: Path) -> None:
    """jupyter_server's own token login is an anonymous random id: the registry names a person."""
    server = start_jupyter(
        {
            "database": f"sqlite:///{tmp_path / 'r.db'}",
            "artifacts": str(tmp_path / "a"),
            "default_user": "dora",
        }
    )
    try:
        registry = Registry(server=server.url, token=server.token)
        model = registry.create_model("solo")
        assert model.created_by == "dora" and model.maintainers == ["dora"]
        assert registry.identity().user == "dora"
        assert actions(registry, "solo") == [("model.created", "dora")]
    finally:
        server.stop()


def test_the_cli_manages_maintainers_and_refuses_in_one_line(
    team_server: TeamServer, ns: str
) -> None:
    import subprocess

    server = team_server.server

    def cli(user: str, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "JUPYTER_REGISTRY_SERVER": server.url,
            "JUPYTER_REGISTRY_TOKEN": team_server.tokens[user],
        }
        bin_dir = str(Path(sys.executable).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        result = subprocess.run(
            ["jupyter", "registry", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == code, (result.stdout, result.stderr)
        return result

    name = f"{ns}cli"
    cli(ANA, "model", "create", name)
    refused = cli(BEN, "model", "maintainers", "add", name, BEN, code=1)
    assert refused.stdout == "" and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert f"{BEN} may not add maintainers" in refused.stderr
    cli(ANA, "model", "maintainers", "add", name, BEN)
    listed = json.loads(cli(RITA, "model", "maintainers", "list", name, "--json").stdout)
    assert listed == {"maintainers": [ANA, BEN]}
    described = cli(RITA, "model", "describe", name).stdout
    assert f"Created by:   {ANA}\n" in described
    assert f"Maintainers:  {ANA}, {BEN}\n" in described
    cli(BEN, "model", "maintainers", "remove", name, ANA)
    assert "Maintainers of" in cli(RITA, "model", "maintainers", "list", name).stdout


def test_errors_keep_their_type_over_http(team_server: TeamServer) -> None:
    """A 403 from the rules is a PermissionDeniedError; a bad token is still an auth error."""
    bad = Registry(server=team_server.server.url, token="not-a-token")
    with pytest.raises(RegistryError) as refusal:
        bad.get_models()
    assert not isinstance(refusal.value, PermissionDeniedError)


# --- upgrading a registry made before the team rules ------------------------------


def test_an_existing_registry_is_upgraded_in_place(backend: Backend, model_folder: Path) -> None:
    """Models keep their creator as first maintainer; without one, none until an admin adds one."""
    registry = backend.registry()
    engine = registry.client.service.store.engine
    checkpoint = registry.create_checkpoint(model_folder)
    for name in ("by-alice", "by-anonymous", "by-nobody"):
        registry.create_model(name).register_version(checkpoint, aliases=["production"])
    downgrade(engine, "0003")
    assert "model_maintainers" not in inspect(engine).get_table_names()
    with engine.begin() as connection:  # as a 0003 registry recorded them
        for name, creator in (
            ("by-alice", "alice"),
            ("by-anonymous", uuid.uuid4().hex),  # a token user of jupyter_server
            ("by-nobody", None),
        ):
            connection.execute(
                text("UPDATE models SET created_by = :user WHERE name = :name"),
                {"user": creator, "name": name},
            )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert registry.get_model("by-alice").maintainers == ["alice"]
    assert registry.get_model("by-anonymous").maintainers == []
    assert registry.get_model("by-nobody").maintainers == []
    assert registry.get_checkpoint(checkpoint.uuid).created_by is None
    assert registry.get_model("by-nobody").get_version("production").version == 1
    downgrade(engine, "0003")
    columns = {c["name"] for c in inspect(engine).get_columns("checkpoints")}
    assert "created_by" not in columns
    assert "model_maintainers" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert registry.get_model("by-alice").maintainers == ["alice"]


@pytest.mark.slow
def test_a_refused_magic_is_one_line(
    tmp_path: Path, ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a kernel, a member may register versions of a teammate's model but not promote them."""
    from test_magics import run_notebook, text_of

    name = f"{ns}magic"
    monkeypatch.setenv(ENV_USER, ANA)
    Registry().create_model(name)
    monkeypatch.setenv(ENV_USER, BEN)  # the kernel is ben's
    cells = [
        "%load_ext jupyter_registry",
        "open('weights.bin', 'wb').write(b'trained')",
        f"%register_version {name} weights.bin --alias staging",
        f"%register_version {name} weights.bin --alias production",
    ]
    nb = run_notebook(tmp_path / "nb", cells, allow_errors=True)
    assert f"Registered {name} v1" in text_of(nb.cells[2])
    refusal = text_of(nb.cells[3]).strip()
    assert "Traceback" not in refusal and len(refusal.splitlines()) == 1, refusal
    assert refusal.startswith(f"UsageError: {BEN} may not set protected alias 'production'")
    assert Registry().get_model(name).num_versions == 1
