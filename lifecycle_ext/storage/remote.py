"""fsspec storage for URLs (``s3://bucket/prefix``, ``memory://...``): create-only writes where supported.

One request where one decides: ``create`` is a single create-only write (on S3 a PUT with ``If-None-Match: *``;
the 412 answer is the "it existed" verdict, so no probe goes first), ``read`` a single GET (s3fs would otherwise
HEAD first to size a parallel download), ``exists`` a single HEAD (s3fs's ``exists`` adds a LIST when the object
is absent, to look for a folder of that name), and on S3 ``list_after`` one ListObjectsV2 with ``StartAfter``
(the event log's probe for the events after its head: it also shows a gap). ``tests/storage/test_request_economy.py`` counts them.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable
from typing import Any

from ..core.errors import NotFound
from .options import describe

__all__ = ["FsspecStorage"]


class FsspecStorage:
    def __init__(self, url: str, **storage_options: Any) -> None:
        import fsspec

        self.fs, path = fsspec.core.url_to_fs(url, **storage_options)
        self.root = path.rstrip("/")
        self.location = url
        self.options_shown = describe(storage_options)  # secrets masked
        protocol = self.fs.protocol
        self._s3 = "s3" in (protocol if isinstance(protocol, (tuple, list)) else (protocol,))
        if self._s3:
            self.list_after = self._list_after_s3

    def __repr__(self) -> str:
        return f"<FsspecStorage {self.location}" + (f" ({self.options_shown})>" if self.options_shown else ">")

    def _list_after_s3(self, prefix: str, start_after: str, limit: int) -> list[str]:
        """Keys under ``prefix`` (at any depth) that sort after ``start_after``, at most ``limit``: one
        ListObjectsV2 with ``StartAfter`` (the event log's "what follows event N" probe)."""
        bucket, root, _ = self.fs.split_path(self.root)
        base = f"{root}/" if root else ""
        out = self.fs.call_s3(
            "list_objects_v2",
            Bucket=bucket,
            Prefix=base + prefix,
            StartAfter=base + start_after,
            MaxKeys=limit,
        )
        return [c["Key"][len(base) :] for c in out.get("Contents", [])]

    def _p(self, key: str) -> str:
        return f"{self.root}/{key}"

    def read(self, key: str) -> bytes:
        try:
            data: bytes = self.fs.cat_file(self._p(key), **({"max_concurrency": 1} if self._s3 else {}))
            return data
        except FileNotFoundError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None

    def _pipe(self, path: str, data: bytes, **kw: Any) -> None:
        try:
            self.fs.pipe_file(path, data, **kw)
        except FileNotFoundError:  # folder-like backends (file://) need the parent folder first
            self.fs.makedirs(self.fs._parent(path), exist_ok=True)
            self.fs.pipe_file(path, data, **kw)

    def read_head(self, key: str, n: int) -> bytes:
        try:
            data: bytes = self.fs.cat_file(self._p(key), start=0, end=n)
            return data
        except FileNotFoundError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None

    def create(
        self,
        key: str,
        data: bytes | memoryview,
        *,
        durable: bool = True,
        meanwhile: Callable[[], object] | None = None,
    ) -> bool:
        """Create-only write, no probe first: the write's own answer says whether the key existed.
        ``meanwhile`` runs once the request has been answered (the pool's other threads keep the network busy)."""
        created = self._create(key, data)
        if meanwhile is not None:
            meanwhile()
        return created

    def _create(self, key: str, data: bytes | memoryview) -> bool:
        path = self._p(key)
        if self._s3:
            try:
                self.fs.pipe_file(path, bytes(data), mode="create")  # one PUT with If-None-Match: *
                return True
            except FileExistsError:
                return False
            except OSError as exc:  # s3fs reports a failed create-only precondition (412) as OSError(EINVAL)
                if exc.errno == errno.EINVAL and "pre-condition" in str(exc):
                    return False
                if self.exists(key):  # an unclear error: one probe decides
                    return False
                raise
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
        return False

    def replace(self, key: str, data: bytes | memoryview, *, durable: bool = True) -> None:
        self._pipe(self._p(key), bytes(data))

    def exists(self, key: str) -> bool:
        if self._s3:  # one HEAD (s3fs's exists() adds a LIST for absent keys, looking for a folder)
            bucket, path, _ = self.fs.split_path(self._p(key))
            try:
                self.fs.call_s3("head_object", Bucket=bucket, Key=path)
                return True
            except FileNotFoundError:
                return False
        return bool(self.fs.exists(self._p(key)))

    def list(self, prefix: str) -> list[str]:
        path = self._p(prefix.rstrip("/"))
        try:
            entries = self.fs.ls(path, detail=False, refresh=True)
        except FileNotFoundError:
            return []
        # s3fs lists a folder whose objects were all deleted as the folder's own path: not an entry
        return sorted(str(e).rstrip("/").rsplit("/", 1)[-1] for e in entries if str(e).rstrip("/") != path)

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
