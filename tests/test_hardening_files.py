"""Issue 13, points 4-6 and 7 (part): no wrong bytes, no unwritable paths, no escaping links.

Each test reproduces an attack or a failure the registry once let through:
a corrupted blob served as a complete 200, file lists that cannot be written
to a folder, a symbolic link copying a file from outside the checkpoint
folder, a cache entry edited behind the registry's back, and a failed
download leaving half a folder behind.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import Backend, make_backend
from jupyter_proc import ThreadedJupyter
from sqlalchemy.orm import Session

from jupyter_registry import IntegrityError, Registry, RegistryError, ValidationError
from jupyter_registry.artifacts import cas
from jupyter_registry.schemas import CreateCheckpoint, parse
from jupyter_registry.service import RegistryService
from jupyter_registry.store.orm import CheckpointFileRow, CheckpointRow

SMALL_CHUNK = 64 * 1024


# --- helpers ------------------------------------------------------------------


def service_of(backend: Backend, registry: Registry, request: pytest.FixtureRequest) -> Any:
    """The service holding ``registry``'s data: in this process, or the server's."""
    if backend.name == "remote":
        threaded: ThreadedJupyter = request.getfixturevalue("threaded_jupyter")
        return threaded.service
    return registry.client.service  # type: ignore[attr-defined]


def damage(service: RegistryService, sha256: str, how: str) -> None:
    """Corrupt a stored blob on disk: one flipped byte (same length), cut short, or gone."""
    path = Path(service.blobs.path(sha256))
    data = path.read_bytes()
    if how == "flip":
        index = len(data) - 1
        path.write_bytes(data[:index] + bytes([data[index] ^ 0x01]))
    elif how == "first-byte":
        path.write_bytes(bytes([data[0] ^ 0x01]) + data[1:])
    elif how == "truncate":
        path.write_bytes(data[: len(data) - 100])
    else:
        path.unlink()


def raw_get(url: str, token: str, method: str = "GET", headers: dict[str, str] | None = None):
    """Fetch with the standard library only: status, headers, body and whether it was cut."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(
            method, parts.path, headers={"Authorization": f"token {token}", **(headers or {})}
        )
        response = connection.getresponse()
        try:
            body = response.read()
            cut = False
        except http.client.IncompleteRead as exc:
            body, cut = exc.partial, True
        declared = response.getheader("Content-Length")
        if declared is not None and method != "HEAD" and len(body) < int(declared):
            cut = True
        return response.status, response, body, cut
    finally:
        connection.close()


def folder_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "source"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def everything_under(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*"))


# --- 4. the blob route --------------------------------------------------------


@pytest.fixture
def live(threaded_jupyter: ThreadedJupyter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A live server and an embedded registry on the same database and store (small chunks)."""
    monkeypatch.setattr(cas, "CHUNK", SMALL_CHUNK)
    database, artifacts = f"sqlite:///{tmp_path / 'live.db'}", str(tmp_path / "live-blobs")
    threaded_jupyter.use_registry(database, artifacts)
    return threaded_jupyter, Registry(database=database, artifacts=artifacts)


@pytest.mark.parametrize("how", ["flip", "first-byte", "truncate"])
@pytest.mark.parametrize("size", [300_000, 1000], ids=["chunks", "one-chunk"])
@pytest.mark.parametrize("start", [None, 0, "near-end"])
def test_corrupted_blob_never_arrives_complete(
    live: tuple[ThreadedJupyter, Registry], tmp_path: Path, how: str, size: int, start: Any
) -> None:
    server, registry = live
    events: list[tuple[str, dict]] = []
    server.service.listeners.append(lambda event, payload: events.append((event, payload)))
    data = os.urandom(size)
    checkpoint = registry.create_checkpoint(folder_with(tmp_path, {"weights.bin": data}))
    sha = checkpoint.info.files[0].sha256
    damage(server.service, sha, how)
    headers = {}
    if start is not None:
        headers["Range"] = f"bytes={size - 10 if start == 'near-end' else start}-"
    status, _, body, cut = raw_get(
        server.url + f"registry/api/v1/blobs/{sha}", server.token, headers=headers
    )
    if status in (200, 206):
        assert cut, "a corrupted blob arrived as a complete response"
    else:
        assert status == 500
        assert json.loads(body)["error"]["type"] == "IntegrityError"
    assert [(event, payload["sha256"]) for event, payload in events] == [("blob.corrupted", sha)]
    assert "corrupted or truncated" in events[0][1]["reason"]


def test_missing_blob_is_a_json_error(live: tuple[ThreadedJupyter, Registry], tmp_path) -> None:
    server, registry = live
    checkpoint = registry.create_checkpoint(folder_with(tmp_path, {"w.bin": b"x" * 5000}))
    sha = checkpoint.info.files[0].sha256
    damage(server.service, sha, "remove")
    url = server.url + f"registry/api/v1/blobs/{sha}"
    status, response, body, cut = raw_get(url, server.token)
    assert status == 500 and not cut
    error = json.loads(body)["error"]
    assert error["type"] == "IntegrityError" and sha in error["message"]
    status, response, _, _ = raw_get(url, server.token, method="HEAD")
    assert status == 404
    assert response.getheader("Content-Type", "").startswith("application/json")


def test_remote_download_of_a_corrupted_blob_fails_and_leaves_nothing(
    live: tuple[ThreadedJupyter, Registry], tmp_path: Path
) -> None:
    server, registry = live
    checkpoint = registry.create_checkpoint(folder_with(tmp_path, {"w.bin": os.urandom(200_000)}))
    damage(server.service, checkpoint.info.files[0].sha256, "flip")
    remote = Registry(server=server.url, token=server.token)
    with pytest.raises(IntegrityError):
        remote.get_checkpoint(checkpoint.uuid).download(tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- 7. failed downloads remove what they wrote --------------------------------


def test_failed_download_removes_what_it_wrote(registry: Registry, tmp_path: Path) -> None:
    files = {"a.bin": os.urandom(5000), "code/model_def.py": b"class Net: pass\n"}
    checkpoint = registry.create_checkpoint(folder_with(tmp_path, files))
    bad = next(f.sha256 for f in checkpoint.info.files if f.path == "code/model_def.py")
    damage(registry.client.service, bad, "flip")  # type: ignore[attr-defined]
    with pytest.raises(IntegrityError):
        checkpoint.download(tmp_path / "new" / "nested" / "out")
    assert not (tmp_path / "new").exists()
    mine = tmp_path / "mine"
    (mine / "code").mkdir(parents=True)
    (mine / "notes.txt").write_text("my own file")
    (mine / "a.bin").write_bytes(b"my own a.bin")
    with pytest.raises(IntegrityError):
        checkpoint.download(mine)
    assert everything_under(mine) == ["a.bin", "code", "notes.txt"]
    assert (mine / "a.bin").read_bytes() == b"my own a.bin"


def test_cli_download_failure_leaves_nothing(backend: Backend, tmp_path: Path) -> None:
    registry = backend.registry()
    checkpoint = registry.create_checkpoint(folder_with(tmp_path, {"w.bin": os.urandom(5000)}))
    damage(registry.client.service, checkpoint.info.files[0].sha256, "flip")  # type: ignore[attr-defined]
    out = tmp_path / "cli-out"
    bin_dir = str(Path(sys.executable).parent)
    env = {**backend.env(), "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(
        ["jupyter", "registry", "checkpoint", "download", checkpoint.uuid, "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    assert not out.exists()


# --- 5. checkpoint file lists ---------------------------------------------------

BAD_LAYOUTS = {
    "nul": (["a\u0000b"], [], "a\\x00b"),
    "newline": (["a\nb"], [], "a\\nb"),
    "escape": (["a\u001bb"], [], "a\\x1bb"),
    "dir-as-file": (["dir/"], [], "dir/"),
    "file-and-child": (["a", "a/b"], [], "'a/b'"),
    "dir-and-file": (["a"], ["a/"], "'a'"),
    "drive": (["C:/x"], [], "C:/x"),
    "backslash": (["a\\b"], [], "a\\\\b"),
    "long-segment": (["x" * 256], [], "xxxx"),
    "long-path": (["/".join(["d" * 200] * 6)], [], "dddd"),
    "parent": (["../x"], [], "../x"),
    "twice": (["a", "a"], [], "unique"),
}


@pytest.fixture(params=["sqlite", "postgresql", "remote"])
def any_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request.param, request, tmp_path)


@pytest.mark.parametrize("case", BAD_LAYOUTS, ids=list(BAD_LAYOUTS))
def test_unwritable_file_lists_are_refused(registry: Registry, tmp_path: Path, case: str) -> None:
    files, directories, named = BAD_LAYOUTS[case]
    blob = registry.client.upload_file(folder_with(tmp_path, {"f": b"data"}) / "f")
    body = {
        "files": [{"path": p, "sha256": blob.sha256, "size": blob.size} for p in files],
        "directories": directories,
    }
    with pytest.raises(ValidationError) as caught:
        registry.client.create_checkpoint(parse(CreateCheckpoint, body))
    assert named in caught.value.message
    assert registry.get_checkpoints() == []


@pytest.mark.parametrize("case", BAD_LAYOUTS, ids=list(BAD_LAYOUTS))
def test_server_refuses_unwritable_file_lists(
    live: tuple[ThreadedJupyter, Registry], tmp_path: Path, case: str
) -> None:
    import requests

    server, registry = live
    files, directories, named = BAD_LAYOUTS[case]
    blob = registry.client.upload_file(folder_with(tmp_path, {"f": b"data"}) / "f")
    body = {
        "files": [{"path": p, "sha256": blob.sha256, "size": blob.size} for p in files],
        "directories": directories,
    }
    headers = {"Authorization": f"token {server.token}"}
    answer = requests.post(server.url + "registry/api/v1/checkpoints", json=body, headers=headers)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "ValidationError" and named in error["message"]
    assert registry.get_checkpoints() == []


def test_declared_size_must_match_the_blob(any_backend: Backend, tmp_path: Path) -> None:
    registry = any_backend.registry()
    blob = registry.client.upload_file(folder_with(tmp_path, {"f": b"0123456789"}) / "f")
    for size in (9, 11, 0):  # a new blob, then one the database already knows
        body = {"files": [{"path": "weights.bin", "sha256": blob.sha256, "size": size}]}
        with pytest.raises(ValidationError, match=r"'weights\.bin' declares"):
            registry.client.create_checkpoint(parse(CreateCheckpoint, body))
        assert registry.get_checkpoints() == []
        good = {"files": [{"path": "ok.bin", "sha256": blob.sha256, "size": 10}]}
        kept = registry.client.create_checkpoint(parse(CreateCheckpoint, good))
        registry.get_checkpoint(kept.uuid).delete()


@pytest.mark.parametrize("stored", ["C:/evil", "w.bin/inside", "a\\b", "dir/"])
def test_download_of_old_unwritable_paths_fails_cleanly(
    any_backend: Backend, request: pytest.FixtureRequest, tmp_path: Path, stored: str
) -> None:
    registry = any_backend.registry()
    checkpoint = registry.create_checkpoint(folder_with(tmp_path, {"w.bin": b"weights"}))
    service = service_of(any_backend, registry, request)
    with Session(service.store.engine) as session, session.begin():  # as an older release did
        row = session.query(CheckpointRow).filter_by(uuid=checkpoint.uuid).one()
        sha = checkpoint.info.files[0].sha256
        session.add(CheckpointFileRow(checkpoint_id=row.id, path=stored, sha256=sha, size=7))
    old = registry.get_checkpoint(checkpoint.uuid)
    assert stored in old.resources  # still described and listed
    with pytest.raises(RegistryError, match="cannot be written"):
        old.download(tmp_path / "downloads" / "out")
    assert not (tmp_path / "downloads").exists()


# --- 6. symbolic links ----------------------------------------------------------


def test_link_out_of_the_folder_is_refused(registry: Registry, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the registry")
    folder = folder_with(tmp_path, {"w.bin": b"weights"})
    for target in (outside, Path("/etc/passwd"), tmp_path):
        link = folder / "leak"
        link.symlink_to(target)
        with pytest.raises(ValidationError, match="'leak' points outside"):
            registry.create_checkpoint(folder)
        link.unlink()
    (folder / "dangling").symlink_to(folder / "nothing-here")
    with pytest.raises(ValidationError, match="'dangling' leads nowhere"):
        registry.create_checkpoint(folder)
    (folder / "dangling").unlink()
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to(folder)
    with pytest.raises(ValidationError, match="'sub/up' points back"):
        registry.create_checkpoint(folder)
    assert registry.get_checkpoints() == []
    (folder / ".registryignore").write_text("sub/up\n")
    assert "sub/" in registry.create_checkpoint(folder).resources


def test_links_inside_the_folder_are_copied_as_content(registry: Registry, tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {"code/model_def.py": b"class Net: pass\n", "w.bin": b"w"})
    (folder / "weights-link.bin").symlink_to("w.bin")
    (folder / "code-link").symlink_to(folder / "code")
    checkpoint = registry.create_checkpoint(folder)
    assert checkpoint.resources == {
        "code-link/": 0,
        "code-link/model_def.py": 16,
        "code/": 0,
        "code/model_def.py": 16,
        "w.bin": 1,
        "weights-link.bin": 1,
    }
    out = checkpoint.download(tmp_path / "out")
    assert not (out / "code-link").is_symlink()
    assert (out / "code-link" / "model_def.py").read_bytes() == b"class Net: pass\n"
    assert (out / "weights-link.bin").read_bytes() == b"w"


# --- 7. the checkpoint cache ------------------------------------------------------


def test_cached_folder_is_checked_on_every_use(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_registry.artifacts import cache as cache_module

    files = {"w.bin": b"original weights", "code/model_def.py": b"class Net: pass\n"}
    checkpoint = registry.create_checkpoint(folder_with(tmp_path, files))
    folder = checkpoint.local_folder()
    hashed: list[Path] = []
    real_sha256 = cache_module._sha256
    monkeypatch.setattr(cache_module, "_sha256", lambda p: hashed.append(p) or real_sha256(p))
    assert checkpoint.local_folder() == folder and hashed == []  # untouched: stat only

    (folder / "w.bin").write_bytes(b"poisoned weights!")
    assert (checkpoint.local_folder() / "w.bin").read_bytes() == b"original weights"
    (folder / "code" / "model_def.py").unlink()
    (folder / "extra.py").write_text("import os")
    folder = checkpoint.local_folder()
    assert everything_under(folder) == ["code", "code/model_def.py", "w.bin"]

    # Same size, same mtime: the ctime, which no one can set back, still moved.
    target = folder / "w.bin"
    before = target.stat()
    with open(target, "r+b") as handle:
        handle.write(b"O")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert checkpoint.local_folder().joinpath("w.bin").read_bytes() == b"original weights"
    hashed.clear()
    checkpoint.local_folder(verify=True)  # every file re-hashed, changed or not
    assert sorted(hashed) == [folder / "code" / "model_def.py", folder / "w.bin"]
    touched = folder / "code" / "model_def.py"
    os.utime(touched, ns=(0, 0))  # a new mtime, same bytes: re-hashed once, kept
    hashed.clear()
    assert checkpoint.local_folder() == folder and hashed == [touched]
    hashed.clear()
    assert checkpoint.local_folder() == folder and hashed == []


def test_failed_cache_download_leaves_no_entry(registry: Registry, tmp_path: Path) -> None:
    checkpoint = registry.create_checkpoint(folder_with(tmp_path, {"w.bin": os.urandom(4000)}))
    damage(registry.client.service, checkpoint.info.files[0].sha256, "flip")  # type: ignore[attr-defined]
    with pytest.raises(IntegrityError):
        checkpoint.local_folder()
    cache = Path(os.environ["JUPYTER_REGISTRY_HOME"]) / "cache" / "checkpoints"
    assert not cache.exists() or os.listdir(cache) == []
