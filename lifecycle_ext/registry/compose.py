"""The composition root: pick the concrete storage for a location and build the service."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.clock import Clock
    from ..storage.ports import Storage
    from .service import Registry

__all__ = ["open_registry", "default_location", "storage_for"]

_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://")


def default_location() -> str:
    return os.environ.get("LIFECYCLE_REGISTRY") or ".lifecycle"


def _fsync_default() -> bool:
    return os.environ.get("LIFECYCLE_FSYNC", "1").strip().lower() not in ("0", "false", "no", "off")


def storage_for(location: str | os.PathLike[str], *, fsync: bool | None = None, **storage_options: Any) -> Storage:
    loc = os.fspath(location)
    if loc.startswith("file://"):
        loc = loc[len("file://") :]
    if _URL_RE.match(loc):
        from ..storage.remote import FsspecStorage

        return FsspecStorage(loc, **storage_options)
    from ..storage.local import LocalStorage

    return LocalStorage(Path(loc), fsync=_fsync_default() if fsync is None else fsync)


def open_registry(
    location: str | os.PathLike[str] | None = None,
    *,
    user: str | None = None,
    clock: Clock | None = None,
    checkpoint_every: int = 1000,
    fsync: bool | None = None,
    **storage_options: Any,
) -> Registry:
    """Open (creating on first use) the registry at ``location``.

    ``location`` is a folder path or an fsspec URL (``s3://bucket/prefix``); the default is
    ``$LIFECYCLE_REGISTRY``, else ``./.lifecycle``. Local writes are fsynced before a version is published;
    ``fsync=False`` (or ``LIFECYCLE_FSYNC=0``) skips that for throwaway registries; atomicity is unchanged.
    """
    from .service import Registry

    storage = storage_for(location if location is not None else default_location(), fsync=fsync, **storage_options)
    return Registry(storage, user=user, clock=clock, checkpoint_every=checkpoint_every)
