"""Start-up stays cheap: nothing heavy is imported until a call needs it.

Each check runs in a new interpreter, since this test process has long since
imported everything. They assert which modules got imported, never a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from jupyter_registry import Registry
from jupyter_registry.artifacts import LocalBlobStore, open_blob_store
from jupyter_registry.artifacts.local_store import LocalFiles
from jupyter_registry.store import migrate

FRAMEWORKS = ["torch", "keras", "sklearn", "skops", "safetensors"]
#: Needed only by some calls (frames, migrations, remote artifact stores, one framework).
HEAVY = {"pandas", "alembic", "fsspec", "s3fs", *FRAMEWORKS}


def imported_after(code: str) -> set[str]:
    """The top-level packages a new interpreter holds after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return {name.split(".")[0] for name in json.loads(result.stdout.splitlines()[-1])}


def test_import_pulls_in_nothing_heavy() -> None:
    assert imported_after("import jupyter_registry") & HEAVY == set()


def test_public_names_still_resolve() -> None:
    """The lazily imported SDK names are the same objects as their modules' own."""
    import jupyter_registry
    from jupyter_registry import errors, schemas, sdk

    assert jupyter_registry.Registry is sdk.Registry
    assert jupyter_registry.current_checkpoint is sdk.current_checkpoint
    assert jupyter_registry.OrderBy is schemas.OrderBy
    assert jupyter_registry.NotFoundError is errors.NotFoundError
    assert set(jupyter_registry.__all__) <= set(dir(jupyter_registry))


def test_first_call_on_an_up_to_date_registry_pulls_in_nothing_heavy(
    registry_home: Path,
) -> None:
    Registry().create_model("warm")
    heavy = imported_after(
        "from jupyter_registry import Registry\n"
        "assert [m.name for m in Registry().get_models()] == ['warm']"
    )
    assert heavy & HEAVY == set()


def test_cli_list_pulls_in_nothing_heavy(registry_home: Path) -> None:
    Registry().create_model("warm")
    heavy = imported_after(
        "from jupyter_registry.cli import main\n"
        "try:\n"
        "    main(['model', 'list'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code"
    )
    assert heavy & HEAVY == set()


def test_an_older_database_is_still_upgraded(registry_home: Path) -> None:
    """The cheap revision check does not skip a migration that is due."""
    registry = Registry()
    registry.create_model("kept")
    engine = registry.client.service.store.engine
    migrate.downgrade(engine, "0001")
    assert migrate.current_revision(engine) == "0001"
    assert [m.name for m in Registry().get_models()] == ["kept"]
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_cheap_head_revision_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert migrate.head_revision() == scripts.get_current_head()
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_"), script.path


def test_discovering_adapters_imports_no_framework() -> None:
    """Every installed adapter is asked, and none imports its framework to answer."""
    heavy = imported_after(
        "from jupyter_registry import ValidationError\n"
        "from jupyter_registry.frameworks import adapter_for_format, adapter_for_object, adapters\n"
        "assert {'files', 'pickle', 'torch', 'sklearn', 'keras'} <= {a.name for a in adapters()}\n"
        "assert adapter_for_format('no-such-format') is None\n"
        "try:\n"
        "    adapter_for_object(object())\n"
        "except ValidationError:\n"
        "    pass"
    )
    assert heavy & set(FRAMEWORKS) == set()


def test_local_store_opens_where_fsspec_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without fsspec, a local URI still names the folder fsspec resolves it to."""
    import fsspec

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for uri in ["relative/store", "~/store", f"file://{tmp_path}/a", f"local://{tmp_path}/b/"]:
        blobs = open_blob_store(uri)
        assert type(blobs) is LocalBlobStore
        assert isinstance(blobs.fs, LocalFiles), uri
        assert blobs.root == fsspec.core.url_to_fs(uri)[1], uri
    assert type(open_blob_store(f"memory://{tmp_path}").fs) is not LocalFiles


def test_own_adapters_are_the_ones_the_entry_points_name() -> None:
    """The table that spares a load the entry-point scan says what the entry points say."""
    from jupyter_registry.frameworks.base import OWN_ADAPTERS, adapter_for_format, adapters

    by_format = {fmt: type(adapter) for adapter in adapters() for fmt in adapter.formats}
    assert set(OWN_ADAPTERS) == set(by_format)
    for fmt in OWN_ADAPTERS:
        assert type(adapter_for_format(fmt)) is by_format[fmt], fmt


def test_an_offline_load_imports_no_database_or_http_client(
    registry_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline, a cached version loads with neither SQLAlchemy nor an HTTP stack imported."""
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "w.bin").write_bytes(b"w")
    registry = Registry()
    registry.create_model("m").register_version(registry.create_checkpoint(tmp_path / "files"))
    registry.get_model_version("m").load()
    monkeypatch.setenv("JUPYTER_REGISTRY_OFFLINE", "1")
    heavy = imported_after(
        "import warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from jupyter_registry import Registry\n"
        "assert (Registry().get_model_version('m').load() / 'w.bin').read_bytes() == b'w'"
    )
    assert heavy & (HEAVY | {"sqlalchemy", "requests", "urllib3"}) == set()
