"""Who is acting: ``$LIFECYCLE_USER``, else the OS user (surfaces may pass a Jupyter identity)."""

from __future__ import annotations

import getpass
import os
import re

from ..core.policy import user_key

__all__ = ["current_user", "clean_user", "env_user", "JUPYTER_USER_ENV"]

JUPYTER_USER_ENV = "LIFECYCLE_JUPYTER_USER"
"""Set by the server extension when it loads, to the name its REST API (hence the sidebar) acts as; kernels are
child processes of the server and inherit it, so a notebook widget can tell when it acts as somebody else."""

_USER_RE = re.compile(r"[^\w.@+\-]")


def clean_user(name: str) -> str:
    name = _USER_RE.sub("_", user_key(name))[:128]
    return name or "unknown"


def env_user() -> str | None:
    """The name ``$LIFECYCLE_USER`` claims (a claim: under ``require_signatures`` the key must match)."""
    env = os.environ.get("LIFECYCLE_USER")
    return clean_user(env) if env else None


def current_user() -> str:
    env = env_user()
    if env:
        return env
    try:
        return clean_user(getpass.getuser())
    except (KeyError, OSError):
        return "unknown"
