"""Requests sent to a real S3 server (SeaweedFS on loopback, every listener on a free port), counted at botocore.

Operations: save a new blob, read it, one ``reg.state`` access, save a new float32 array (about 200 MB:
one PUT per 4 MiB chunk is the target), load it (one GET per chunk), re-save it after a 1% row change (only
the changed chunks), append one event (a tag). ``--compare CHECKOUT`` runs the same script against another
checkout's ``lifecycle_ext`` (e.g. ``--compare /work/main`` for the code before) and prints both side by side.

The event log at ``--events`` (10,000) events, built on a local folder and copied to the bucket: ``audit(ref)``
(target <= 20 requests and < 1 s), opening without a checkpoint (target <= 50), opening with one, and one
append (target <= 2: the probe after the head and the conditional PUT).

Run: ``PYTHONPATH=. python benchmarks/bench_requests.py [--mb 200] [--events 10000] [--compare PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def measure(mb: int, n_events: int = 10_000) -> dict[str, dict[str, int | float]]:
    import lifecycle_ext
    from tests.support.counting import RequestCounter
    from tests.support.seaweed import seaweed_server

    out: dict[str, dict[str, int | float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-requests-") as tmp, seaweed_server(Path(tmp)) as opts:
        reg = lifecycle_ext.open_registry(f"s3://lifecycle/{uuid.uuid4().hex}", user="bench", **opts)
        reg.save(np.arange(10), "model:warm")
        rows = mb * (1 << 20) // 4 // 4096
        arr = np.random.default_rng(0).standard_normal((rows, 4096), dtype=np.float32)
        with RequestCounter(reg.storage.fs) as c:

            def step(name: str, fn) -> None:
                c.reset()
                t0 = time.perf_counter()
                fn()
                out[name] = {**c.reset(), "seconds": round(time.perf_counter() - t0, 3)}

            cid = []
            step("save a new blob", lambda: cid.append(reg.blobs.put(os.urandom(1000))[0]))
            step("read a blob", lambda: reg.blobs.get(cid[0]))
            step("reg.state access", lambda: reg.state)
            v = []
            step(f"save new {arr.nbytes >> 20} MB array", lambda: v.append(reg.save(arr, "model:big")))
            chunks = len([k for k in reg.manifest(v[0].ref)["entries"] if "/c/" in k])
            out["chunks"] = {"count": chunks}
            step(f"load {arr.nbytes >> 20} MB array", lambda: reg.load(v[0].ref))
            arr2 = arr.copy()
            arr2[rows // 2 : rows // 2 + rows // 100] += 1.0
            step("re-save after 1% rows changed", lambda: reg.save(arr2, "model:big"))
            step("append one event (tag)", lambda: reg.tag(v[0].ref, "bench"))
        if n_events:
            out.update(measure_log(Path(tmp), opts, n_events))
    return out


def measure_log(tmp: Path, opts: dict, n_events: int) -> dict[str, dict[str, int | float]]:
    """Requests of the event log holding ``n_events`` events (10 assets) on S3."""
    import lifecycle_ext
    from tests.support.counting import RequestCounter

    try:
        from tests.support.logbuild import build_log, upload
    except ImportError:  # a --compare checkout runs this script with the tests of this one
        return {}
    out: dict[str, dict[str, int | float]] = {}
    build_log(tmp / "log-build", n_events, checkpoint_every=1000)
    url = f"s3://lifecycle/{uuid.uuid4().hex}"
    upload(tmp / "log-build", url, opts)
    reg = lifecycle_ext.open_registry(url, user="bench", **opts)
    fs = reg.storage.fs
    with RequestCounter(fs) as c:

        def step(name: str, fn) -> None:
            c.reset()
            t0 = time.perf_counter()
            fn()
            out[name] = {**c.reset(), "seconds": round(time.perf_counter() - t0, 3)}

        import pandas  # noqa: F401  - audit answers a DataFrame: import it outside the timing

        step(f"audit(ref), {n_events:,} events", lambda: reg.audit("model:a3@7"))
        step(f"audit(ref) again, {n_events:,} events", lambda: reg.audit("model:a4@7"))
        step("append one event (log)", lambda: reg.log.append(lambda st: ("TagAdded", _tag(st)), "bench"))
        step("append one more (log)", lambda: reg.log.append(lambda st: ("TagAdded", _tag(st)), "bench"))
        time.sleep(1.5)  # past the window in which an append trusts the last probe
        step("append after 1.5 s idle (log)", lambda: reg.log.append(lambda st: ("TagAdded", _tag(st)), "bench"))
        time.sleep(1.5)
        step("reg.state after 1.5 s idle", lambda: reg.state)
        step("open with a checkpoint", lambda: lifecycle_ext.open_registry(url, user="bench", **opts))
        for path in fs.ls(f"{reg.storage.root}/log/checkpoints", detail=False, refresh=True):
            fs.rm_file(path)
        step("open without a checkpoint", lambda: lifecycle_ext.open_registry(url, user="bench", **opts))
    return out


def _tag(state: dict) -> dict:
    return {"asset": "model:a1", "number": 1, "tag": f"t{state['seq']}"}


def _run_other(checkout: str, mb: int, n_events: int) -> dict[str, dict[str, int | float]]:
    """This script, in a subprocess, with ``lifecycle_ext`` from ``checkout`` (tests.support from here)."""
    with tempfile.TemporaryDirectory(prefix="bench-requests-path-") as shim:
        os.symlink(Path(checkout).resolve() / "lifecycle_ext", Path(shim) / "lifecycle_ext")
        os.symlink(HERE.parent / "tests", Path(shim) / "tests")
        env = dict(os.environ, PYTHONPATH=shim)
        res = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--mb", str(mb), "--events", str(n_events), "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(res.stdout.strip().splitlines()[-1])


def _fmt(counts: dict[str, int | float] | None) -> str:
    if not counts:
        return "-"
    reqs = {k: v for k, v in counts.items() if k != "seconds"}
    total = sum(int(v) for v in reqs.values())
    detail = " ".join(
        f"{k.replace('ListObjectsV2', 'List').replace('Object', '')}={v}" for k, v in sorted(reqs.items())
    )
    return f"{total:5d} req  {counts.get('seconds', 0):6.2f} s  ({detail})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--compare", help="another checkout whose lifecycle_ext to measure side by side")
    ap.add_argument("--events", type=int, default=10_000, help="events in the event-log section (0: skip it)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    now = measure(args.mb, args.events)
    if args.json:
        print(json.dumps(now))
        return
    before = _run_other(args.compare, args.mb, args.events) if args.compare else {}
    print(f"== S3 requests (SeaweedFS on loopback), {now['chunks']['count']} chunks of 4 MiB")
    for name, counts in now.items():
        if name == "chunks":
            continue
        if before:
            print(f"  {name:34s} before {_fmt(before.get(name))}")
            print(f"  {'':34s} now    {_fmt(counts)}")
        else:
            print(f"  {name:34s} {_fmt(counts)}")


if __name__ == "__main__":
    sys.path.append(str(HERE.parent))  # after PYTHONPATH, so --compare can point lifecycle_ext elsewhere
    main()
