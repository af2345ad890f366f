"""Sign and verify 100,000 events with ECDSA P-256 (issue 14), side by side with hashing them alone.

Target: verify >= 10,000 events/s. The signed registry is written through the product (a signed policy,
then events appended by the key holder) and verify() replays it from the trust root checking every signature.
Pass N as the first argument for another event count (default 100,000).
"""

from __future__ import annotations

import base64
import os
import sys
import time
from pathlib import Path

from _util import drop_tree, report, scratch

import lifecycle_ext
from lifecycle_ext.core.events import GENESIS, make_event
from lifecycle_ext.registry.keys import create_key, verify_signature


def main(n: int = 100_000) -> None:
    base = scratch("signatures")
    os.environ["XDG_CONFIG_HOME"] = str(base / "config")  # no default key from the real home
    os.environ.pop("LIFECYCLE_KEY", None)
    key = create_key("bench", base / "bench.key")
    events = [
        make_event(
            i,
            GENESIS,
            "TagAdded",
            "bench",
            "2026-01-01T00:00:00.000000Z",
            {"asset": "model:m", "number": 1, "tag": f"t{i}"},
        )
        for i in range(n)
    ]
    t0 = time.perf_counter()
    sigs = [key.sign(e["hash"]) for e in events]
    sign_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ok = all(verify_signature(key.public, e["hash"], s) for e, s in zip(events, sigs))
    verify_s = time.perf_counter() - t0
    assert ok
    # side by side: the library's own verify of the same signatures (the floor for any wrapper of it)
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from lifecycle_ext.core.identity import public_key_der

    pub = serialization.load_der_public_key(public_key_der(key.public))
    assert isinstance(pub, ec.EllipticCurvePublicKey)
    raw = [(bytes.fromhex(e["hash"]), base64.b64decode(s["value"])) for e, s in zip(events, sigs)]
    t0 = time.perf_counter()
    for msg, sig in raw:
        pub.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
    raw_s = time.perf_counter() - t0
    # the same through the product: a registry whose policy requires signatures, replayed by verify()
    loc = base / "reg"
    m = min(n, 20_000)
    policy = (
        'version = 1\n[users]\nbench = { roles = ["admin"], key = "' + key.public + '" }\n'
        '[permissions]\nset_policy = ["admin"]\n[identity]\nrequire_signatures = true\n'
    )
    reg = lifecycle_ext.open_registry(loc, user="bench", signing_key=str(Path(key.path or "")), fsync=False)
    reg.set_policy(policy, reason="bench")
    reg.save({"w": 1}, "model:m")
    t0 = time.perf_counter()
    for i in range(m):
        reg.tag("model:m@1", f"t{i}")
    append_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rep = reg.verify()
    replay_s = time.perf_counter() - t0
    assert rep.ok, rep
    plain = lifecycle_ext.open_registry(base / "plain", user="bench", signing_key=None, fsync=False)
    plain.save({"w": 1}, "model:m")
    for i in range(m + 1):
        plain.tag("model:m@1", f"t{i}")
    t0 = time.perf_counter()
    prep = plain.verify()
    plain_s = time.perf_counter() - t0
    assert prep.ok
    report(
        f"ECDSA P-256 signatures, {n:,} events (1 core)",
        [
            ("sign", f"{sign_s:.2f} s = {n / sign_s:,.0f} events/s"),
            ("verify", f"{verify_s:.2f} s = {n / verify_s:,.0f} events/s   (target >= 10,000/s)"),
            (
                "  cryptography's own verify, same signatures",
                f"{n / raw_s:,.0f} events/s   ratio {verify_s / raw_s:.2f}x",
            ),
            ("  load average while measuring", " ".join(f"{x:.1f}" for x in os.getloadavg())),
            (f"append {m:,} signed events through the product", f"{m / append_s:,.0f} events/s"),
            (f"verify() of the signed registry ({rep.events:,} events)", f"{rep.events / replay_s:,.0f} events/s"),
            (
                "  verify() of an unsigned registry, same size",
                f"{prep.events / plain_s:,.0f} events/s   signed/unsigned time {replay_s / plain_s:.2f}x",
            ),
        ],
    )
    drop_tree(base)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
