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
    """The storage at ``location``. A URL takes ``storage_options`` (endpoint, credentials, region; see
    :mod:`lifecycle_ext.storage.options`) over those in ``$LIFECYCLE_STORAGE_OPTIONS`` (key by key); a local folder
    takes none (and ignores the variable)."""
    from ..core.errors import UsageInputError
    from ..storage import options as opts

    loc = os.fspath(location)
    if loc.startswith("file://"):
        loc = loc[len("file://") :]
    if _URL_RE.match(loc):
        from ..storage.remote import FsspecStorage

        opts.check_options(loc, storage_options)
        chosen = opts.merged(opts.from_env(), storage_options)
        try:
            opts.check_options(loc, chosen)
        except UsageInputError as exc:  # the explicit ones passed: the variable's are at fault
            raise UsageInputError(f"{exc} (in ${opts.ENV})") from None
        return FsspecStorage(loc, **chosen)
    if storage_options:  # names the options, never their values
        raise UsageInputError(
            f"storage options ({', '.join(sorted(storage_options))}) apply to registry URLs such as "
            f"s3://bucket/prefix, not to the local folder {loc}"
        )
    from ..storage.local import LocalStorage

    return LocalStorage(Path(loc), fsync=_fsync_default() if fsync is None else fsync)


def open_registry(
    location: str | os.PathLike[str] | None = None,
    *,
    user: str | None = None,
    clock: Clock | None = None,
    checkpoint_every: int = 1000,
    fsync: bool | None = None,
    signing_key: str | os.PathLike[str] | None = None,
    **storage_options: Any,
) -> Registry:
    """Open (creating on first use) the registry at ``location``.

    ``location`` is a folder path or an fsspec URL (``s3://bucket/prefix``); the default is
    ``$LIFECYCLE_REGISTRY``, else ``./.lifecycle``. Local writes are fsynced before a version is published;
    ``fsync=False`` (or ``LIFECYCLE_FSYNC=0``) skips that for throwaway registries; atomicity is unchanged.
    ``signing_key`` is the path of the private key events are signed with (``$LIFECYCLE_KEY`` wins; default:
    the user's default key, if any; see docs/security.md). ``key=`` stays the object store's access key.
    ``storage_options`` (``key``, ``secret``, ``endpoint_url``, ``client_kwargs={...}``) go to the fsspec filesystem
    of a URL, over those in ``$LIFECYCLE_STORAGE_OPTIONS`` (a JSON object; key by key). See docs/storage.md.
    """
    from .service import Registry

    storage = storage_for(location if location is not None else default_location(), fsync=fsync, **storage_options)
    return Registry(storage, user=user, clock=clock, checkpoint_every=checkpoint_every, signing_key=signing_key)
