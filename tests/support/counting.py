"""Count the requests a registry sends to an fsspec filesystem (S3 API calls for s3fs, filesystem calls otherwise).

For s3fs every S3 operation goes through ``S3FileSystem._call_s3(method, ...)``, so the counts are the requests
on the wire (``head_object``, ``get_object``, ``put_object``, ``list_objects_v2``...). For other fsspec
filesystems the outermost public calls are counted (``exists``, ``cat_file``, ``open``...): calls one method
makes into another count once. Counts are deterministic, unlike timings, so tests can assert them.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["RequestCounter"]

_FS_METHODS = ("cat_file", "pipe_file", "open", "exists", "info", "ls", "rm_file", "makedirs", "find", "isfile")


class RequestCounter:
    """``with RequestCounter(fs) as c: ...`` then ``c.counts`` (a Counter by operation) and ``c.total``."""

    def __init__(self, fs: Any) -> None:
        self.fs = fs
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._depth = threading.local()
        self._saved: dict[str, Any] = {}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> Counter[str]:
        """Return the counts so far and start again from zero."""
        with self._lock:
            out, self.counts = self.counts, Counter()
        return out

    def _add(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1

    def __enter__(self) -> RequestCounter:
        fs = self.fs
        if hasattr(fs, "_call_s3"):  # s3fs: count at botocore, where every API call passes exactly once
            from fsspec.asyn import sync

            client = sync(fs.loop, fs.set_session)

            def before_call(model: Any, **kwargs: Any) -> None:
                self._add(model.name)

            client.meta.events.register("before-call.s3", before_call, unique_id=f"count-{id(self)}")
            self._saved["_client"] = client
            return self
        for name in _FS_METHODS:
            orig = getattr(fs, name)
            self._saved[name] = orig
            setattr(fs, name, self._wrap(name, orig))
        return self

    def _wrap(self, name: str, orig: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self._depth, "n", 0)
            if depth == 0:
                self._add(name)
            self._depth.n = depth + 1
            try:
                return orig(*args, **kwargs)
            finally:
                self._depth.n = depth

        return counted

    def __exit__(self, *exc: object) -> None:
        client = self._saved.pop("_client", None)
        if client is not None:
            client.meta.events.unregister("before-call.s3", unique_id=f"count-{id(self)}")
        for name in self._saved:
            vars(self.fs).pop(name, None)  # the instance attribute shadowed the class method
        self._saved.clear()
