"""The public surface of ``lifecycle_ext``: a tested ``__all__``, ``py.typed`` in the wheel, a cheap import."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

import lifecycle_ext

ROOT = Path(__file__).resolve().parents[1]


def _defined_here(obj: object) -> bool:
    """A public member of the package, as opposed to a submodule or a name imported for annotations."""
    if isinstance(obj, types.ModuleType):
        return False
    module = getattr(obj, "__module__", None) or ""
    return module == "lifecycle_ext" or module.startswith("lifecycle_ext.")


def test_every_exported_name_exists():
    missing = [name for name in lifecycle_ext.__all__ if not hasattr(lifecycle_ext, name)]
    assert not missing


def test_all_public_members_are_exported_once_and_sorted():
    """httpx's exported-members test: ``__all__`` is exactly the public members, sorted."""
    public = {name for name, obj in vars(lifecycle_ext).items() if not name.startswith("_") and _defined_here(obj)}
    assert public | {"__version__"} == set(lifecycle_ext.__all__)
    assert len(set(lifecycle_ext.__all__)) == len(lifecycle_ext.__all__)
    assert lifecycle_ext.__all__ == sorted(lifecycle_ext.__all__, key=str.casefold)


def test_star_import_gives_exactly_all():
    ns: dict[str, object] = {}
    exec("from lifecycle_ext import *", ns)
    assert set(ns) - {"__builtins__"} == set(lifecycle_ext.__all__)


def test_importing_the_package_is_cheap():
    code = (
        "import sys, lifecycle_ext\n"
        "heavy = ('zarr', 'pandas', 'ipywidgets', 'pyarrow', 'jupyter_server', 'IPython')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", f"importing lifecycle_ext imported {r.stdout.strip()}"


def test_py_typed_ships_in_the_wheel():
    assert (ROOT / "lifecycle_ext" / "py.typed").is_file()
    wheel = pytest.importorskip("hatchling.builders.wheel")
    files = {f.distribution_path for f in wheel.WheelBuilder(str(ROOT)).recurse_included_files()}
    assert "lifecycle_ext/py.typed" in files
    assert "lifecycle_ext/__init__.py" in files
