"""Per-kernel state of the magics: the registry in use (opened lazily), the environment cache and the
environment blob already stored in each registry."""

from __future__ import annotations

import json
from typing import Any

from ..registry.object_refs import IdentityMap, default_map

__all__ = ["MagicSession"]


class MagicSession:
    def __init__(self, location: str | None = None, identity: IdentityMap | None = None) -> None:
        self.location = location
        self.identity = identity or default_map()
        self._reg: Any = None
        self._env: Any = None
        self._env_blobs: dict[tuple[str, bytes], tuple[str, dict[str, Any]]] = {}

    @property
    def opened(self) -> bool:
        return self._reg is not None

    def registry(self, override: str | None = None, storage_options: dict[str, Any] | None = None) -> Any:
        """The registry in use; ``override`` or ``storage_options`` (``--storage-option``) open another for one
        command (over ``$LIFECYCLE_STORAGE_OPTIONS``, which applies to every URL)."""
        from .. import open_registry

        if override is not None or storage_options:
            return open_registry(override if override is not None else self.location, **(storage_options or {}))
        if self._reg is None:
            self._reg = open_registry(self.location)
        return self._reg

    def switch(self, location: str, storage_options: dict[str, Any] | None = None) -> Any:
        """Use the registry at ``location`` (opened with ``storage_options``) from now on."""
        from .. import open_registry

        reg = open_registry(location, **(storage_options or {}))
        self._reg, self.location = reg, location
        return reg

    def lookup(self, location: str | None) -> Any:
        identity = self.identity
        return lambda obj: identity.lookup(obj, location)

    def derived(self, location: str | None) -> Any:
        identity = self.identity
        return lambda obj: identity.derived_refs(obj, location)

    def loads(self, location: str | None) -> Any:
        """``() -> refs`` loaded from now on (from the registry at ``location`` when given)."""
        identity, mark = self.identity, self.identity.mark()
        return lambda: identity.loaded_since(mark, location)

    def remember(self, location: str) -> Any:
        identity = self.identity
        return lambda obj, ref: identity.remember(obj, ref, location)

    def environment(self) -> dict[str, Any]:
        if self._env is None:
            from ..provenance.environment import EnvironmentCache

            self._env = EnvironmentCache()
        env: dict[str, Any] = self._env.get()
        return env

    def env_blob(self, reg: Any) -> tuple[str, dict[str, Any]]:
        """Store the environment once per (registry, environment) and return (blob id, short summary)."""
        env = self.environment()
        data = json.dumps(env, sort_keys=True, separators=(",", ":")).encode()
        key = (reg.location, data)
        hit = self._env_blobs.get(key)
        if hit is None:
            cid, _ = reg.blobs.put(data)
            git = env.get("git") or {}
            summary = {
                "python": env["python"],
                "hostname": env["hostname"],
                "user": env["user"],
                "git_commit": git.get("commit"),
                "git_dirty": git.get("dirty"),
                "accelerator": env.get("accelerator"),
                "packages": len(env.get("packages", {})),
            }
            hit = self._env_blobs[key] = (cid, summary)
        return hit
