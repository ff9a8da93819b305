"""The CLI tests again, with the installed ``jupyter registry`` talking to a live Jupyter server.

Every backend-parametrised test of ``test_cli`` is collected here a second
time with ``backend`` overridden to ``remote``: the subprocesses reach a real
Jupyter server running the extension through ``JUPYTER_REGISTRY_SERVER`` and
``JUPYTER_REGISTRY_TOKEN`` (or ``--server``/``--token`` in the target test).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Backend, make_backend
from test_cli import *  # noqa: F403

# Help texts and terminal detection do not depend on the backend; test_cli covers them once.
del test_installed_help, test_help_reads_well, test_progress_bars_on_a_terminal_only  # noqa: F821


@pytest.fixture(params=["remote"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request.param, request, tmp_path)
