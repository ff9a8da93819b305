"""The Jupyter server extension: the registry's REST API at ``{base_url}registry/api/v1/``.

Enabled by the ``jupyter_server_config.d`` file that ``pip install`` puts in
place; :class:`~jupyter_registry.server.app.RegistryApp` is the extension.
Storage comes from ``c.RegistryConfig`` (or the ``JUPYTER_REGISTRY_*``
environment), and the resolved locations are exported to the environment
kernels inherit, so a notebook's ``Registry()`` and this server see the same
registry with no configuration. With ``c.RegistryConfig.server`` set, the API
is forwarded to that central registry instead (:mod:`.forward`).
"""
