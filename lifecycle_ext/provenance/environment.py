"""The kernel's environment, captured once and then only refreshed when new packages are imported.

``capture_environment()`` returns a JSON-able dict: Python and platform, user, hostname, versions of the
top-level packages imported so far (via ``importlib.metadata``), the git commit and dirty flag of the working
directory's repository, and the torch accelerator when torch is imported. The tracker stores it as a blob by
hash, so each version only references it.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from typing import Any

__all__ = ["EnvironmentCache", "capture_environment", "git_info", "package_versions"]

_dist_map: dict[str, list[str]] | None = None


def _packages_distributions() -> dict[str, list[str]]:
    global _dist_map
    if _dist_map is None:
        from importlib.metadata import packages_distributions

        _dist_map = packages_distributions()
    return _dist_map


def _top_modules() -> frozenset[str]:
    return frozenset(m.partition(".")[0] for m in list(sys.modules) if not m.startswith("_"))


def package_versions(modules: frozenset[str] | None = None) -> dict[str, str]:
    """Versions of the installed distributions that provide the imported top-level modules."""
    from importlib.metadata import PackageNotFoundError, version

    std = getattr(sys, "stdlib_module_names", frozenset())
    dists = _packages_distributions()
    out: dict[str, str] = {}
    for mod in sorted(modules if modules is not None else _top_modules()):
        if mod in std or mod in sys.builtin_module_names:
            continue
        for dist in dists.get(mod, []):
            if dist in out:
                continue
            try:
                out[dist] = version(dist)
            except PackageNotFoundError:
                continue
    return dict(sorted(out.items()))


def git_info(cwd: str | None = None) -> dict[str, Any] | None:
    """Commit and dirty flag of the git repository containing ``cwd`` (None outside a repository)."""

    def git(*args: str) -> str | None:
        try:
            res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return None
        return res.stdout.strip() if res.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status), "branch": git("rev-parse", "--abbrev-ref", "HEAD")}


def _accelerator() -> str | None:
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        if torch.cuda.is_available():
            return f"cuda:{torch.cuda.get_device_name(0)}"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
    except Exception:  # noqa: BLE001 - environment capture must not break a cell
        return None
    return "cpu"


def capture_environment(cwd: str | None = None, modules: frozenset[str] | None = None) -> dict[str, Any]:
    from ..registry.principal import current_user

    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "user": current_user(),
        "hostname": socket.gethostname(),
        "cwd": os.path.abspath(cwd or os.getcwd()),
        "packages": package_versions(modules),
        "git": git_info(cwd),
        "accelerator": _accelerator(),
    }


class EnvironmentCache:
    """Captures the environment once per kernel; recaptures only the package list when new top-level
    modules were imported since (a cheap ``len(sys.modules)`` check guards the set comparison)."""

    def __init__(self) -> None:
        self.env: dict[str, Any] | None = None
        self._modules: frozenset[str] = frozenset()
        self._n_modules = -1
        self._cwd = ""
        self.captures = 0

    def get(self) -> dict[str, Any]:
        cwd = os.getcwd()
        if self.env is not None and len(sys.modules) == self._n_modules and cwd == self._cwd:
            return self.env
        mods = _top_modules()
        if self.env is None or cwd != self._cwd:
            self.env = capture_environment(cwd, mods)
            self.captures += 1
        elif mods != self._modules:
            self.env = {**self.env, "packages": package_versions(mods)}
        self._modules, self._n_modules, self._cwd = mods, len(sys.modules), cwd
        return self.env
