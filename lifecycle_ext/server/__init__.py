"""The jupyter_server extension: an authenticated REST API under ``/lifecycle/api/``.

Enabled on install by ``jupyter-config/server-config/lifecycle_ext.json``. The registry location comes from
``c.LifecycleConfig.registry`` (default: ``$LIFECYCLE_REGISTRY``, else ``.lifecycle`` -- the same default as
:func:`lifecycle_ext.open_registry`; a relative path is taken from the server's root directory, where
notebooks at the top level run); ``c.LifecycleConfig.storage_options`` (endpoint, credentials, region) go with it
to ``open_registry`` (see docs/storage.md, "Storage options"). The acting user is the Jupyter identity (``current_user.username``; the
JupyterHub user on a hub), mapped to roles by the registry's policy. On loading, the extension publishes the
name a single-user server acts as (``c.LifecycleConfig.user``) as ``$LIFECYCLE_JUPYTER_USER`` in its environment,
which the kernels it starts inherit: notebook widgets compare it with the user they act as.

The API contract is ``openapi.json`` beside this file; the sidebar talks to nothing else.
"""

from __future__ import annotations

from typing import Any

__all__ = ["API_VERSION", "LifecycleConfig", "_load_jupyter_server_extension"]

API_VERSION = "1"


def _config_class() -> Any:
    from .config import LifecycleConfig

    return LifecycleConfig


def __getattr__(name: str) -> Any:  # lazy: importing the package stays cheap
    if name == "LifecycleConfig":
        return _config_class()
    raise AttributeError(name)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from .handlers import setup_handlers

    setup_handlers(serverapp)


# Older jupyter_server versions look for this name.
load_jupyter_server_extension = _load_jupyter_server_extension
