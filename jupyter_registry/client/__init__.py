"""Clients: the contract the SDK objects sit on, in-process or over HTTP."""

from .protocol import RegistryClient

__all__ = ["RegistryClient"]
