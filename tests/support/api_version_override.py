"""Test-only jupyter_server extension: the lifecycle server reports another REST API version.

Enabled next to ``lifecycle_ext`` (``jpserver_extensions``) in a lab started for the handshake test, it sets
``lifecycle_ext.server.API_VERSION``, the constant the ``version`` handler reports, so the sidebar meets a
server it does not speak to, as after a mismatched install. Nothing else changes.
"""

from __future__ import annotations

from typing import Any

MISMATCHED_API_VERSION = "999"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from lifecycle_ext import server

    server.API_VERSION = MISMATCHED_API_VERSION
    serverapp.log.warning("api_version_override: lifecycle REST API reports version %s", MISMATCHED_API_VERSION)
