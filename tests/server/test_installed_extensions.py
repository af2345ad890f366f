"""After `pip install .`, Jupyter lists both parts enabled: the prebuilt labextension and the server extension."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata

import pytest


@pytest.fixture(scope="module")
def installed() -> None:
    try:
        metadata.distribution("lifecycle-ext")
    except metadata.PackageNotFoundError:
        pytest.fail(
            "lifecycle-ext is not installed in this environment: run the README's test command "
            '(pip install ".[test]") so the wheel\'s prebuilt extension and config are in place'
        )


def _jupyter(*args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "jupyter", *args], capture_output=True, text=True, timeout=120)
    return re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # drop colour codes


def test_labextension_is_listed_enabled(installed: None) -> None:
    text = _jupyter("labextension", "list")
    assert re.search(r"lifecycle-ext v\S+ enabled OK", text), text


def test_server_extension_is_listed_enabled(installed: None) -> None:
    text = _jupyter("server", "extension", "list")
    assert re.search(r"lifecycle_ext\s+enabled", text), text
    assert re.search(r"lifecycle_ext \S+ OK", text), text
