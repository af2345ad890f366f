"""docs/exports.md: its Python example runs as written, and its TOML [notify] example is a valid policy section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lifecycle_ext.core.policy import parse_policy

DOC = Path(__file__).resolve().parents[3] / "docs" / "exports.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), re.S)


def test_the_python_example_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LIFECYCLE_FSYNC", "0")
    example = max(_blocks("python"), key=len)
    ns: dict[str, object] = {}
    exec(compile(example, str(DOC), "exec"), ns)
    out = capsys.readouterr().out
    assert "README.md" in out and "model_card.json" in out and "dataframe" in out
    assert "'2(d)': 'partial'" in out


def test_the_signature_check_is_right() -> None:
    import hashlib
    import hmac

    ns: dict[str, object] = {}
    exec(next(b for b in _blocks("python") if "is_genuine" in b), ns)
    is_genuine: Any = ns["is_genuine"]
    body = b'{"type": "VersionPromoted"}'
    good = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert is_genuine(body, good, "k") and not is_genuine(body + b" ", good, "k")


def test_the_notify_example_is_a_valid_section() -> None:
    (toml,) = [b for b in _blocks("toml") if "[notify]" in b]
    policy = parse_policy("version = 1\n" + toml)
    assert [h["secret_env"] for h in policy.notify["webhooks"]] == ["LIFECYCLE_WEBHOOK_SECRET"]
    assert policy.notify["commands"][0]["events"] == ["AlertRaised", "RolledBack"]
