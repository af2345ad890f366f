"""verify() and gc(): rehash every blob, walk the event chain, remove only unreferenced blobs."""

from __future__ import annotations

import json
import time
from typing import Any

from ..core import progress
from ..core.errors import IntegrityError, NotFound
from ..core.refs import exact_ref
from ..storage import digests
from ..storage.eventlog import paused_gc
from .context import Service
from .views.records import GcReport, VerifyReport

__all__ = ["IntegrityService"]


class IntegrityService(Service):
    @property
    def _digests(self) -> dict[str, str]:
        """blob id -> the digest (``blake3:``/``sha256:``) a manifest records for it (filled while references are collected)."""
        found: dict[str, str] = self.__dict__.setdefault("_digest_map", {})
        return found

    @property
    def erased(self) -> list[dict[str, Any]]:
        """Blobs an erasure removed that an erased version's manifest or record still names (filled while
        references are collected): ``{"ref", "blob", "event"}``."""
        found: list[dict[str, Any]] = self.__dict__.setdefault("_erased", [])
        return found

    def _referenced(
        self, state: dict[str, Any], only: set[str] | None = None
    ) -> tuple[dict[str, list[tuple[str, str]]], list[dict[str, str]]]:
        """Map every referenced blob id to the (ref, object) pairs that use it; plus manifest problems. Blobs an
        erasure removed are not uses of the erased versions that name them (they are listed in ``erased``)."""
        uses: dict[str, list[tuple[str, str]]] = {}
        problems: list[dict[str, str]] = []
        gone: dict[str, int] = state.get("erased_blobs") or {}
        self.erased.clear()

        def use(v: Any, ref: str, cid: str, what: str) -> None:
            if v.get("erased") and cid in gone:
                self.erased.append({"ref": ref, "blob": cid, "event": gone[cid]})
            else:
                uses.setdefault(cid, []).append((ref, what))

        seen: dict[str, list[tuple[str, Any]]] = {}  # manifest id -> (ref, record) of the versions using it
        objects: dict[str, list[tuple[str, str]]] = {}  # manifest id -> (blob id, what it is) of its blobs
        for a in state["assets"].values():
            for v in a["versions"]:
                ref = exact_ref(v)
                if only is not None and ref not in only:
                    continue
                mid = v["content_hash"]
                for extra in v.get("blobs", []):
                    use(v, ref, extra, f"record blob {extra}")
                if mid in seen:  # versions with the same content share one manifest: read and walk it once
                    seen[mid].append((ref, v))
                    continue
                try:
                    manifest = json.loads(self.ctx.blobs.get(mid))
                except NotFound:
                    problems.append({"ref": ref, "object": f"manifest {mid}", "problem": "missing"})
                    continue
                except IntegrityError:
                    problems.append({"ref": ref, "object": f"manifest {mid}", "problem": "corrupt"})
                    continue
                seen[mid] = [(ref, v)]
                objects[mid] = []
                for key, cid in manifest["entries"].items():
                    objects[mid].append((cid, f"{key} ({cid})"))
                    if key in manifest.get("digests", {}):
                        self._digests[cid] = manifest["digests"][key]
        for mid, users in seen.items():
            for ref, v in users:
                uses.setdefault(mid, []).append((ref, f"manifest {mid}"))
                for cid, obj in objects.get(mid, []):
                    use(v, ref, cid, obj)
        pol = state.get("policy")
        if only is None and pol and pol.get("blob"):
            uses.setdefault(pol["blob"], []).append(("(policy)", f"policy {pol['blob']}"))
        return uses, problems

    def verify(self, ref: str | None = None, *, anchor: Any = None) -> VerifyReport:
        """Rehash blobs and walk the event chain; name every corrupt or missing object by ref. With ``anchor``
        (an anchor file from ``reg.anchor()``), also check the log still holds the anchored head."""
        with paused_gc():
            return self._verify(ref, anchor)

    def _verify(self, ref: str | None, anchor: Any) -> VerifyReport:
        t0 = time.perf_counter()
        problems: list[dict[str, str]] = []
        unsigned = ""
        if ref is None:
            chain_problems, state = self.ctx.log.verify()
            problems += [{"ref": "(event log)", "object": "events", "problem": p} for p in chain_problems]
            unsigned = _ranges(self.ctx.log.unsigned)
            only = None
        else:
            state = self.ctx.state
            only = {self.ctx.exact(ref)}
        if anchor is not None:
            problems += [
                {"ref": "(event log)", "object": f"anchor {anchor}", "problem": p}
                for p in self.svc.anchors.check(anchor)
            ]
        uses, mproblems = self._referenced(state, only)
        problems += mproblems
        ids = list(uses)
        with progress.task(f"verify {ref or 'registry'}", len(ids)) as bar:

            def check(cid: str) -> tuple[str | None, int]:
                out = self._check_blob(cid)
                bar.advance()
                return out

            results = list(self.ctx.blobs.pool.map(check, ids))
        total = 0
        for cid, (problem, size) in zip(ids, results):
            total += size
            if problem:
                for r, obj in uses[cid]:
                    problems.append({"ref": r, "object": obj, "problem": problem})
        return VerifyReport(
            ok=not problems,
            problems=problems,
            events=state["seq"] + 1,
            blobs=len(ids),
            bytes=total,
            seconds=time.perf_counter() - t0,
            unsigned=unsigned,
            refused=len(self.ctx.storage.list("log/refused")) if ref is None else 0,
            erased=list(self.erased),
        )

    def _check_blob(self, cid: str) -> tuple[str | None, int]:
        # Every blob is checked against its id (xxh3, as every read does); a blob a manifest records a digest
        # for (BLAKE3, or SHA-256 in older manifests) is also checked against it, in the same pass: the digest
        # is what signatures and releases cover, and xxh3 is no defence against a deliberate replacement. Loads
        # check xxh3 only.
        recorded = self._digests.get(cid)
        if recorded is not None:
            try:
                digests.hasher(recorded)
            except IntegrityError as exc:
                return f"its manifest records an unusable digest: {exc}", 0
        try:
            size, digest_ok = self.ctx.blobs.verify_blob(cid, recorded)
            if not digest_ok:
                return f"does not match its {digests.label(str(recorded))} digest in the manifest", size
            return None, size
        except NotFound:
            return "missing", 0
        except IntegrityError:
            return "corrupt (content does not match its hash)", 0

    def _add_delta_bases(self, uses: dict[str, list[tuple[str, str]]]) -> None:
        """A blob stored as a delta needs its base: keep every base (and its bases) that a kept blob needs.
        Reads only each referenced blob's header."""

        def base(cid: str) -> str | None:
            try:
                return self.ctx.blobs.base_of(cid)
            except NotFound:
                return None

        pending = list(uses)
        while pending:
            found = []
            for cid, b in zip(pending, list(self.ctx.blobs.pool.map(base, pending))):
                if b is not None and b not in uses:
                    uses[b] = [(r, f"delta base of {cid}") for r, _ in uses[cid]]
                    found.append(b)
            pending = found

    def gc(self, *, grace_seconds: float = 3600.0, dry_run: bool = False) -> GcReport:
        """Remove blobs no version references, if older than ``grace_seconds`` (protects saves in flight)."""
        uses, problems = self._referenced(self.ctx.state)
        if problems:
            raise IntegrityError(
                "gc refused: some manifests are missing or corrupt, so references are unknown: "
                + "; ".join(f"{p['ref']} {p['problem']}" for p in problems)
            )
        self._add_delta_bases(uses)
        removed = kept = freed = 0
        storage = self.ctx.storage
        for cid in list(self.ctx.blobs.ids()):
            if cid in uses:
                kept += 1
                continue
            key = self.ctx.blobs.key(cid)
            if storage.age_seconds(key) < grace_seconds:
                kept += 1
                continue
            freed += len(storage.read(key))
            if not dry_run:
                storage.delete(key)
            removed += 1
        for name in storage.list("tmp"):
            if storage.age_seconds(f"tmp/{name}") >= grace_seconds and not dry_run:
                storage.delete(f"tmp/{name}")
        return GcReport(removed=removed, bytes=freed, kept=kept)


def _ranges(seqs: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2, 5"``."""
    out: list[str] = []
    start = prev = None
    for s in [*seqs, None]:
        if s is not None and prev is not None and s == prev + 1:
            prev = s
            continue
        if start is not None:
            out.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = s
    return ", ".join(out)
