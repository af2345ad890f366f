"""Every storage backend passes the same suite (local folder, memory twin, fsspec URLs)."""

from __future__ import annotations

import threading

import pytest

from lifecycle_ext.core.errors import InvalidRef, NotFound
from lifecycle_ext.storage.local import LocalStorage
from lifecycle_ext.storage.memory import MemoryStorage
from lifecycle_ext.storage.remote import FsspecStorage


@pytest.fixture(params=["local", "memory", "fsspec-memory"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "r")
    if request.param == "memory":
        return MemoryStorage()
    if request.param == "fsspec-memory":
        return FsspecStorage(f"memory://conf-{tmp_path.name}/r")


def test_create_is_exclusive_and_whole(storage):
    assert storage.create("a/b/c.json", b"one")
    assert not storage.create("a/b/c.json", b"two")
    assert storage.read("a/b/c.json") == b"one"


def test_read_missing_is_notfound(storage):
    with pytest.raises(NotFound, match="missing"):
        storage.read("nope/x")


def test_replace_and_list_and_delete(storage):
    storage.replace("cp/1.json", b"x")
    storage.replace("cp/1.json", b"y")
    storage.create("cp/2.json", b"z")
    assert storage.read("cp/1.json") == b"y"
    assert storage.list("cp") == ["1.json", "2.json"]
    assert storage.list("nothing-here") == []
    storage.delete("cp/1.json")
    assert not storage.exists("cp/1.json")
    assert storage.exists("cp/2.json")
    assert storage.age_seconds("cp/2.json") >= 0


def test_concurrent_create_has_one_winner(storage):
    wins = []

    def go(i):
        if storage.create("race/key", f"writer {i}".encode()):
            wins.append(i)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert storage.read("race/key") == f"writer {wins[0]}".encode()


def test_local_refuses_path_tricks(tmp_path):
    s = LocalStorage(tmp_path / "r")
    for bad in ("../escape", "/abs", "a/../../b", "a\\b"):
        with pytest.raises(InvalidRef):
            s.create(bad, b"x")
    assert not (tmp_path / "escape").exists()
