"""The acceptance scenario of docs/erasure.md, shared by the local, S3 and crash tests.

A keyed dataset in four versions (v1, v2 additive, v3 corrective, v4 schema), a model trained on v2, and three
keys to erase whose rows carry distinctive values (a name, a float weight, the key itself) that a scan of every
stored byte looks for afterwards.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pandas as pd

ERASED = ["ERASE-KEY-A1", "ERASE-KEY-B2", "ERASE-KEY-C3"]
NAMES = {k: f"Zebulon-Erasable-{i}" for i, k in enumerate(ERASED)}
WEIGHTS = {k: 123456.78125 + 1111.5 * i for i, k in enumerate(ERASED)}


def frames() -> list[pd.DataFrame]:
    n = 400
    rng = np.random.default_rng(7)
    ids = [f"P{i:05d}" for i in range(n)]
    weight = np.round(rng.normal(70, 12, n), 1)
    names = [f"person {i}" for i in range(n)]
    for pos, k in zip((5, 150, 390), ERASED):
        ids[pos], names[pos], weight[pos] = k, NAMES[k], WEIGHTS[k]
    labels = np.where(rng.random(n) > 0.5, "stay", "churn")
    v1 = pd.DataFrame({"patient_id": ids, "name": names, "weight": weight, "label": labels})
    extra = pd.DataFrame(
        {
            "patient_id": [f"Q{i:05d}" for i in range(60)],
            "name": [f"newcomer {i}" for i in range(60)],
            "weight": np.round(rng.normal(70, 12, 60), 1),
            "label": ["stay"] * 60,
        }
    )
    v2 = pd.concat([v1, extra], ignore_index=True)  # additive
    v3 = v2.copy()
    flip = v3["patient_id"].isin([ERASED[1], "P00010", "Q00003"])
    v3.loc[flip, "label"] = np.where(v3.loc[flip, "label"] == "stay", "churn", "stay")  # corrective
    v4 = v3.assign(age=np.arange(len(v3), dtype=np.int64) % 90)  # schema
    return [v1, v2, v3, v4]


def populate(reg: Any) -> list[pd.DataFrame]:
    """Save the four versions and a model trained on v2 (promoted to staging); return the frames."""
    fs = frames()
    for i, df in enumerate(fs):
        opts: dict[str, Any] = {"key": "patient_id", "label": "label"} if i == 0 else {}
        reg.save(df, "dataset:patients", metadata={"pii": True} if i == 0 else None, reason=f"v{i + 1}", **opts)
    reg.save({"weights": [0.1, 0.2]}, "model:risk", inputs=["dataset:patients@2"])
    reg.promote("model:risk@1", to="development")
    reg.promote("model:risk@1", to="staging")
    return fs


def needles() -> dict[str, bytes]:
    """The erased rows' distinctive values as bytes (UTF-8 strings; float64 little-endian)."""
    out = {k: k.encode() for k in ERASED}
    out.update({NAMES[k]: NAMES[k].encode() for k in ERASED})
    out.update({f"weight {WEIGHTS[k]}": struct.pack("<d", WEIGHTS[k]) for k in ERASED})
    return out


def expanded(data: bytes) -> list[bytes]:
    """``data`` and every zstd frame in it decompressed, and those un-byte-grouped for each element width."""
    import zstandard

    from lifecycle_ext.storage import blobformat as bf

    out = [data]
    start = 0
    while True:
        at = data.find(b"\x28\xb5\x2f\xfd", start)
        if at < 0:
            break
        start = at + 1
        try:
            raw = zstandard.ZstdDecompressor().decompressobj().decompress(data[at:])
        except zstandard.ZstdError:
            continue
        out.append(raw)
        arr = np.frombuffer(raw, dtype=np.uint8)
        for width in (2, 4, 8):
            ungrouped = np.empty_like(arr)
            bf._ungroup(arr, width, ungrouped)
            out.append(ungrouped.tobytes())
    return out


def find_needles(files: dict[str, bytes]) -> list[tuple[str, str]]:
    """(file, value) for every erased value found in any file (compressed content decompressed)."""
    found = []
    wanted = needles()
    for name, data in files.items():
        for chunk in expanded(data):
            for label, needle in wanted.items():
                if needle in chunk:
                    found.append((name, label))
    return sorted(set(found))


def expected_successor(df: pd.DataFrame) -> pd.DataFrame:
    return df[~df["patient_id"].isin(ERASED)]
