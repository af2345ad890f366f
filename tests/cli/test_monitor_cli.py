import json

import numpy as np
import pytest

from lifecycle_ext.cli import main
from tests.support.monitor_data import frame


@pytest.fixture
def setup(reg, tmp_path, capsys):
    reg.save(frame(5_000, seed=1), "dataset:train")
    reg.save({"w": 1}, "model:churn", inputs=["dataset:train@1"])
    ok = frame(2_000, seed=2).assign(score=np.random.default_rng(0).random(2_000), ms=5.0)
    ok.to_parquet(tmp_path / "ok.parquet")
    frame(2_000, seed=3, shift=1.0).to_csv(tmp_path / "bad.csv", index=False)
    capsys.readouterr()
    return str(reg.location), tmp_path


def test_monitor_exit_codes_and_json(setup, capsys, reg):
    loc, tmp = setup
    code = main(
        [
            "-R",
            loc,
            "--json",
            "monitor",
            "model:churn@1",
            "--batch",
            str(tmp / "ok.parquet"),
            "--predictions",
            "score",
            "--latency-ms",
            "ms",
            "--errors",
            "4",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["level"] == "ok" and out["evidence"]["errors"]["rate"] == 0.002
    assert out["evidence"]["latency"]["p95"] == 5.0 and "score" not in out["evidence"]["features"]
    code = main(["-R", loc, "monitor", "model:churn@1", "--batch", str(tmp / "bad.csv")])
    text = capsys.readouterr().out
    assert code == 1 and "ALERT" in text and "alert recorded" in text
    assert main(["-R", loc, "health", "churn"]) == 1 and "open alert" in capsys.readouterr().out
    assert main(["-R", loc, "--json", "drift_history", "model:churn"]) == 0
    hist = json.loads(capsys.readouterr().out)
    assert [b["level"] for b in hist["batches"]] in (["ok", "alert"], ["ok", "warn"])


def test_monitor_errors_are_one_line(setup, capsys):
    loc, tmp = setup
    assert main(["-R", loc, "monitor", "model:churn@1", "--batch", str(tmp / "nope.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert (
        main(["-R", loc, "monitor", "model:churn@1", "--batch", str(tmp / "ok.parquet"), "--predictions", "zzz"]) == 2
    )
    assert "no column 'zzz'" in capsys.readouterr().err


def test_review_command(setup, capsys, reg):
    loc, _ = setup
    assert (
        main(
            [
                "-R",
                loc,
                "review",
                "model:churn@1",
                "--summary",
                "fine",
                "--lessons",
                "a",
                "--lessons",
                "b",
                "--criteria-changes",
                "psi alert 0.2",
            ]
        )
        == 0
    )
    assert [r.lessons for r in reg.reviews("model:churn@1")] == [["a", "b"]]
    assert "review of model:churn@1" in capsys.readouterr().out
