"""Build an event log of N events quickly (through the event log itself, on a local folder) and copy it to a
remote store: the S3 request tests and benchmarks need thousands of events without thousands of slow PUTs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["append_versions", "build_log", "upload"]


def append_versions(
    reg: Any,
    names: list[str],
    count: int,
    *,
    kind: str = "model",
    start: int = 0,
    extra: Callable[[int], dict[str, Any]] | None = None,
    actor: str = "bench",
) -> None:
    """Append ``count`` VersionCreated events straight through the event log, cloned from the first version of
    ``KIND:names[0]`` (which must exist; its blobs are shared, so no blob is written). Event ``i`` adds the next
    version of ``names[(start + i) % len(names)]``, with ``extra(i)`` merged into its data."""
    template = {
        k: v
        for k, v in reg.state["assets"][f"{kind}:{names[0]}"]["versions"][0].items()
        if k not in ("number", "created_at", "author", "seq", "stage")
    }
    assets = reg.state["assets"]
    counts = {n: len(assets[f"{kind}:{n}"]["versions"]) if f"{kind}:{n}" in assets else 0 for n in names}
    for i in range(count):
        name = names[(start + i) % len(names)]
        counts[name] += 1
        data = dict(
            template, name=name, number=counts[name], parent=counts[name] - 1 or None, **(extra(i) if extra else {})
        )
        reg.log.append(lambda st, d=data: ("VersionCreated", d), actor)


def build_log(path: Path, n_events: int, *, checkpoint_every: int = 1000, n_assets: int = 10) -> None:
    """``n_events`` VersionCreated events over ``n_assets`` assets (``model:a0``..), one shared tiny blob."""
    import lifecycle_ext

    reg = lifecycle_ext.open_registry(path, user="bench", fsync=False, checkpoint_every=checkpoint_every)
    reg.save({"w": 0}, "model:a0", params={"lr": 0.1})
    append_versions(reg, [f"a{i}" for i in range(n_assets)], n_events - 1, start=1)
    assert reg.state["seq"] == n_events - 1


def upload(local: Path, url: str, storage_options: dict[str, Any]) -> None:
    """Copy the registry folder ``local`` to ``url`` (without its ``tmp`` folder)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url, **storage_options)
    files = [p for p in local.rglob("*") if p.is_file() and "tmp" not in p.relative_to(local).parts[:1]]
    fs.put([str(p) for p in files], [f"{root}/{p.relative_to(local).as_posix()}" for p in files])
