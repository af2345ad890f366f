"""Loading the extension is cheap: no zarr, pandas, ipywidgets (or numpy) and within the time budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUDGET_MS = 150

PROBE = r"""
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
before = set(sys.modules)
t0 = time.perf_counter()
ip.run_line_magic("load_ext", "lifecycle_ext")
ms = (time.perf_counter() - t0) * 1000
new = sorted(m for m in set(sys.modules) - before)
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"zarr", "pandas", "ipywidgets", "numpy", "xxhash"})
print(json.dumps({"ms": ms, "heavy": heavy, "new": new,
                  "magics": ["track" in ip.magics_manager.magics["cell"],
                             "lifecycle" in ip.magics_manager.magics["line"]]}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_load_ext_imports_nothing_heavy_and_is_fast() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=_env(), check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["magics"] == [True, True]
    assert res["heavy"] == [], res["new"]
    assert res["ms"] <= BUDGET_MS, f"%load_ext lifecycle_ext took {res['ms']:.1f} ms"
    assert not any(m.startswith("lifecycle_ext.storage") or m == "lifecycle_ext.registry.service" for m in res["new"])


def test_extension_loads_from_the_ipython_config_extensions_list(tmp_path: Path) -> None:
    code = "ip = get_ipython(); print('LOADED', 'track' in ip.magics_manager.magics['cell'])"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "IPython",
            "--no-banner",
            f"--ipython-dir={tmp_path}",
            "--quick",
            "--InteractiveShellApp.extensions=['lifecycle_ext']",
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert "LOADED True" in out.stdout, out.stdout + out.stderr


def test_unload_removes_the_magics() -> None:
    probe = (
        "from IPython.core.interactiveshell import InteractiveShell\nip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'lifecycle_ext')\nip.run_line_magic('unload_ext', 'lifecycle_ext')\n"
        "print('track' in ip.magics_manager.magics['cell'], 'lifecycle' in ip.magics_manager.magics['line'])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), check=True)
    assert out.stdout.split() == ["False", "False"]
