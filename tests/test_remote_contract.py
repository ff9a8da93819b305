"""The SDK contract suite again, with ``Registry(server=…, token=…)`` against a Jupyter server.

Every test of the contract modules below is collected here a second time with
the ``backend`` fixture overridden to ``remote``: a real Jupyter server running
the extension (fresh registry per test), reached over HTTP by the SDK and, in
the concurrency tests, by 8 worker processes through ``JUPYTER_REGISTRY_SERVER``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Backend, make_backend
from test_admin import *  # noqa: F403
from test_cards import *  # noqa: F403
from test_checkpoints import *  # noqa: F403
from test_compare import *  # noqa: F403
from test_concurrency import *  # noqa: F403
from test_models import *  # noqa: F403
from test_page_totals import *  # noqa: F403
from test_relations import *  # noqa: F403
from test_search import *  # noqa: F403
from test_version_pages import *  # noqa: F403
from test_versions import *  # noqa: F403

# Kills a client in the middle of a database commit: meaningful only where the
# client owns the transaction (embedded); a remote client's transaction is the server's.
globals().pop("test_killed_before_commit_leaves_no_version", None)
del test_killed_during_upload_leaves_nothing_visible  # noqa: F821


@pytest.fixture(params=["remote"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request.param, request, tmp_path)
