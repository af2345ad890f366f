import json

import numpy as np
import pytest

from lifecycle_ext.storage.eventlog import event_key


def _flip(path):
    b = bytearray(path.read_bytes())
    b[len(b) // 2] ^= 0x01
    path.write_bytes(bytes(b))


def test_verify_clean(reg):
    reg.save(np.arange(1000), "model:m")
    rep = reg.verify()
    assert rep.ok and rep.events == 1 and rep.blobs >= 3 and rep.bytes > 8000


def test_verify_names_ref_of_flipped_chunk(reg):
    v = reg.save(np.arange(1000), "model:m")
    other = reg.save(np.ones(10), "model:other")
    cid = reg.manifest(v.ref)["entries"]["data/c/0"]
    _flip(reg.storage.root / reg.blobs.key(cid))
    rep = reg.verify()
    assert not rep.ok
    assert {p["ref"] for p in rep.problems} == {"model:m@1"}
    assert "corrupt" in rep.problems[0]["problem"] and "data/c/0" in rep.problems[0]["object"]
    assert reg.verify(other.ref).ok and not reg.verify(v.ref).ok
    try:
        reg.load(v.ref)
        raise AssertionError("load of a corrupt version must fail")
    except Exception as exc:  # zarr may wrap it; the IntegrityError must be in the chain
        chain, e = [], exc
        while e is not None:
            chain.append(type(e).__name__ + str(e))
            e = e.__cause__ or e.__context__
        assert any("IntegrityError" in c and cid in c for c in chain)


def test_verify_reports_missing_blob(reg):
    v = reg.save(np.arange(100), "model:m")
    (reg.storage.root / reg.blobs.key(v.content_hash)).unlink()
    rep = reg.verify()
    assert [(p["ref"], p["problem"]) for p in rep.problems] == [("model:m@1", "missing")]


def test_verify_detects_edited_event(reg):
    reg.save([1], "dataset:d", note="honest")
    reg.save([2], "dataset:d")
    p = reg.storage.root / event_key(0)
    ev = json.loads(p.read_bytes())
    ev["data"]["note"] = "edited"
    p.write_text(json.dumps(ev))
    rep = reg.verify()
    assert not rep.ok and any("event 0" in x["problem"] and "hash" in x["problem"] for x in rep.problems)


def test_verify_detects_rehashed_edit_by_chain(reg):
    from lifecycle_ext.core.events import event_hash

    reg.save([1], "dataset:d")
    reg.save([2], "dataset:d")
    p = reg.storage.root / event_key(0)
    ev = json.loads(p.read_bytes())
    ev["actor"] = "mallory"
    ev["hash"] = event_hash(ev)  # a careful forger recomputes the event's own hash...
    p.write_text(json.dumps(ev))
    rep = reg.verify()  # ...but the next event's prev link no longer matches
    assert any("event 1" in x["problem"] and "chain broken" in x["problem"] for x in rep.problems)


def test_gc_removes_only_unreferenced(reg):
    v = reg.save(np.arange(1000), "model:m")
    orphan, _ = reg.blobs.put(b"orphan bytes from a crashed save")
    assert reg.gc(grace_seconds=3600).removed == 0  # too young: may belong to a save in flight
    rep = reg.gc(grace_seconds=0)
    assert rep.removed == 1 and not reg.blobs.has(orphan)
    assert reg.verify().ok
    np.testing.assert_array_equal(reg.load(v.ref), np.arange(1000))


def test_gc_keeps_the_bases_of_delta_chunks(reg):
    w0 = np.random.default_rng(0).standard_normal((512, 1024)).astype(np.float32)
    v1 = reg.save(w0, "model:ft")
    w1 = w0 * (1 + 1e-4 * np.random.default_rng(1).standard_normal(w0.shape)).astype(np.float32)
    v2 = reg.save(w1, "model:ft")
    assert v2.new_bytes < 0.6 * w1.nbytes  # stored as deltas against v1's chunks
    cid = reg.manifest(v2.ref)["entries"]["data/c/0/0"]
    assert reg.blobs.base_of(cid) == reg.manifest(v1.ref)["entries"]["data/c/0/0"]
    reg.gc(grace_seconds=0)
    assert np.array_equal(reg.load(v2.ref), w1) and np.array_equal(reg.load(v1.ref), w0)
    assert reg.verify().ok


def test_verify_rereads_compressed_chunks_that_reads_have_cached(reg):
    v = reg.save(np.arange(1 << 20, dtype=np.int64), "model:ints")  # compresses: stored as a zstd frame
    cid = reg.manifest(v.ref)["entries"]["data/c/0"]
    assert np.array_equal(reg.load(v.ref), np.arange(1 << 20))  # decoded once, now in the decoded cache
    path = reg.storage.root / reg.blobs.key(cid)
    assert path.stat().st_size < (1 << 23) // 10
    _flip(path)
    rep = reg.verify()
    assert not rep.ok and "data/c/0" in rep.problems[0]["object"]


def test_verify_names_a_corrupt_delta_chunk_and_its_ref(reg):
    w0 = np.random.default_rng(0).standard_normal((512, 1024)).astype(np.float32)
    reg.save(w0, "model:ft")
    w1 = w0 * (1 + 1e-4 * np.random.default_rng(1).standard_normal(w0.shape)).astype(np.float32)
    v2 = reg.save(w1, "model:ft")
    cid = reg.manifest(v2.ref)["entries"]["data/c/0/0"]
    assert reg.blobs.base_of(cid) is not None  # stored as a delta
    assert reg.verify().ok
    _flip(reg.storage.root / reg.blobs.key(cid))
    rep = reg.verify()
    assert not rep.ok and {p["ref"] for p in rep.problems} == {"model:ft@2"}
    assert "corrupt" in rep.problems[0]["problem"] and "data/c/0/0" in rep.problems[0]["object"]


def test_verify_checks_the_manifest_digests_in_the_same_pass(reg):
    """verify() checks every digest a manifest records (raw, compressed and delta chunks alike): the digests
    are what signatures cover. A digest that disagrees is reported as such (BLAKE3 for new manifests, SHA-256
    for older ones); a digest of an unknown algorithm is reported, never passed."""
    import hashlib

    import blake3

    from lifecycle_ext.core.errors import IntegrityError

    w0 = np.random.default_rng(0).standard_normal((512, 1024)).astype(np.float32)
    v1 = reg.save(w0, "model:ft")
    w1 = w0 * (1 + 1e-4 * np.random.default_rng(1).standard_normal(w0.shape)).astype(np.float32)
    v2 = reg.save(w1, "model:ft")
    ints = reg.save(np.arange(1 << 20, dtype=np.int64), "model:ints")  # a zstd frame
    for v in (v1, v2, ints):
        m = reg.manifest(v.ref)
        for key, cid in m["entries"].items():
            assert m["digests"][key].startswith("blake3:")
            size, ok = reg.blobs.verify_blob(cid, m["digests"][key])
            assert ok and size == len(reg.blobs.get(cid))
            content = bytes(reg.blobs.get(cid))
            assert reg.blobs.verify_blob(cid, "sha256:" + hashlib.sha256(content).hexdigest()) == (size, True)
            assert reg.blobs.verify_blob(cid, "sha256:" + hashlib.sha256(b"other").hexdigest()) == (size, False)
            assert reg.blobs.verify_blob(cid, "blake3:" + blake3.blake3(b"other").hexdigest()) == (size, False)
            assert reg.blobs.verify_blob(cid) == (size, True)
            with pytest.raises(IntegrityError, match="unknown content digest algorithm 'md5'"):
                reg.blobs.verify_blob(cid, "md5:" + hashlib.md5(content).hexdigest())
    svc = reg._svc.integrity
    cid = reg.manifest(ints.ref)["entries"]["data/c/0"]
    size = len(reg.blobs.get(cid))
    assert svc._check_blob(cid) == (None, size)
    svc._digests[cid] = "blake3:" + blake3.blake3(b"not these bytes").hexdigest()
    assert svc._check_blob(cid) == ("does not match its BLAKE3 digest in the manifest", size)
    svc._digests[cid] = "sha256:" + hashlib.sha256(b"not these bytes").hexdigest()
    assert svc._check_blob(cid) == ("does not match its SHA-256 digest in the manifest", size)
    svc._digests[cid] = "crc32:0000"
    problem, _ = svc._check_blob(cid)
    assert problem is not None and "unknown content digest algorithm 'crc32'" in problem


def test_versions_written_with_sha256_digests_still_verify_and_a_re_save_records_blake3(reg, monkeypatch):
    """Manifests written before BLAKE3 record SHA-256: verify() checks them, and a re-save of such a version
    records BLAKE3 for every chunk (changed or not), so the new version's content hash is what content_hash()
    computes from the object alone."""
    from lifecycle_ext.storage import digests

    arr = np.random.default_rng(0).standard_normal((4096, 1024)).astype(np.float32)  # 16 MiB: several chunks
    monkeypatch.setattr(digests, "ALGORITHM", "sha256")  # what the writer did before
    old = reg.save(arr, "model:big")
    monkeypatch.undo()
    assert all(d.startswith("sha256:") for d in reg.manifest(old.ref)["digests"].values())
    changed = arr.copy()
    changed[:8] += 1.0
    new = reg.save(changed, "model:big")
    assert all(d.startswith("blake3:") for d in reg.manifest(new.ref)["digests"].values())
    assert reg.content_hash(changed) == new.content_hash
    assert reg.verify().ok
    key = next(k for k in reg.manifest(old.ref)["entries"] if "/c/" in k)
    _flip(reg.storage.root / reg.blobs.key(reg.manifest(old.ref)["entries"][key]))
    assert not reg.verify().ok


def test_a_re_save_takes_unchanged_chunks_digests_from_the_parent_manifest(reg, monkeypatch):
    """Re-saving after a small change digests only the changed chunks: the unchanged ones keep the parent
    manifest's digest of the stored bytes (re-hashing them made a 1% re-save cost 2-3x np.save)."""
    from lifecycle_ext.storage import digests

    arr = np.random.default_rng(0).standard_normal((4096, 1024)).astype(np.float32)  # 16 MiB: several chunks
    v1 = reg.save(arr, "model:big")
    changed = arr.copy()
    changed[:8] += 1.0  # the first rows only: one chunk changes
    hashed: list[int] = []
    real = digests.digest

    def counting(data):
        hashed.append(memoryview(data).nbytes)
        return real(data)

    monkeypatch.setattr(digests, "digest", counting)
    v2 = reg.save(changed, "model:big")
    monkeypatch.undo()
    m1, m2 = reg.manifest(v1.ref), reg.manifest(v2.ref)
    chunk_keys = [k for k in m2["entries"] if "/c/" in k]
    unchanged = [k for k in chunk_keys if m2["entries"][k] == m1["entries"].get(k)]
    assert len(chunk_keys) > 2 and 0 < len(unchanged) < len(chunk_keys)
    assert all(m2["digests"][k] == m1["digests"][k] for k in unchanged)
    chunk_bytes = arr.nbytes // len(chunk_keys)
    assert sum(n for n in hashed if n >= chunk_bytes // 2) <= (len(chunk_keys) - len(unchanged)) * chunk_bytes
    assert reg.verify().ok  # every digest still matches its stored bytes
