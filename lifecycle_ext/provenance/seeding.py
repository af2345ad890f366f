"""Seeding and RNG fingerprints. The same :func:`seed_all` is used by ``%%track --seed`` and by reproduce.

numpy and torch are touched only when already imported (``sys.modules``), so seeding never imports them.
"""

from __future__ import annotations

import array
import hashlib
import random
import sys
from typing import Any

__all__ = ["seed_all", "rng_fingerprints", "save_rng_states", "restore_rng_states"]


def seed_all(seed: int, only: list[str] | None = None) -> list[str]:
    """Seed ``random``, numpy's global RNG and torch (when imported); return what was seeded.

    ``only`` restricts seeding to the listed generators (reproduce passes what the original run seeded)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        from ..core.errors import UsageInputError

        raise UsageInputError(f"seed must be an integer in [0, 2**32), not {seed!r}")
    want = set(only) if only is not None else {"random", "numpy", "torch"}
    done = []
    if "random" in want:
        random.seed(seed)
        done.append("random")
    np = sys.modules.get("numpy")
    if np is not None and "numpy" in want:
        np.random.seed(seed)
        done.append("numpy")
    torch = sys.modules.get("torch")
    if torch is not None and "torch" in want and hasattr(torch, "manual_seed"):
        torch.manual_seed(seed)
        done.append("torch")
    return done


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def rng_fingerprints() -> dict[str, str]:
    """Short hashes of the global RNG states (which state a run started from, without storing it)."""
    version, internal, gauss = random.getstate()
    out = {"random": _digest(array.array("Q", internal).tobytes() + repr((version, gauss)).encode())}
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            st = np.random.get_state(legacy=True)
            out["numpy"] = _digest(st[1].tobytes() + str(st[2:]).encode())
        except Exception:  # noqa: BLE001 - a fingerprint must never break a cell
            pass
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            out["torch"] = _digest(bytes(torch.random.get_rng_state().numpy()))
        except Exception:  # noqa: BLE001
            pass
    return out


def save_rng_states() -> dict[str, Any]:
    st: dict[str, Any] = {"random": random.getstate()}
    np = sys.modules.get("numpy")
    if np is not None:
        st["numpy"] = np.random.get_state()
    torch = sys.modules.get("torch")
    if torch is not None:
        st["torch"] = torch.random.get_rng_state()
    return st


def restore_rng_states(st: dict[str, Any]) -> None:
    random.setstate(st["random"])
    np = sys.modules.get("numpy")
    if np is not None and "numpy" in st:
        np.random.set_state(st["numpy"])
    torch = sys.modules.get("torch")
    if torch is not None and "torch" in st:
        torch.random.set_rng_state(st["torch"])
