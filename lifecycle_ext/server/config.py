"""Server configuration (traitlets): where the registry lives, and who a single-user server acts as."""

from __future__ import annotations

import os

from traitlets import Dict, Unicode, default
from traitlets.config import Configurable

from ..registry.compose import default_location
from ..registry.principal import current_user

__all__ = ["LifecycleConfig", "resolve_location"]


class LifecycleConfig(Configurable):
    """``c.LifecycleConfig.registry = "s3://bucket/prefix"`` in ``jupyter_server_config.py``."""

    registry = Unicode(
        help="Registry location: a folder (relative to the server root) or an fsspec URL. "
        "Default: $LIFECYCLE_REGISTRY, else .lifecycle (the same default as open_registry()).",
    ).tag(config=True)

    storage_options = Dict(
        help="Options of the registry URL's object store (fsspec/s3fs): endpoint, credentials, region, e.g. "
        '{"key": "...", "secret": "...", "client_kwargs": {"endpoint_url": "https://...", "region_name": "eu-west-1"}}. '
        "They win, key by key, over $LIFECYCLE_STORAGE_OPTIONS (a JSON object in the server's environment: the "
        "place for credentials, since traitlets logs the whole config at DEBUG level); without either, the object "
        "store's own configuration applies (AWS_* variables, ~/.aws). Not allowed with a local folder. "
        "lifecycle_ext masks the values of keys naming a key, secret, token or password in what it logs.",
    ).tag(config=True)

    user = Unicode(
        help="The name REST requests act as under a single-user server (jupyter_server's own token or password "
        "login, where the browser user has no name, only a random id). Default: $LIFECYCLE_USER, else the OS "
        "user. Multi-user identity providers (JupyterHub) name the user themselves and this is not used.",
    ).tag(config=True)

    @default("registry")
    def _default_registry(self) -> str:
        return default_location()

    @default("user")
    def _default_user(self) -> str:
        return current_user()


def resolve_location(location: str, root_dir: str) -> str:
    """A relative folder is taken from the server's root directory; URLs and absolute paths are kept."""
    if "://" in location or os.path.isabs(location):
        return location
    return os.path.join(os.path.expanduser(root_dir or "."), location)
