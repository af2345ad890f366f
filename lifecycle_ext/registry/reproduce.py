"""reproduce(): re-run a tracked cell's captured source and compare the outputs' content hashes.

Also ``content_hash(obj)`` (the hash ``save`` would record, computed without writing anything),
``environment(ref)`` (the captured environment of a tracked version) and the save hook that records extra
blobs (the environment document) so verify and gc cover them.
"""

from __future__ import annotations

import builtins
import copy
import importlib
import json
import sys
import time
from typing import Any

from ..core import progress
from ..core.errors import LifecycleError, NotFound, UsageInputError
from ..core.refs import exact_ref
from ..storage.codecs import describe_difference
from .context import Service, Services
from .views.provenance import OutputCheck, ReproduceReport

__all__ = ["ProvenanceService", "record_blobs_hook"]


def record_blobs_hook(
    svc: Services, kind: str, obj: Any, parent: Any, options: dict[str, Any], payload: Any = None
) -> dict[str, Any]:
    """Save option ``blobs=[cid, ...]``: blobs a version's record refers to (must already be stored)."""
    blobs = list(options.get("blobs") or [])
    for cid in blobs:
        if not isinstance(cid, str) or not svc.ctx.storage.exists(svc.ctx.blobs.key(cid)):
            raise UsageInputError(f"blobs: {cid!r} is not a stored blob of the registry at {svc.ctx.location}")
    return {"blobs": blobs} if blobs else {}


def _resolve_module(spec: str) -> Any:
    mod, _, qual = spec.partition(":")
    obj = importlib.import_module(mod)
    for part in qual.split(".") if qual else []:
        obj = getattr(obj, part)
    return obj


class ProvenanceService(Service):
    def content_hash(self, obj: Any) -> str:
        """The content hash ``save(obj, ...)`` would record, computed without storing anything."""
        from ..storage import digests as content_digests
        from ..storage.blobs import content_id
        from ..storage.codecs import encode
        from .service import manifest_bytes

        payload = encode(obj)
        items: list[tuple[str, bytes | memoryview]] = [*payload.chunks, *payload.docs.items()]
        entries = {k: content_id(d) for k, d in items}
        digests = {k: content_digests.digest(d) for k, d in items}
        return content_id(manifest_bytes(payload.object_type, entries, digests))

    def environment(self, ref: str) -> dict[str, Any]:
        """The environment captured when a tracked version was created."""
        rec = self.ctx.resolve(ref)
        cid = (rec.get("record") or {}).get("environment")
        if not cid:
            raise NotFound(f"{exact_ref(rec)} has no captured environment")
        env: dict[str, Any] = json.loads(self.ctx.blobs.get(cid))
        return env

    def _load_quiet(self, exact: str) -> Any:
        """Load without load hooks (the comparison copy must not enter the identity map)."""
        from ..storage.codecs import decode

        group = self.svc.versions.open_zarr(exact)
        attrs: dict[str, Any] = dict(group.attrs)
        return decode(group, attrs["lifecycle"])

    def reproduce(self, ref: str) -> ReproduceReport:
        """Re-run the captured source of ``ref`` in a fresh namespace with its captured inputs, configs and
        seed, and compare every output of that run with the recorded content hash."""
        from ..provenance.seeding import restore_rng_states, save_rng_states, seed_all

        rec = self.ctx.resolve(ref)
        exact = exact_ref(rec)
        record = rec.get("record") or {}
        if not record.get("tracked") or "source" not in record:
            raise UsageInputError(f"{exact} was not created by %%track: there is no captured source to re-run")
        expected = self._run_outputs(record, rec)
        with progress.task(f"reproduce {exact}", 2 + len(expected)) as bar:
            seed = (record.get("seed") or {}).get("given")
            seeded = (record.get("seed") or {}).get("seeded") or None
            report: dict[str, Any] = dict(ref=exact, seed=seed, uncaptured=dict(record.get("uncaptured") or {}))
            t0 = time.perf_counter()
            try:
                ns = self._fresh_namespace(record)
                bar.advance()
            except (LifecycleError, ImportError, AttributeError) as exc:
                return ReproduceReport(
                    **report,
                    status="error",
                    outputs=[],
                    seconds=time.perf_counter() - t0,
                    error=f"could not rebuild the inputs: {type(exc).__name__}: {exc}",
                )
            source = record.get("python_source") or record["source"]
            states = save_rng_states()
            try:
                if seed is not None:
                    seed_all(seed, only=seeded)
                exec(compile(source, f"<reproduce {exact}>", "exec"), ns)  # noqa: S102 - the user's own captured cell
            except Exception as exc:  # noqa: BLE001 - the re-run's failure is the result being reported
                return ReproduceReport(
                    **report,
                    status="error",
                    outputs=[],
                    seconds=time.perf_counter() - t0,
                    error=f"{type(exc).__name__}: {exc}",
                )
            finally:
                restore_rng_states(states)
            bar.advance()
            checks = []
            for var, (out_ref, recorded) in expected.items():
                if var not in ns:
                    checks.append(OutputCheck(var, out_ref, recorded, None, False, "not defined by the re-run"))
                    continue
                try:
                    got = self.content_hash(ns[var])
                except LifecycleError as exc:
                    checks.append(OutputCheck(var, out_ref, recorded, None, False, str(exc)))
                    continue
                diff = "" if got == recorded else describe_difference(self._load_quiet(out_ref), ns[var])
                checks.append(OutputCheck(var, out_ref, recorded, got, got == recorded, diff))
                bar.advance()
            status = "match" if all(c.match for c in checks) else "mismatch"
            return ReproduceReport(**report, status=status, outputs=checks, seconds=time.perf_counter() - t0)

    def _run_outputs(self, record: dict[str, Any], rec: dict[str, Any]) -> dict[str, tuple[str, str]]:
        """{var: (exact ref, content hash)} for every output saved by the same tracked run."""
        out: dict[str, tuple[str, str]] = {}
        st = self.ctx.state
        for var, asset in (record.get("outputs") or {}).items():
            a = st["assets"].get(asset)
            for v in (a or {}).get("versions", []):
                if (v.get("record") or {}).get("run_id") == record.get("run_id"):
                    out[var] = (exact_ref(v), v["content_hash"])
        var = record.get("output_var")
        if var and var not in out:
            out[var] = (exact_ref(rec), rec["content_hash"])
        return out

    def _fresh_namespace(self, record: dict[str, Any]) -> dict[str, Any]:
        ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        ipy = sys.modules.get("IPython")
        if ipy is not None and "get_ipython" in (record.get("python_source") or ""):
            ns["get_ipython"] = ipy.get_ipython
        for name, spec in (record.get("modules") or {}).items():
            ns[name] = _resolve_module(spec)
        for name, value in (record.get("configs") or {}).items():
            ns[name] = copy.deepcopy(value)
        for name, ref in (record.get("inputs_by_var") or {}).items():
            ns[name] = self._load_quiet(ref)
        return ns
