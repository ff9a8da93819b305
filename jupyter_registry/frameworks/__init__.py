"""Framework adapters: how an in-memory model becomes checkpoint files and back.

Adapters are found through the ``jupyter_registry.frameworks`` entry-point
group, so another package can add a framework without touching this one.
"""

from .base import FrameworkAdapter, SavedModel, adapter_for_format, adapter_for_object, adapters

__all__ = ["FrameworkAdapter", "SavedModel", "adapter_for_format", "adapter_for_object", "adapters"]
