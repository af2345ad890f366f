"""Sign and verify 100,000 signed events with ECDSA P-256 (issue 14), side by side with the library's own floor.

Target: ``verify()`` >= 10,000 events/s. A registry whose policy requires signatures is written through the
product (a signed policy, a save, some tags), then extended to N signed events exactly as the product writes them
(each ``TagAdded`` chained to the one before and signed by the key holder; writing them one ``append`` at a time
would only make this script slow), and ``verify()`` replays it from the trust root checking every signature.
Side by side, in the same run: ``cryptography``'s own ``verify`` of the same signatures on one core and on every
core (threads, as ``verify()`` uses: ``cryptography`` releases the GIL while verifying; processes measured too),
``verify()`` with its parallel pre-check turned off (signatures checked one by one in the fold), and ``verify()``
of an unsigned registry of the same size (what reading and folding cost without signatures); the three
``verify()`` runs alternate, ``rounds`` times (second argument, default 2), and the best of each is compared.
Tags cycle over 64 names: tagging one version with 100,000 different tags makes the fold itself quadratic
(``core.state._tag_added`` scans the version's tag list), which would measure that instead of signatures.
Pass N as the first argument for another event count (default 100,000).
"""

from __future__ import annotations

import base64
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from _util import drop_tree, report, scratch

import lifecycle_ext
from lifecycle_ext.core.events import canonical, make_event
from lifecycle_ext.registry.sigpool import workers
from lifecycle_ext.storage.eventlog import event_key
from lifecycle_ext.storage.local import LocalStorage


def _raw_verify(args: tuple[bytes, list[tuple[bytes, bytes]]]) -> int:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    der, pairs = args
    pub = serialization.load_der_public_key(der)
    assert isinstance(pub, ec.EllipticCurvePublicKey)
    algo = ec.ECDSA(hashes.SHA256())
    for msg, sig in pairs:
        pub.verify(sig, msg, algo)
    return len(pairs)


def _extend(loc: Path, key, actor: str, n: int, *, signed: bool) -> None:
    """Append TagAdded events up to sequence n-1 behind the product's back, exactly as ``EventLog.append``
    writes them."""
    reg = lifecycle_ext.open_registry(loc, user=actor, signing_key=key.path if signed else None, fsync=False)
    state = reg.context.log.state
    seq, head = state["seq"] + 1, state["head"]
    storage = LocalStorage(loc, fsync=False)
    while seq < n:
        ev = make_event(
            seq,
            head,
            "TagAdded",
            actor,
            "2026-01-01T00:00:00.000000Z",
            {"asset": "model:m", "number": 1, "tag": f"t{seq % 64}"},
        )
        if signed:
            ev["signature"] = key.sign(ev["hash"])
        storage.create(event_key(seq), canonical(ev))
        seq, head = seq + 1, ev["hash"]


def main(n: int = 100_000, rounds: int = 2) -> None:
    base = scratch("signatures")
    os.environ["XDG_CONFIG_HOME"] = str(base / "config")  # no default key from the real home
    os.environ.pop("LIFECYCLE_KEY", None)
    from lifecycle_ext.core.identity import public_key_der
    from lifecycle_ext.registry.keys import create_key

    key = create_key("bench", base / "bench.key")
    cores = workers()
    # -- the signed registry, through the product, then extended to n events
    loc = base / "reg"
    policy = (
        'version = 1\n[users]\nbench = { roles = ["admin"], key = "' + key.public + '" }\n'
        '[permissions]\nset_policy = ["admin"]\n[identity]\nrequire_signatures = true\n'
    )
    reg = lifecycle_ext.open_registry(loc, user="bench", signing_key=str(Path(key.path or "")), fsync=False)
    reg.set_policy(policy, reason="bench")
    reg.save({"w": 1}, "model:m")
    t0 = time.perf_counter()
    for i in range(200):
        reg.tag("model:m@1", f"t{i % 64}")
    append_rate = 200 / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    _extend(loc, key, "bench", n, signed=True)
    write_s = time.perf_counter() - t0
    plain_loc = base / "plain"
    plain = lifecycle_ext.open_registry(plain_loc, user="bench", signing_key=None, fsync=False)
    plain.save({"w": 1}, "model:m")
    _extend(plain_loc, key, "bench", n, signed=False)
    events = [reg.context.log.read_event(s) for s in range(n)]
    signed = [e for e in events if e and "signature" in e]
    raw = [(bytes.fromhex(e["hash"]), base64.b64decode(e["signature"]["value"])) for e in signed]
    der = public_key_der(key.public)

    # -- the library floor: 1 core, every core (threads: cryptography releases the GIL; and processes)
    t0 = time.perf_counter()
    _raw_verify((der, raw))
    raw1_s = time.perf_counter() - t0
    chunks = [(der, raw[i : i + 4096]) for i in range(0, len(raw), 4096)]
    with ProcessPoolExecutor(cores) as ex:
        list(ex.map(_raw_verify, chunks[:cores]))  # workers started before timing
        t0 = time.perf_counter()
        assert sum(ex.map(_raw_verify, chunks)) == len(raw)
        rawn_s = time.perf_counter() - t0
    sample = raw
    with ThreadPoolExecutor(cores) as ex:
        t0 = time.perf_counter()
        list(ex.map(_raw_verify, [(der, sample[i::cores]) for i in range(cores)]))
        rawt_s = time.perf_counter() - t0

    # -- the product: verify() with the parallel pre-check and without it (inline), alternating, and unsigned
    from lifecycle_ext.registry import sigpool

    times: dict[str, list[float]] = {"parallel": [], "inline": [], "unsigned": []}
    threshold = sigpool.ParallelVerifier.threshold
    was_busy = sigpool.busy()  # verify() checks inline on a busy machine; measured here with the pool forced on
    sigpool.busy = lambda: False
    for i in range(rounds):
        for mode in ("parallel", "inline", "unsigned") if i % 2 == 0 else ("inline", "parallel", "unsigned"):
            sigpool.ParallelVerifier.threshold = 10**12 if mode == "inline" else threshold
            where = plain_loc if mode == "unsigned" else loc
            r = lifecycle_ext.open_registry(where, user="bench", signing_key=None, fsync=False)
            t0 = time.perf_counter()
            rep = r.verify()
            times[mode].append(time.perf_counter() - t0)
            assert rep.ok and rep.events == n, rep
            if mode != "unsigned":
                assert rep.unsigned == "0", rep  # only the trust root
                ahead = r.context.log.admission.checked_ahead
                assert (ahead > 0) == (mode == "parallel" and cores > 1), ahead
    sigpool.ParallelVerifier.threshold = threshold
    verify_s, inline_s, plain_s = (min(times[k]) for k in ("parallel", "inline", "unsigned"))

    t0 = time.perf_counter()
    sig0 = [key.sign(e["hash"]) for e in signed[:20_000]]
    sign_rate = len(sig0) / (time.perf_counter() - t0)

    floor1, floorn, floort = len(raw) / raw1_s, len(raw) / rawn_s, len(sample) / rawt_s
    rate = n / verify_s
    report(
        f"ECDSA P-256 signatures, {n:,} signed events, {cores} cores",
        [
            (
                "verify() of the signed registry",
                f"{verify_s:.2f} s = {rate:,.0f} events/s   (target >= 10,000/s; best of {rounds}, "
                f"range {n / max(times['parallel']):,.0f}-{rate:,.0f})",
            ),
            (
                "  the same, signatures checked inline in the fold",
                f"{n / inline_s:,.0f} events/s   parallel/inline speed {inline_s / verify_s:.2f}x",
            ),
            (
                "  library floor: cryptography's verify, 1 core",
                f"{floor1:,.0f} verifies/s   verify()/floor {rate / floor1:.2f}x",
            ),
            (
                f"  library floor: cryptography's verify, {cores} threads",
                f"{floort:,.0f} verifies/s   verify()/floor {rate / floort:.2f}x",
            ),
            (
                f"  library floor: cryptography's verify, {cores} processes",
                f"{floorn:,.0f} verifies/s   verify()/floor {rate / floorn:.2f}x",
            ),
            (
                "  verify() of an unsigned registry, same size",
                f"{n / plain_s:,.0f} events/s   signed/unsigned time {verify_s / plain_s:.2f}x",
            ),
            ("  machine busy (verify() would check inline)", str(was_busy)),
            ("  load average while measuring", " ".join(f"{x:.1f}" for x in os.getloadavg())),
            ("sign (1 core)", f"{sign_rate:,.0f} events/s"),
            ("append signed events through the product", f"{append_rate:,.0f} events/s"),
            (f"write {n:,} signed events behind the product", f"{write_s:.1f} s"),
        ],
    )
    drop_tree(base)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
