from __future__ import annotations

import sys
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output


@pytest.fixture(scope="session")
def _shell() -> Any:
    real_main = sys.modules["__main__"]
    ip = InteractiveShell.instance()
    # IPython swaps in its own __main__; put the real one back so later tests (multiprocessing spawn) work.
    sys.modules["__main__"] = real_main
    ip.run_line_magic("load_ext", "lifecycle_ext")
    yield ip
    ip.run_line_magic("unload_ext", "lifecycle_ext")
    InteractiveShell.clear_instance()
    sys.modules["__main__"] = real_main


@pytest.fixture
def ip(_shell: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A real InteractiveShell with the extension loaded, a clean namespace and a fresh registry."""
    _shell.reset(new_session=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    run(_shell, f"%lifecycle registry {tmp_path / 'reg'}")
    return _shell


@pytest.fixture
def reg(ip: Any) -> Any:
    from lifecycle_ext.magics.lifecycle_magics import LifecycleMagics

    magics = ip.magics_manager.registry["LifecycleMagics"]
    assert isinstance(magics, LifecycleMagics)
    return magics.session.registry()


class Ran:
    def __init__(self, result: Any, cap: Any) -> None:
        self.result, self.cap = result, cap

    @property
    def error(self) -> BaseException | None:
        return self.result.error_in_exec or self.result.error_before_exec

    @property
    def html(self) -> str:
        return "\n".join(o.data.get("text/html", "") for o in self.cap.outputs)

    @property
    def text(self) -> str:
        return self.cap.stdout + "\n".join(o.data.get("text/plain", "") for o in self.cap.outputs)


def run(ip: Any, source: str) -> Ran:
    with capture_output() as cap:
        result = ip.run_cell(source, store_history=True)
    return Ran(result, cap)


@pytest.fixture
def cell(ip: Any) -> Any:
    """``cell(source) -> Ran``: run one cell in the shell, capturing its displays."""
    return lambda source: run(ip, source)
