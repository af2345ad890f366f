"""REST routes under ``/lifecycle/api/``: each one parses its input, calls ONE service method, returns JSON.

Route names and argument names are the service's (``promote?ref=&to=&reason=`` is ``reg.promote(ref, to=,
reason=)``). The contract is ``openapi.json``.
"""

from __future__ import annotations

import threading
from typing import Any

from jupyter_server.utils import url_path_join

from ..core.errors import NotFound, UsageInputError
from .base import LifecycleHandler
from .serialize import frame_records, jsonable, version_dict

__all__ = ["setup_handlers", "ROUTES"]

STAGE_ACTIONS = ("promote", "request_promotion", "approve", "reject")


class VersionHandler(LifecycleHandler):
    """The handshake: the sidebar checks it speaks the same API version as the server."""

    def read(self) -> Any:
        from .. import __version__
        from . import API_VERSION
        return {"package": __version__, "api": API_VERSION, "user": self.lifecycle_user}


class HeadHandler(LifecycleHandler):
    """The registry's event sequence number: the sidebar polls it and refreshes when it moves."""

    def read(self) -> Any:
        reg = self.registry()
        st = reg.state
        return {"seq": st["seq"], "head": st["head"], "location": str(reg.location)}


class AssetsHandler(LifecycleHandler):
    def read(self) -> Any:
        return {"assets": frame_records(self.registry().assets(self.arg("kind")))}


class VersionsHandler(LifecycleHandler):
    def read(self) -> Any:
        name = self.arg("name", required=True)
        rows = []
        for r in frame_records(self.registry().versions(name)):
            metrics = {k[len("metric."):]: r.pop(k) for k in list(r) if k.startswith("metric.")}
            r["metrics"] = {k: v for k, v in metrics.items() if v is not None}
            rows.append(r)
        asset = rows[0]["ref"].split("@", 1)[0] if rows else name
        return {"asset": asset, "versions": rows}


class GetHandler(LifecycleHandler):
    def read(self) -> Any:
        reg = self.registry()
        ref = self.arg("ref", required=True)
        out = version_dict(reg.get(ref))
        out["deployment"] = None
        try:
            out["deployment"] = jsonable(reg.deployment(out["ref"]))
        except NotFound:  # never deployed: no record, not an error for this view
            pass
        return out


class LineageHandler(LifecycleHandler):
    def read(self) -> Any:
        lin = self.registry().lineage(self.arg("ref", required=True), direction=self.arg("direction", default="both"),
                                      depth=self.int_arg("depth"))
        return {"root": lin.root, "direction": lin.direction, "nodes": jsonable(lin.nodes),
                "edges": [list(e) for e in lin.edges], "upstream": lin.upstream, "downstream": lin.downstream}


class DiffHandler(LifecycleHandler):
    def read(self) -> Any:
        reg = self.registry()
        return jsonable(reg.diff(self.arg("a", required=True), self.arg("b", required=True)))


class GatesHandler(LifecycleHandler):
    def read(self) -> Any:
        reg = self.registry()
        report = reg.gates(self.arg("ref", required=True), to=self.arg("to", required=True))
        return jsonable(report)


class PermissionsHandler(LifecycleHandler):
    """What the current user may do (computed by the service's authorization, not guessed by the client)."""

    def read(self) -> Any:
        reg = self.registry()
        return jsonable(reg.permissions(self.arg("ref"), to=self.arg("to")))


class PendingHandler(LifecycleHandler):
    def read(self) -> Any:
        return {"pending": jsonable(self.registry().pending())}


class AuditHandler(LifecycleHandler):
    def read(self) -> Any:
        return {"events": jsonable(self.registry().audit(self.arg("ref")))}


# -- actions (POST, JSON body with the service's argument names) ---------------------------------------

def _fields(body: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    unknown = set(body) - set(required) - set(optional)
    if unknown:
        raise UsageInputError(f"unknown field(s) in request body: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for k in required:
        v = body.get(k)
        if not isinstance(v, str) or not v.strip():
            raise UsageInputError(f"field {k!r} is required and must be a non-empty string")
        out[k] = v
    for k in optional:
        if k in body and body[k] is not None:
            v = body[k]
            if k == "force":
                if not isinstance(v, bool):
                    raise UsageInputError("field 'force' must be true or false")
            elif not isinstance(v, str):
                raise UsageInputError(f"field {k!r} must be a string")
            out[k] = v
    return out


def _result(reg: Any, value: Any) -> dict[str, Any]:
    return {"result": jsonable(value), "seq": reg.state["seq"]}


class StageActionHandler(LifecycleHandler):
    """promote / request_promotion / approve / reject: ``{ref, to, reason}`` (+ ``force``, ``known_limitations``
    for promote)."""

    def initialize(self, action: str) -> None:  # type: ignore[override]
        self.action = action

    def act(self, body: dict[str, Any]) -> Any:
        f = _fields(body, ("ref", "to", "reason"), ("force", "known_limitations") if self.action == "promote" else ())
        reg = self.registry()
        ref = f.pop("ref")
        return _result(reg, getattr(reg, self.action)(ref, **f))


class RollbackHandler(LifecycleHandler):
    def act(self, body: dict[str, Any]) -> Any:
        f = _fields(body, ("name", "reason"))
        reg = self.registry()
        return _result(reg, reg.rollback(f.pop("name"), **f))


class RetireHandler(LifecycleHandler):
    def act(self, body: dict[str, Any]) -> Any:
        f = _fields(body, ("ref", "reason"), ("replaced_by",))
        reg = self.registry()
        return _result(reg, reg.retire(f.pop("ref"), **f))


ROUTES: list[tuple[str, type[LifecycleHandler], dict[str, Any] | None]] = [
    ("version", VersionHandler, None),
    ("head", HeadHandler, None),
    ("assets", AssetsHandler, None),
    ("versions", VersionsHandler, None),
    ("get", GetHandler, None),
    ("lineage", LineageHandler, None),
    ("diff", DiffHandler, None),
    ("gates", GatesHandler, None),
    ("permissions", PermissionsHandler, None),
    ("pending", PendingHandler, None),
    ("audit", AuditHandler, None),
    *[(a, StageActionHandler, {"action": a}) for a in STAGE_ACTIONS],
    ("rollback", RollbackHandler, None),
    ("retire", RetireHandler, None),
]


def setup_handlers(serverapp: Any) -> None:
    from ..registry.compose import open_registry
    from .config import LifecycleConfig, resolve_location

    cfg = LifecycleConfig(parent=serverapp)
    location = resolve_location(cfg.registry, getattr(serverapp, "root_dir", "."))
    lock = threading.Lock()
    cache: dict[str, Any] = {}

    def registry() -> Any:
        with lock:
            if "reg" not in cache:
                cache["reg"] = open_registry(location)
            return cache["reg"]

    web_app = serverapp.web_app
    web_app.settings["lifecycle_registry"] = registry
    web_app.settings["lifecycle_location"] = location
    base = url_path_join(web_app.settings["base_url"], "lifecycle", "api")
    handlers = [(url_path_join(base, name), cls, *([kw] if kw else [])) for name, cls, kw in ROUTES]
    web_app.add_handlers(".*$", handlers)
    serverapp.log.info("lifecycle_ext: REST API at %s, registry %s", base, location)
