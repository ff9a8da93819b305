"""Subprocess workers for the concurrency and crash tests (run as scripts).

Each worker builds ``Registry()`` from the environment, so it reaches whatever
backend the test set up: SQLite, PostgreSQL, or a server.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _wait_for_start(flag: Path) -> None:
    while not flag.exists():
        time.sleep(0.005)


def register(model: str, checkpoint: str, count: int, flag: str) -> None:
    from jupyter_registry import Registry

    target = Registry().get_model(model)
    _wait_for_start(Path(flag))
    numbers = [target.register_version(checkpoint).version for _ in range(count)]
    print(json.dumps(numbers))


def add_metadata(model: str, prefix: str, count: int, flag: str) -> None:
    from jupyter_registry import Registry

    target = Registry().get_model(model)
    _wait_for_start(Path(flag))
    for i in range(count):
        target.add_metadata({f"{prefix}-{i}": i})
    print(json.dumps(count))


def die_before_commit(model: str, folder: str, ready: str) -> None:
    """Upload a checkpoint's files, then get killed while the database commit is pending."""
    from sqlalchemy import Engine, event

    from jupyter_registry import Registry

    registry = Registry()

    @event.listens_for(Engine, "before_cursor_execute")
    def _hang(*args: object) -> None:
        statement = str(args[2])
        if statement.startswith("INSERT INTO checkpoint_files"):
            Path(ready).write_text("uploaded")
            time.sleep(600)

    checkpoint = registry.create_checkpoint(folder)
    registry.get_model(model).register_version(checkpoint)


def die_during_upload(ready: str) -> None:
    """Stream a blob that never ends; the test kills the process mid-upload."""
    from jupyter_registry import Registry

    service = Registry().client.service

    def endless():
        yield b"x" * 1024 * 1024
        Path(ready).write_text("uploading")
        while True:
            time.sleep(0.1)
            yield b"y" * 1024

    service.put_blob(endless())


def main() -> None:
    verb, *args = sys.argv[1:]
    functions = {
        "register": register,
        "add_metadata": add_metadata,
        "die": die_before_commit,
        "die_uploading": die_during_upload,
    }
    function = functions[verb]
    converted = [int(a) if a.isdigit() else a for a in args]
    function(*converted)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
