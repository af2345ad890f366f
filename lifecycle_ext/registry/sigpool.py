"""Checking many event signatures at once: batches of (public key, digest, signature) in a thread pool.

ECDSA P-256 verification is the cost of ``verify()`` on a signed registry. ``cryptography`` releases the GIL
while it verifies (measured in ``benchmarks/bench_signatures.py``: two threads verify 1.4-1.9x as many
signatures per second as one on two cores), so threads suffice: no processes to start, nothing to pickle.
While ``verify()`` walks
the log it hands the events it is about to judge to :meth:`ParallelVerifier.add` (through
``SignatureCheck.prefetch``); the signatures whose key is already known (by the fingerprint the signature names)
are checked in worker threads, one per core, while the main thread reads and folds. The fold then asks
:meth:`ParallelVerifier.result` for the verdict of the exact ``(key, digest, signature)`` triple; anything not
checked ahead (a key not yet known, a small log, a worker failure) is checked inline as before, so the outcome is
the same as checking each signature where it is judged.
"""

from __future__ import annotations

import base64
import os
from concurrent.futures import Future, ThreadPoolExecutor

from cryptography.exceptions import InvalidSignature

from .keys import _ALGO, _public

__all__ = ["ParallelVerifier", "verify_batch", "workers", "busy"]

Triple = tuple[str, str, str]  # (public key line, hex digest, base64 signature)


def verify_batch(line: str, items: list[tuple[str, str]]) -> list[bool]:
    """Run in a worker thread: the verdict of each ``(hex digest, base64 signature)`` against the key ``line``
    (what :func:`~lifecycle_ext.registry.keys.verify_signature` says for a signature naming that key; the key is
    loaded once per batch, so little but the GIL-free verification itself runs per item)."""
    try:
        public = _public(line)
    except ValueError:
        return [False] * len(items)
    out = []
    for digest, value in items:
        try:
            public.verify(base64.b64decode(value, validate=True), bytes.fromhex(digest), _ALGO)
            out.append(True)
        except (InvalidSignature, ValueError, TypeError):
            out.append(False)
    return out


def workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def busy() -> bool:
    """No core to spare: the 1-minute load average already fills every core. Then the signatures are checked
    inline: worker threads only compete with the fold for the same cores (measured on a 2-core machine at load
    8-13: 0.45-0.85x the speed of the inline check; at load 1.6-2.5, 1.25x faster than inline)."""
    try:
        return os.getloadavg()[0] >= workers()
    except OSError:  # pragma: no cover - no load average on this platform
        return False


class ParallelVerifier:
    """Checks signatures ahead of the fold in a pool of ``threads`` threads (used only past the first ``threshold``
    signatures, so a small log never pays for starting threads)."""

    chunk = 256
    threshold = 2048

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or workers()
        if self.threads > 1 and busy():
            self.threads = 1  # check inline (see busy)
        self._queued: dict[str, list[tuple[str, str]]] = {}  # key line -> items not yet submitted
        self._seen = 0
        self._pending: dict[Triple, tuple[Future[list[bool]], int]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self.checked_ahead = 0  # how many verdicts came from the pool (for tests and benchmarks)

    def add(self, line: str, digest: str, value: str) -> None:
        """Queue one signature; the first ``threshold`` ones are left to be checked inline."""
        self._seen += 1
        if self._seen > self.threshold and self.threads > 1:
            self._queued.setdefault(line, []).append((digest, value))

    def flush(self) -> None:
        """Send what is queued to the pool (call after each batch of events)."""
        if not self._queued:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="lifecycle-verify")
        for line, items in self._queued.items():
            for start in range(0, len(items), self.chunk):
                batch = items[start : start + self.chunk]
                fut = self._pool.submit(verify_batch, line, batch)
                for i, (digest, value) in enumerate(batch):
                    self._pending[(line, digest, value)] = (fut, i)
        self._queued.clear()

    def result(self, line: str, digest: str, value: str) -> bool | None:
        """The pool's verdict on this exact triple, or None when it was not checked ahead (check it inline)."""
        entry = self._pending.pop((line, digest, value), None)
        if entry is None:
            return None
        fut, i = entry
        try:
            verdict = fut.result()[i]
        except Exception:  # noqa: BLE001 - a broken worker: the caller checks inline instead
            return None
        self.checked_ahead += 1
        return verdict

    def close(self) -> None:
        self._queued.clear()
        self._pending.clear()
        self._seen = 0
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
