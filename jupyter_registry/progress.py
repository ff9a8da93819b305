"""Progress bars for long transfers: shown on a terminal or in a notebook, silent when piped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SHOW_ABOVE_BYTES = 64 * 1024 * 1024


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


@contextmanager
def transfer_progress(total: int, description: str) -> Iterator[Callable[[int], object] | None]:
    """Yield an ``update(n_bytes)`` callback, or ``None`` when no bar is worth showing."""
    if total < SHOW_ABOVE_BYTES or not _interactive():
        yield None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=description) as bar:
        yield bar.update
