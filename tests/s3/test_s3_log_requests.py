"""The event log's requests on a real S3 server (SeaweedFS): packs make opening and ``audit(ref)`` cost
O(packs) requests, not O(events), and an append is one listing and one conditional PUT."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

import lifecycle_ext
from lifecycle_ext.core.errors import IntegrityError
from lifecycle_ext.storage.eventlog import FRESH_SECONDS, event_key
from tests.support.counting import RequestCounter
from tests.support.logbuild import build_log, upload

pytestmark = pytest.mark.s3

N, EVERY = 2_000, 200  # 10 packs


@pytest.fixture(scope="module")
def remote_log(s3_server, tmp_path_factory):
    local = tmp_path_factory.mktemp("log-build") / "reg"
    build_log(local, N, checkpoint_every=EVERY)
    url = f"s3://lifecycle/{uuid.uuid4().hex}"
    upload(local, url, s3_server)
    return url


def test_open_audit_and_append_request_counts(s3_server, remote_log):
    reg = lifecycle_ext.open_registry(remote_log, user="remote", checkpoint_every=EVERY, **s3_server)
    assert reg.state["seq"] == N - 1
    with RequestCounter(reg.storage.fs) as c:
        df = reg.audit("model:a3@4")
        audit = c.reset()
        assert list(df["action"]) == ["VersionCreated"] and df["ref"].tolist() == ["model:a3@4"]
        reg.tag("model:a3@4", "checked")
        reg.tag("model:a3@5", "checked")
        appends = c.reset()
    # one listing of packs, the 10 packs (in parallel), the single event that proves the newest pack, the probe
    # after the head (and the listing of events after the packs), nothing per event
    assert sum(audit.values()) <= 15 and audit["GetObject"] <= 11, audit
    # two tags: each one conditional PUT plus the state probe (a listing after the head) the service makes first
    assert appends["PutObject"] == 2 and sum(appends.values()) <= 4 and "HeadObject" not in appends, appends


def test_open_without_checkpoints_reads_packs_not_events(s3_server, remote_log):
    probe = lifecycle_ext.open_registry(remote_log, user="remote", checkpoint_every=EVERY, **s3_server)
    fs, root = probe.storage.fs, probe.storage.root
    for path in fs.ls(f"{root}/log/checkpoints", detail=False, refresh=True):
        fs.rm_file(path)
    with RequestCounter(fs) as c:
        reg = lifecycle_ext.open_registry(remote_log, user="remote", checkpoint_every=EVERY, **s3_server)
        opened = c.reset()
    assert reg.state["seq"] >= N - 1 and len(reg.state["assets"]) == 10
    assert sum(opened.values()) <= 30, opened  # 10 packs, a few listings; 2,000 events would be 2,000+ GETs
    assert reg.verify().ok


def test_concurrent_writers_seal_packs_on_s3(s3_server):
    url = f"s3://lifecycle/{uuid.uuid4().hex}"
    regs = [lifecycle_ext.open_registry(url, user=f"w{i}", checkpoint_every=5, **s3_server) for i in range(3)]

    def work(reg, k):
        for j in range(8):
            reg.log.append(lambda st, j=j: ("TagAdded", {"asset": f"model:k{k}", "number": 1, "tag": f"t{j}"}), "w")

    threads = [threading.Thread(target=work, args=(reg, k)) for k, reg in enumerate(regs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fresh = lifecycle_ext.open_registry(url, user="r", checkpoint_every=5, **s3_server)
    names = fresh.storage.list("log/packs")
    assert fresh.state["seq"] == 23 and len(names) >= 4
    assert [e["seq"] for e in fresh.log.events()] == list(range(24))
    assert fresh.verify().ok


def test_the_listing_probe_refuses_to_fill_a_lost_event_on_s3(s3_server):
    """Issue 14 on S3 without a HEAD for event N+1: the probe after the head shows the later event."""
    url = f"s3://lifecycle/{uuid.uuid4().hex}"
    tag = lambda i: lambda st: ("TagAdded", {"asset": "model:m", "number": 1, "tag": f"t{i}"})  # noqa: E731
    mine = lifecycle_ext.open_registry(url, user="a", **s3_server)
    mine.log.append(tag(0), "a")
    other = lifecycle_ext.open_registry(url, user="b", **s3_server)
    other.log.append(tag(1), "b")
    other.log.append(tag(2), "b")
    other.storage.delete(event_key(1))  # event 1 is lost; event 2 exists; `mine` never saw either
    time.sleep(FRESH_SECONDS)
    with pytest.raises(IntegrityError, match=r"event 1 is missing while event 2 exists"):
        mine.log.append(tag(9), "a")
    assert not mine.storage.exists(event_key(1))
