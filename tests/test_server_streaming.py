"""A 512 MiB checkpoint through a real ``jupyter server`` process: memory stays flat."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.transfer import MIB, run

pytestmark = pytest.mark.slow


def test_half_gib_round_trip_keeps_server_memory_flat(tmp_path: Path) -> None:
    result = run(tmp_path, 512 * MIB)
    print(result.report())
    assert result.intact
    assert result.upload_rss_growth < 150 * MIB, result.report()
    assert result.download_rss_growth < 150 * MIB, result.report()
