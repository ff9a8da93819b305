"""The installed ``jupyter registry`` command, run in subprocesses against every backend.

Each call goes through Jupyter's subcommand dispatch (``jupyter`` finds
``jupyter-registry`` on PATH) with only the environment pointing at the
registry, exactly as a user's terminal would.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import Backend

from jupyter_registry.cli import cli

BIN = str(Path(sys.executable).parent)


def run(
    backend: Backend,
    *args: str,
    code: int = 0,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``jupyter registry ARGS`` and check its exit code."""
    environment = dict(env if env is not None else backend.env())
    environment["PATH"] = BIN + os.pathsep + environment.get("PATH", "")
    result = subprocess.run(
        ["jupyter", "registry", *args],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    return result


def run_json(backend: Backend, *args: str, stdin: str | None = None) -> Any:
    """Run with ``--json``; stdout must be JSON and nothing else."""
    return json.loads(run(backend, *args, "--json", stdin=stdin).stdout)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0]


def assert_aligned(table: str) -> None:
    """Every row of a table has its column separators at the same offsets."""
    lines = [line for line in table.splitlines() if "|" in line]
    offsets = {tuple(i for i, ch in enumerate(line) if ch == "|") for line in lines}
    assert len(lines) >= 2 and len(offsets) == 1, table


def test_seed_walkthrough(backend: Backend, ns: str, model_folder: Path, tmp_path: Path) -> None:
    # models created out of name order, with descriptions in yet another order
    for name, description in (("b", "zeta"), ("c", "alpha"), ("a", "mid")):
        created = run(backend, "model", "create", f"{ns}{name}", "--description", description)
        assert created.stdout.strip() == f"Created model {ns}{name}"
    run(backend, "model", "metadata", "add", f"{ns}b", '{"touched": true}')

    def names(*options: str) -> list[str]:
        listed = run_json(backend, "model", "list", "--name", ns, *options)
        return [m["name"].removeprefix(ns) for m in listed["models"]]

    assert names() == ["a", "b", "c"]
    assert names("--sort-by", "name", "--order-by", "desc") == ["c", "b", "a"]
    assert names("--sort-by", "description") == ["c", "a", "b"]
    assert names("--sort-by", "description", "--order-by", "desc") == ["b", "a", "c"]
    assert names("--sort-by", "creation_time") == ["b", "c", "a"]
    assert names("--sort-by", "creation_time", "--order-by", "desc") == ["a", "c", "b"]
    assert names("--sort-by", "last_updated_time") == ["c", "a", "b"]
    assert names("--sort-by", "last_updated_time", "--order-by", "desc") == ["b", "a", "c"]
    assert names("--description", "ALPH") == ["c"]

    table = run(backend, "model", "list", "--name", ns).stdout
    header = table.splitlines()[0].split("|")
    assert [h.strip() for h in header][:3] == ["Name", "Description", "Versions"]
    assert_aligned(table)

    # a checkpoint from a folder with a .registryignore
    (model_folder / "scratch.log").write_text("not part of the model\n")
    (model_folder / ".registryignore").write_text("*.log\n")
    created = run(
        backend,
        "checkpoint",
        "create",
        str(model_folder),
        "--entrypoint",
        "model_def:Net",
        "--metrics",
        '{"test_set_acc": 0.97}',
    )
    assert created.stderr == ""  # no progress bar when piped
    uuid = created.stdout.strip()
    assert created.stdout == f"{uuid}\n" and len(uuid) == 36
    described = run_json(backend, "checkpoint", "describe", uuid)
    assert described["uuid"] == uuid
    assert described["entrypoint"] == "model_def:Net"
    assert described["resources"] == {
        ".registryignore": 6,
        "code/": 0,
        "code/model_def.py": (model_folder / "code" / "model_def.py").stat().st_size,
        "weights.bin": 25224,
    }
    files = run(backend, "checkpoint", "files", uuid).stdout
    assert "weights.bin" in files and "scratch.log" not in files
    assert_aligned(files)

    # two versions, newest first
    first = run_json(backend, "model", "register-version", f"{ns}a", uuid, "--alias", "staging")
    assert first["version"] == 1 and first["aliases"] == ["staging"]
    second = run(backend, "model", "register-version", f"{ns}a", uuid, "--comment", "again")
    assert second.stdout.strip() == f"Registered {ns}a version 2"
    versions = run_json(backend, "model", "list-versions", f"{ns}a")["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["comment"] == "again"
    assert_aligned(run(backend, "model", "list-versions", f"{ns}a").stdout)

    # an alias, then describe shows the latest version with its checkpoint
    aliased = run_json(backend, "model", "alias", f"{ns}a", "production", "1")
    assert aliased["version"] == 1 and sorted(aliased["aliases"]) == ["production", "staging"]
    described = run_json(backend, "model", "describe", f"{ns}a")
    assert described["model"]["name"] == f"{ns}a" and described["model"]["num_versions"] == 2
    assert described["latest_version"]["version"] == 2
    assert described["latest_version"]["checkpoint"]["uuid"] == uuid
    text = run(backend, "model", "describe", f"{ns}a").stdout
    assert f"Name:         {ns}a" in text and "Description:  mid" in text
    assert uuid in text and "test_set_acc" in text

    # download by alias, by number and by uuid; the bytes are the ones stored
    for ref in (f"{ns}a:production", f"{ns}a:v2", uuid):
        out = tmp_path / "downloads" / ref.replace(":", "_")
        downloaded = run(backend, "checkpoint", "download", ref, "-o", str(out))
        assert downloaded.stdout.strip() == str(out)
        for rel in ("code/model_def.py", "weights.bin", ".registryignore"):
            assert (out / rel).read_bytes() == (model_folder / rel).read_bytes()
        assert not (out / "scratch.log").exists()


def test_error_paths(backend: Backend, ns: str) -> None:
    run(backend, "model", "create", f"{ns}dup")
    assert_one_line_error(run(backend, "model", "create", f"{ns}dup", code=1), "already exists")
    assert_one_line_error(run(backend, "model", "create", f"{ns}a/b", code=1), "invalid name")
    assert_one_line_error(run(backend, "model", "create", "", code=1), "invalid name")
    assert_one_line_error(run(backend, "model", "describe", f"{ns}missing", code=1), "no model")
    assert_one_line_error(
        run(backend, "model", "list-versions", f"{ns}missing", "--json", code=1), "no model"
    )
    assert_one_line_error(
        run(backend, "model", "create", f"{ns}x", "--metadata", "{bad", code=1),
        "--metadata is not valid JSON",
    )
    assert_one_line_error(
        run(backend, "model", "create", f"{ns}x", "--metadata", "[1, 2]", code=1),
        "JSON object",
    )
    assert_one_line_error(
        run(backend, "model", "create", f"{ns}x", "--metadata", '{"x": NaN}', code=1)
    )
    assert_one_line_error(
        run(backend, "checkpoint", "download", f"{ns}dup:production", code=1), "production"
    )
    assert_one_line_error(
        run(backend, "model", "register-version", f"{ns}dup", "0" * 36, code=1), "checkpoint"
    )
    assert run_json(backend, "model", "list", "--name", ns)["models"][0]["name"] == f"{ns}dup"


def test_usage_errors_exit_2(backend: Backend, ns: str) -> None:
    result = run(backend, "model", "list", "--sort-by", "size", code=2)
    assert "Traceback" not in result.stderr and "'size' is not one of" in result.stderr
    result = run(backend, "model", "alias", f"{ns}m", "prod", "zero", code=2)
    assert "Traceback" not in result.stderr
    result = run(backend, "model", "list", "--server", "http://h", "--database", "x", code=2)
    assert "cannot be combined" in result.stderr


def test_model_upkeep(backend: Backend, ns: str, tmp_path: Path) -> None:
    name = f"{ns}m"
    run(backend, "model", "create", name, "--label", "vision", "--metadata", '{"key": "value"}')
    run(backend, "model", "metadata", "add", name, '{"metrics": {"test_set_loss": 0.091}}')
    run(backend, "model", "metadata", "add", name, '{"metrics": {"test_set_acc": 0.97}}')
    removed = run_json(backend, "model", "metadata", "remove", name, "key")
    assert removed["metadata"] == {"metrics": {"test_set_acc": 0.97}}

    notes = tmp_path / "notes.md"
    notes.write_text("# MNIST\n\ntrained on *all* digits\n")
    assert run_json(backend, "model", "notes", name, str(notes))["notes"] == notes.read_text()
    assert run_json(backend, "model", "notes", name, "-", stdin="from stdin")["notes"] == (
        "from stdin"
    )

    assert run_json(backend, "model", "archive", name)["archived"] is True
    assert run_json(backend, "model", "list", "--name", ns, "--active")["models"] == []
    archived = run_json(backend, "model", "list", "--name", ns, "--archived")["models"]
    assert [m["name"] for m in archived] == [name]
    assert run_json(backend, "model", "unarchive", name)["archived"] is False
    updated = run_json(backend, "model", "update", name, "-d", "new words", "--label", "ocr")
    assert updated["description"] == "new words" and updated["labels"] == ["ocr"]
    updated = run_json(backend, "model", "update", name, "-d", "", "--clear-labels")
    assert updated["description"] is None and updated["labels"] == []
    run(backend, "model", "update", name, "--label", "vision")
    assert run_json(backend, "model", "list", "--label", "vision", "--name", ns)["models"]

    run(backend, "model", "delete", name, code=1, stdin="n\n")  # declined
    assert run(backend, "model", "delete", name, "--yes").stdout.strip() == f"Deleted model {name}"
    run(backend, "model", "describe", name, code=1)


def test_alias_moves_and_is_removed(backend: Backend, ns: str, model_folder: Path) -> None:
    name = f"{ns}m"
    run(backend, "model", "create", name)
    uuid = run_json(backend, "checkpoint", "create", str(model_folder))["uuid"]
    for _ in range(2):
        run(backend, "model", "register-version", name, uuid)
    run(backend, "model", "alias", name, "best", "1")
    assert run(backend, "model", "alias", name, "best", "2").stdout.strip() == (
        f"{name}:best -> version 2"
    )
    versions = run_json(backend, "model", "list-versions", name)["versions"]
    assert [v["aliases"] for v in versions] == [["best"], []]
    run(backend, "model", "remove-alias", name, "best")
    deleted = run_json(backend, "model", "delete-version", name, "v1", "--yes")
    assert deleted == {"model": name, "deleted_version": 1}
    again = run(backend, "model", "register-version", name, uuid)
    assert again.stdout.strip() == f"Registered {name} version 3"  # never reused
    assert_one_line_error(run(backend, "checkpoint", "describe", f"{name}:best", code=1))
    listed = run_json(backend, "checkpoint", "list", "--limit", "1")["checkpoints"]
    assert [c["uuid"] for c in listed] == [uuid]


def test_target_options(backend: Backend, ns: str) -> None:
    """Flags reach the same registry the environment variables do."""
    if backend.server:
        flags = ["--server", backend.server, "--token", backend.token or ""]
    else:
        flags = ["--database", str(backend.database), "--artifacts", str(backend.artifacts)]
    bare = {k: v for k, v in backend.env().items() if not k.startswith("JUPYTER_REGISTRY_")}
    run(backend, "model", "create", f"{ns}flagged", *flags, env=bare)
    listed = run_json(backend, "model", "list", "--name", ns)["models"]
    assert [m["name"] for m in listed] == [f"{ns}flagged"]


def test_maintenance(backend: Backend) -> None:
    """Embedded, or through the server's admin API (test_cli_remote.py reruns it)."""
    assert run_json(backend, "db", "upgrade")["revision"]
    assert run_json(backend, "gc") == {"deleted": []}


def test_debug_shows_the_traceback(backend: Backend, ns: str) -> None:
    result = run(backend, "model", "describe", f"{ns}missing", "--debug", code=1)
    assert "Traceback" in result.stderr and "NotFoundError" in result.stderr


def run_on_tty(env: dict[str, str], *args: str) -> bytes:
    """Run ``jupyter registry ARGS`` with a pseudo-terminal as stdin, stdout and stderr."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    environment = {**env, "PATH": BIN + os.pathsep + env.get("PATH", "")}
    process = subprocess.Popen(
        ["jupyter", "registry", *args], stdin=child, stdout=child, stderr=child, env=environment
    )
    os.close(child)
    output = b""
    while select.select([main], [], [], 120)[0]:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    assert process.wait(60) == 0, output
    return output


@pytest.mark.slow
def test_progress_bars_on_a_terminal_only(tmp_path: Path) -> None:
    backend = Backend("sqlite", f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "artifacts"))
    folder = tmp_path / "big"
    folder.mkdir()
    with (folder / "weights.bin").open("wb") as handle:
        handle.truncate(65 * 1024 * 1024)  # above the SDK's threshold for a bar

    shown = run_on_tty(backend.env(), "checkpoint", "create", str(folder))
    assert b"upload big" in shown and b"100%" in shown
    uuid = shown.decode().split()[-1]
    shown = run_on_tty(backend.env(), "checkpoint", "download", uuid, "-o", str(tmp_path / "a"))
    assert b"download" in shown and b"100%" in shown

    piped = run(backend, "checkpoint", "download", uuid, "-o", str(tmp_path / "b"))
    assert piped.stderr == "" and piped.stdout.strip() == str(tmp_path / "b")


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, (*path, name))
    return found


def test_installed_help() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_REGISTRY_")}
    result = run(Backend("none"), "--help", env=env)
    assert result.stdout.startswith("Usage: jupyter registry [OPTIONS] COMMAND")
    for group in ("model", "checkpoint", "db", "gc", "JUPYTER_REGISTRY_SERVER"):
        assert group in result.stdout


@pytest.mark.parametrize("path", _commands(cli)[1:], ids=" ".join)
def test_help_reads_well(path: tuple[str, ...]) -> None:
    """Every command documents itself, and no one-line summary is cut short."""
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="jupyter registry")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: jupyter registry {' '.join(path)} ")
    summary = result.output.split("\n\n")[1].strip()
    assert summary.endswith(".") and "\n" not in summary
    if "Commands:" in result.output:
        assert "..." not in result.output.split("Commands:")[1]
    else:
        assert "--json" in result.output and "--server URL" in result.output


def test_compare_versions(backend: Backend, ns: str, model_folder: Path) -> None:
    reg = backend.registry()
    first = reg.create_checkpoint(model_folder, metrics={"acc": 0.9, "loss": 0.3})
    (model_folder / "weights.bin").write_bytes(b"retrained")
    second = reg.create_checkpoint(model_folder, metrics={"acc": 0.95, "loss": 0.3})
    model = reg.create_model(f"{ns}m")
    model.register_version(first, aliases=["staging"])
    model.register_version(second)
    model.register_version(second)

    table = run(backend, "model", "compare", f"{ns}m", "1", "3").stdout
    assert_aligned(table)
    lines = table.splitlines()

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.split("|")]

    assert cells(lines[0]) == ["Field", "v1", "v3"]
    acc = next(line for line in lines if line.startswith(" metrics.acc "))
    assert cells(acc) == ["metrics.acc", "0.9", "0.95"]
    assert any(line.startswith(" metrics.loss ") for line in lines)
    changed = next(line for line in lines if line.startswith(" files changed "))
    assert "weights.bin (changed)" in changed

    only = run(backend, "model", "compare", f"{ns}m", "staging", "v3", "--only-differences")
    keys = [line.split("|")[0].strip() for line in only.stdout.splitlines()[2:]]
    assert "metrics.acc" in keys and "metrics.loss" not in keys and "format" not in keys

    data = run_json(backend, "model", "compare", f"{ns}m")
    assert data["model_name"] == f"{ns}m" and data["versions"] == [1, 2, 3]
    rows = {row["key"]: row for row in data["rows"]}
    assert rows["metrics.acc"] == {
        "key": "metrics.acc",
        "section": "metrics",
        "name": "acc",
        "values": [0.9, 0.95, 0.95],
        "differs": True,
    }
    same = run(backend, "model", "compare", f"{ns}m", "2", "3", "--only-differences").stdout
    assert "metrics.acc" not in same

    assert_one_line_error(run(backend, "model", "compare", f"{ns}m", "9", code=1), "no version 9")
    assert_one_line_error(run(backend, "model", "compare", f"{ns}nope", code=1), "no model")
    assert_one_line_error(run(backend, "model", "compare", f"{ns}m", "0", code=1), "version")
