"""REST routes under ``/lifecycle/api/``, generated from the action catalogue.

Every catalogue action with a ``rest`` entry is one route named after it: ``GET assets?kind=`` is
``reg.assets(kind)``, ``POST promote`` with ``{"ref", "to", "reason"}`` is ``reg.promote(ref, to=, reason=)``.
Reads answer the result in its one JSON shape (wrapped in the action's envelope, ``{"assets": [...]}``);
writes answer ``{"result": ..., "seq": ...}``. Two meta routes are not actions: ``version`` (the handshake)
and ``head`` (the poll). The contract is ``openapi.json``, checked against the catalogue by a test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from jupyter_server.utils import url_path_join
from tornado import web

from ..core.errors import UsageInputError
from ..registry.actions import CATALOGUE, Action, Arg, Catalogue
from ..registry.serialize import next_cursor, result_json
from .base import LifecycleHandler

__all__ = ["setup_handlers", "ROUTES", "META_ROUTES", "routes", "query_values", "body_values", "run_action"]


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


#: routes that are not catalogue actions
META_ROUTES: dict[str, type[LifecycleHandler]] = {"version": VersionHandler, "head": HeadHandler}


# -- input: query parameters (reads) and JSON body fields (writes), typed by the catalogue ---------------


def query_values(action: Action, get: Callable[[str], str | None]) -> dict[str, Any]:
    """The action's argument values from query parameters (``get(name)``; absent or empty means default)."""
    out: dict[str, Any] = {}
    for arg in action.args:
        raw = get(arg.name)
        if raw is None or raw == "":
            if arg.required_over_rest:
                raise UsageInputError(f"query parameter {arg.name!r} is required")
            continue
        out[arg.name] = _from_text(arg, raw)
    return out


def _from_text(arg: Arg, raw: str) -> Any:
    if arg.choices and raw not in arg.choices:
        raise UsageInputError(f"query parameter {arg.name!r} must be one of {', '.join(arg.choices)}, not {raw!r}")
    if arg.type is bool:
        if raw not in ("true", "false"):
            raise UsageInputError(f"query parameter {arg.name!r} must be true or false, not {raw!r}")
        return raw == "true"
    if arg.type in (int, float):
        try:
            return arg.type(raw)
        except ValueError:
            kind = "an integer" if arg.type is int else "a number"
            raise UsageInputError(f"query parameter {arg.name!r} must be {kind}, not {raw!r}") from None
    return raw


def body_values(action: Action, body: dict[str, Any]) -> dict[str, Any]:
    """The action's argument values from a JSON body (service argument names; unknown fields refused)."""
    unknown = set(body) - {a.name for a in action.args}
    if unknown:
        raise UsageInputError(f"unknown field(s) in request body: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for arg in action.args:
        v = body.get(arg.name)
        if arg.required_over_rest and arg.type is str and (not isinstance(v, str) or not v.strip()):
            raise UsageInputError(f"field {arg.name!r} is required and must be a non-empty string")
        if v is None:
            if arg.required_over_rest:
                raise UsageInputError(f"field {arg.name!r} is required")
            continue
        if arg.type is bool and not isinstance(v, bool):
            raise UsageInputError(f"field {arg.name!r} must be true or false")
        if arg.type is int and (not isinstance(v, int) or isinstance(v, bool)):
            raise UsageInputError(f"field {arg.name!r} must be an integer")
        if arg.type is float and (not isinstance(v, (int, float)) or isinstance(v, bool)):
            raise UsageInputError(f"field {arg.name!r} must be a number")
        if arg.type is str and not isinstance(v, str):
            raise UsageInputError(f"field {arg.name!r} must be a string")
        if arg.choices and v not in arg.choices:
            raise UsageInputError(f"field {arg.name!r} must be one of {', '.join(arg.choices)}")
        out[arg.name] = v
    return out


def run_action(action: Action, reg: Any, values: dict[str, Any]) -> Any:
    """Call the action on ``reg`` and answer its JSON: the shaped result (in its envelope) for a read,
    ``{"result", "seq"}`` for a write."""
    assert action.rest is not None
    result = action.call(reg, values)
    data = result_json(action, result, reg, values)
    if action.rest.write:
        return {"result": data, "seq": reg.state["seq"]}
    if action.rest.envelope:
        data = {action.rest.envelope: data}
    if any(a.name == "cursor" for a in action.args) and isinstance(data, dict):
        data["next"] = next_cursor(result)  # a paged list: where the next page starts (null on the last)
    return data


class ActionHandler(LifecycleHandler):
    """One catalogue action: GET for reads, POST for writes (the other method is 405)."""

    def initialize(self, action: Action) -> None:  # type: ignore[override]  # tornado passes route kwargs here
        self.action = action

    def read(self) -> Any:
        if self.action.rest is None or self.action.rest.method != "GET":
            raise web.HTTPError(405)
        values = query_values(self.action, lambda name: self.get_query_argument(name, default=None))
        return run_action(self.action, self.registry(), values)

    def act(self, body: dict[str, Any]) -> Any:
        if self.action.rest is None or self.action.rest.method != "POST":
            raise web.HTTPError(405)
        return run_action(self.action, self.registry(), body_values(self.action, body))


def routes(catalogue: Catalogue | None = None) -> list[tuple[str, type[LifecycleHandler], dict[str, Any] | None]]:
    """(route, handler class, initialize kwargs): the meta routes, then one per REST action of ``catalogue``."""
    cat = CATALOGUE if catalogue is None else catalogue
    return [
        *((name, cls, None) for name, cls in META_ROUTES.items()),
        *((a.name, ActionHandler, {"action": a}) for a in cat.rest()),
    ]


ROUTES = routes()


def publish_sidebar_user(serverapp: Any, configured: str) -> str | None:
    """Tell the kernels this server starts who its REST API -- the sidebar -- acts as: ``$LIFECYCLE_JUPYTER_USER``
    in the server's environment, which kernels (its child processes) inherit; the widgets compare it with the user
    they act as. A single-user server acts as ``c.LifecycleConfig.user``; a JupyterHub single-user server as the
    hub user; any other identity provider names each request's user, so there is no one name to publish."""
    import os

    from ..registry.principal import JUPYTER_USER_ENV, clean_user
    from .base import single_user

    provider = getattr(serverapp, "identity_provider", None)
    name = configured if single_user(provider) else os.environ.get("JUPYTERHUB_USER")
    if name:
        os.environ[JUPYTER_USER_ENV] = clean_user(name)
        return os.environ[JUPYTER_USER_ENV]
    os.environ.pop(JUPYTER_USER_ENV, None)
    return None


def setup_handlers(serverapp: Any, catalogue: Catalogue | None = None) -> None:
    from ..registry.compose import open_registry
    from ..storage.options import describe
    from .config import LifecycleConfig, resolve_location

    cfg = LifecycleConfig(parent=serverapp)
    location = resolve_location(cfg.registry, getattr(serverapp, "root_dir", "."))
    options = dict(cfg.storage_options)
    lock = threading.Lock()
    cache: dict[str, Any] = {}

    def registry() -> Any:
        with lock:
            if "reg" not in cache:
                cache["reg"] = open_registry(location, **options)
            return cache["reg"]

    web_app = serverapp.web_app
    web_app.settings["lifecycle_registry"] = registry
    web_app.settings["lifecycle_user"] = cfg.user
    web_app.settings["lifecycle_location"] = location
    publish_sidebar_user(serverapp, cfg.user)
    base = url_path_join(web_app.settings["base_url"], "lifecycle", "api")
    table = ROUTES if catalogue is None else routes(catalogue)
    handlers = [(url_path_join(base, name), cls, *([kw] if kw else [])) for name, cls, kw in table]
    web_app.add_handlers(".*$", handlers)
    shown = f" (storage options: {describe(options)})" if options else ""
    serverapp.log.info("lifecycle_ext: REST API at %s, registry %s%s", base, location, shown)
