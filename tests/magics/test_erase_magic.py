"""``%lifecycle erase`` and ``%lifecycle retention`` come from the action catalogue (docs/erasure.md)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def shown(ran: Any) -> str:
    return ran.cap.stdout + "".join(str(o.data) for o in ran.cap.outputs)


def test_erase_from_the_magic(ip: Any, reg: Any, cell: Any) -> None:
    reg.save(pd.DataFrame({"id": ["k1", "k2", "k3"], "v": [1.0, 2.0, 3.0]}), "dataset:d", key="id")
    ran = cell("%lifecycle erase dataset:d --keys k2 --keys k3 --reason 'erasure request' --basis 'GDPR Art. 17'")
    assert ran.result.success, ran.result.error_in_exec
    assert "dataset:d@1: 2 rows -> dataset:d@2" in shown(ran)
    assert list(reg.load("dataset:d")["id"]) == ["k1"]
    ran = cell("%lifecycle retention")
    assert ran.result.success and "0 version(s) due" in shown(ran)
