"""Local-folder storage: create-exclusive by hard link of a fully written temp file, fsync before publish."""

from __future__ import annotations

import builtins
import functools
import mmap
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ..core.errors import InvalidRef, NotFound

__all__ = ["LocalStorage"]

_POPULATE = getattr(mmap, "MAP_POPULATE", 0)  # map every page up front (Linux): one call, no page faults
_SYNC_FILE_RANGE_WRITE = 2  # <linux/fs.h>: start writeback of the range's dirty pages, do not wait


@functools.cache
def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """Linux's ``sync_file_range`` (Python's ``os`` lacks it), or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def _start_writeback(fd: int) -> None:
    """Ask the kernel to start writing ``fd``'s dirty pages now (a hint: durability still comes from fsync).
    Without it the writeback would start only at the fsync, leaving the disk idle while the writer hashes.
    Measured on a 2-core VM (1 GiB in 4 MiB chunks, 4 writers, BLAKE3 of each chunk): hashing between this and
    the fsync, median 1.07x ``np.save`` + fsync, against 1.27x hashing on threads of its own."""
    fn = _sync_file_range()
    if fn is not None:
        fn(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)  # a failure only loses the head start


class LocalStorage:
    cheap_probe = True  # exists() is a stat

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True) -> None:
        """``fsync=False`` skips fsync (throwaway registries and test suites); atomicity is unchanged."""
        self.fsync = fsync
        self.root = Path(root).expanduser().resolve()
        self.location = str(self.root)
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._dirty_dirs: set[Path] = set()

    def _path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in key.split("/") or "\\" in key:
            raise InvalidRef(f"unsafe storage key {key!r}")
        return self.root / key

    def read(self, key: str) -> bytes:
        try:
            with open(self._path(key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None

    def read_head(self, key: str, n: int) -> bytes:
        try:
            with open(self._path(key), "rb") as f:
                return f.read(n)
        except FileNotFoundError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None

    def read_into(self, key: str, out: memoryview) -> bool:
        """Read the object straight into ``out`` when it is exactly ``out.nbytes`` long (one copy out of the page
        cache, as ``np.load`` does; no map, no intermediate buffer). False, reading nothing, when its size differs
        (or ``out`` is not a writable contiguous buffer)."""
        if out.readonly or not out.c_contiguous:
            return False
        try:
            fd = os.open(self._path(key), os.O_RDONLY)
        except FileNotFoundError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None
        try:
            if os.fstat(fd).st_size != out.nbytes:
                return False
            view, done = out.cast("B"), 0
            while done < len(view):
                n = os.readv(fd, [view[done:]])
                if n == 0:
                    return False  # shrank while read: not this object
                done += n
            return True
        finally:
            os.close(fd)

    def read_mapped(self, key: str) -> bytes | mmap.mmap:
        """The object's bytes as a read-only memory map of the file (no copy out of the page cache).

        Only for immutable objects (blobs are never rewritten in place; deleting a mapped file is safe). The map
        lives as long as a reference to it, so callers copy what they keep."""
        if os.name == "nt":  # Windows' mmap takes other arguments; a plain read is correct there
            return self.read(key)
        try:
            fd = os.open(self._path(key), os.O_RDONLY)
        except FileNotFoundError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None
        try:
            if os.fstat(fd).st_size == 0:
                return b""
            return mmap.mmap(fd, 0, flags=mmap.MAP_SHARED | _POPULATE, prot=mmap.PROT_READ)
        finally:
            os.close(fd)

    def _write_tmp(
        self, data: bytes | memoryview, durable: bool, meanwhile: Callable[[], object] | None = None
    ) -> Path:
        durable = durable and self.fsync
        tmp = self._tmp / f"{uuid.uuid4().hex}.part"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            if meanwhile is not None:
                if durable:
                    _start_writeback(fd)
                meanwhile()
            if durable:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        return tmp

    def create(
        self,
        key: str,
        data: bytes | memoryview,
        *,
        durable: bool = True,
        meanwhile: Callable[[], object] | None = None,
    ) -> bool:
        """Write a temp file, make it durable, hard-link it into place (the link fails if the key exists).
        ``meanwhile`` runs after the data is handed to the kernel and its writeback started, before the fsync
        that waits for it: the disk writes while the caller's work (hashing the same bytes, still in the CPU
        cache) runs."""
        path = self._path(key)
        if path.exists():
            if meanwhile is not None:
                meanwhile()
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._write_tmp(data, durable, meanwhile)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        if durable and self.fsync:
            self._dirty_dirs.add(path.parent)
        return True

    def replace(self, key: str, data: bytes | memoryview, *, durable: bool = True) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._write_tmp(data, durable)
        os.replace(tmp, path)
        if durable and self.fsync:
            self._dirty_dirs.add(path.parent)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def list(self, prefix: str) -> list[str]:
        try:
            return sorted(os.listdir(self._path(prefix)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def age_seconds(self, key: str) -> float:
        try:
            return time.time() - self._path(key).stat().st_mtime
        except FileNotFoundError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None

    def sync(self) -> None:
        dirs, self._dirty_dirs = self._dirty_dirs, set()
        for d in dirs:
            try:
                fd = os.open(d, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def temp_files(self) -> builtins.list[Path]:  # `list` here is the method above
        return list(self._tmp.glob("*.part"))
