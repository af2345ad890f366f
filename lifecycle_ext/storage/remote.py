"""fsspec storage for URLs (``s3://bucket/prefix``, ``memory://...``): create-only writes where supported."""

from __future__ import annotations

import time
from typing import Any

from ..core.errors import NotFound

__all__ = ["FsspecStorage"]


class FsspecStorage:
    def __init__(self, url: str, **storage_options: Any) -> None:
        import fsspec

        self.fs, path = fsspec.core.url_to_fs(url, **storage_options)
        self.root = path.rstrip("/")
        self.location = url

    def _p(self, key: str) -> str:
        return f"{self.root}/{key}"

    def read(self, key: str) -> bytes:
        try:
            data: bytes = self.fs.cat_file(self._p(key))
            return data
        except FileNotFoundError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None

    def _pipe(self, path: str, data: bytes, **kw: Any) -> None:
        try:
            self.fs.pipe_file(path, data, **kw)
        except FileNotFoundError:  # folder-like backends (file://) need the parent folder first
            self.fs.makedirs(self.fs._parent(path), exist_ok=True)
            self.fs.pipe_file(path, data, **kw)

    def create(self, key: str, data: bytes | memoryview, *, durable: bool = True) -> bool:
        """Create-only write (``open(path, "xb")``: s3fs sends ``If-None-Match: *``)."""
        path = self._p(key)
        if self.fs.exists(path):
            return False
        for attempt in (0, 1):
            try:
                with self.fs.open(path, "xb") as f:
                    f.write(bytes(data))
                return True
            except FileExistsError:
                return False
            except FileNotFoundError:
                if attempt:
                    raise
                self.fs.makedirs(self.fs._parent(path), exist_ok=True)
            except OSError as exc:  # s3fs reports a failed create-only precondition as OSError(22)
                if self.fs.exists(path):
                    return False
                raise exc
        return False

    def replace(self, key: str, data: bytes | memoryview, *, durable: bool = True) -> None:
        self._pipe(self._p(key), bytes(data))

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._p(key)))

    def list(self, prefix: str) -> list[str]:
        try:
            entries = self.fs.ls(self._p(prefix.rstrip("/")), detail=False, refresh=True)
        except FileNotFoundError:
            return []
        return sorted(str(e).rstrip("/").rsplit("/", 1)[-1] for e in entries)

    def delete(self, key: str) -> None:
        try:
            self.fs.rm_file(self._p(key))
        except FileNotFoundError:
            pass

    def age_seconds(self, key: str) -> float:
        try:
            info = self.fs.info(self._p(key))
        except FileNotFoundError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None
        modified = info.get("LastModified") or info.get("mtime") or info.get("created")
        if modified is None:
            return float("inf")
        ts = modified.timestamp() if hasattr(modified, "timestamp") else float(modified)
        return time.time() - ts

    def sync(self) -> None:
        return None
