"""Generated data for monitoring tests (imported by the test modules)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def frame(n: int, seed: int, shift: float = 0.0, start: str = "2026-01-01") -> pd.DataFrame:
    """A mixed table; ``shift`` moves every feature's distribution."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10 + shift, 0.5, n)
    age = rng.integers(18, 80, n) + int(round(10 * shift))
    tenure = rng.normal(24 + 12 * shift, 6, n)
    tenure[rng.random(n) < 0.02] = np.nan
    p = np.array([0.5, 0.3, 0.2]) if shift == 0 else np.array([0.2, 0.3, 0.5])
    plan = rng.choice(["basic", "plus", "pro"], n, p=p)
    active = rng.random(n) < (0.7 - 0.3 * min(shift, 1.0))
    ts = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.integers(0, 24 * 3600, n), unit="s")
    return pd.DataFrame(
        {"income": income, "age": age, "tenure": tenure, "plan": plan, "active": active, "event_time": ts}
    )
