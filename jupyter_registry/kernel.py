"""What the registry objects of one IPython kernel share, owned by that kernel's shell.

A notebook makes many ``Registry()`` objects: the user's, the magics' (one per
``%register_version``) and the widgets'. Two facts span them all:

* the checkpoint most recently created, which ``%register_version`` registers
  when given no object;
* the changes made, which open widgets refresh after.

:class:`KernelState` holds both and belongs to the running IPython shell (it
lives and dies with it, and two shells never see each other's). Outside
IPython there is no kernel, so nothing is tracked: a script has no magics to
feed, and a view hears the changes of its own registry only.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from .schemas import Listener

if TYPE_CHECKING:
    from .sdk import Checkpoint

log = logging.getLogger(__name__)

#: The attribute of the IPython shell that holds its :class:`KernelState`.
SHELL_ATTRIBUTE = "jupyter_registry_state"


class KernelState:
    """The current checkpoint and the change listeners of one IPython shell."""

    def __init__(self) -> None:
        self.checkpoint: Checkpoint | None = None
        self.listeners: list[Listener] = []

    def changed(self, event: str, payload: dict[str, Any]) -> None:
        """A registry of this kernel committed a change: tell everyone listening here."""
        for listener in list(self.listeners):
            try:
                listener(event, payload)
            except Exception:
                log.exception("registry: a kernel listener failed on %s %s", event, payload)


def shell() -> Any:
    """The running IPython shell, or None; never imports IPython (not loaded: none runs)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def kernel_state() -> KernelState | None:
    """The running shell's :class:`KernelState`, created on first use; None outside IPython."""
    current = shell()
    if current is None:
        return None
    state = getattr(current, SHELL_ATTRIBUTE, None)
    if state is None:
        state = KernelState()
        setattr(current, SHELL_ATTRIBUTE, state)
    return state  # type: ignore[no-any-return]
