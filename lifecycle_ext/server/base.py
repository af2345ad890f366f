"""The base handler: authentication, the acting user, JSON in and out, and THE error -> status map."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..core.errors import (
    ConflictError,
    GateFailed,
    IntegrityError,
    InvalidRef,
    LifecycleError,
    NotFound,
    PermissionDenied,
    PolicyError,
    UnsupportedType,
    UsageInputError,
)
from ..core.limits import MAX_DEPTH, MAX_EVENT, nesting_depth
from ..registry.principal import clean_user
from ..registry.serialize import jsonable

__all__ = ["LifecycleHandler", "single_user", "status_for", "storage_error_body", "STATUS_MAP", "GZIP_MIN_BYTES"]

#: answers shorter than this go uncompressed (gzip would not pay for its header)
GZIP_MIN_BYTES = 1024

#: The one place where service errors become HTTP statuses (first match wins).
STATUS_MAP: tuple[tuple[type[LifecycleError], int], ...] = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (GateFailed, 422),
    (ConflictError, 409),
    (InvalidRef, 400),
    (UsageInputError, 400),
    (PolicyError, 400),
    (UnsupportedType, 400),
    (IntegrityError, 500),
)


MAX_BODY = 2 * MAX_EVENT
"""The largest request body accepted (bytes)."""


def single_user(identity_provider: Any) -> bool:
    """jupyter_server's own token/password login: one person, whose browser sessions get random ids, not names."""
    from jupyter_server.auth.identity import IdentityProvider, LegacyIdentityProvider, PasswordIdentityProvider

    return type(identity_provider) in (IdentityProvider, PasswordIdentityProvider, LegacyIdentityProvider)


def status_for(exc: LifecycleError) -> int:
    for cls, status in STATUS_MAP:
        if isinstance(exc, cls):
            return status
    return 500


def error_body(exc: LifecycleError) -> dict[str, Any]:
    status = status_for(exc)
    body: dict[str, Any] = {"status": status, "error": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, GateFailed) and exc.report is not None:
        report = exc.report
        body["report"] = report.to_dict() if hasattr(report, "to_dict") else jsonable(report)
    return body


def storage_error_body(exc: BaseException) -> dict[str, Any] | None:
    """The JSON answer for a failure of the registry's storage, not of the request: 502 for the object store's
    client (unreachable endpoint, refused credentials: botocore's own errors), 503 for the operating system's
    (a full disk, a permission on the registry folder, s3fs's translation of a refused request). None for any
    other error, which stays a server error with a traceback in the log."""
    from ..storage.options import object_store_error

    message = object_store_error(exc)
    if message is not None:
        status = 502
    elif isinstance(exc, OSError):
        status, message = 503, f"{type(exc).__name__}: {exc}"
    else:
        return None
    return {"status": status, "error": "StorageError", "message": f"the registry's storage failed: {message}"}


class LifecycleHandler(APIHandler):
    """Subclasses implement ``read(self) -> object`` (GET) and/or ``act(self, body) -> object`` (POST).

    Both run as the Jupyter user (``reg.as_user``), so the service's authorization decides what is allowed.
    """

    def registry(self) -> Any:
        """The registry acting as the current Jupyter user."""
        return self.settings["lifecycle_registry"]().as_user(self.lifecycle_user)

    @property
    def lifecycle_user(self) -> str:
        """Who this request acts as. jupyter_server's own token/password login (a single-user server) names
        no user, only a random id per browser session: such requests act as ``c.LifecycleConfig.user`` (default
        the OS user). Other identity providers (JupyterHub, a site's own) name the user."""
        if self.single_user_server:
            return clean_user(str(self.settings.get("lifecycle_user") or "unknown"))
        user = self.current_user
        name = getattr(user, "username", None) or getattr(user, "name", None) or str(user)
        return clean_user(str(name))

    @property
    def single_user_server(self) -> bool:
        return single_user(self.identity_provider)

    def identity_problem(self, reg: Any) -> str | None:
        """Why this request may not change anything (None: it may): an anonymous request (a server without
        authentication), or a user the policy's [users] table does not list (when it lists anybody)."""
        if not self.identity_provider.auth_enabled:
            return "anonymous requests may not change the registry (the server has no authentication)"
        users = reg.policy().summary.get("users") or {}
        if users and self.lifecycle_user not in users and "*" not in users:
            return f"{self.lifecycle_user} is not a user of this registry's policy ([users]); ask an admin to add you"
        return None

    # -- input ----------------------------------------------------------------------------------------
    def arg(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.get_query_argument(name, default=None)
        if value is None or value == "":
            if required:
                raise UsageInputError(f"query parameter {name!r} is required")
            return default
        return value

    def int_arg(self, name: str) -> int | None:
        value = self.arg(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise UsageInputError(f"query parameter {name!r} must be an integer, not {value!r}") from None

    def body(self) -> dict[str, Any]:
        raw = self.request.body or b"{}"
        if len(raw) > MAX_BODY:
            raise UsageInputError(f"request body is {len(raw):,} bytes; the limit is {MAX_BODY:,}")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise UsageInputError(f"request body is not valid JSON: {exc}") from None
        except RecursionError:
            raise UsageInputError(f"request body nests too deeply (the limit is {MAX_DEPTH} levels)") from None
        if nesting_depth(data) > MAX_DEPTH:
            raise UsageInputError(f"request body nests more than {MAX_DEPTH} levels deep")
        if not isinstance(data, dict):
            raise UsageInputError("request body must be a JSON object")
        return data

    # -- dispatch -------------------------------------------------------------------------------------
    def read(self) -> Any:
        raise web.HTTPError(405)

    def act(self, body: dict[str, Any]) -> Any:
        raise web.HTTPError(405)

    @web.authenticated
    def get(self) -> None:
        self._respond(self.read)

    @web.authenticated
    def post(self) -> None:
        def act() -> Any:
            why = self.identity_problem(self.settings["lifecycle_registry"]())
            if why is not None:
                raise PermissionDenied(why)
            return self.act(self.body())

        self._respond(act)

    def _respond(self, fn: Any) -> None:
        self.set_header("Cache-Control", "no-store")
        try:
            result = fn()
        except LifecycleError as exc:
            body = error_body(exc)
            if body["status"] >= 500:
                self.log.error("lifecycle: %s", exc, exc_info=True)
            self.set_status(body["status"])
            self.finish(json.dumps(body))
            return
        except Exception as exc:
            body = storage_error_body(exc)
            if body is None:
                raise
            self.log.error("lifecycle: the registry's storage failed: %s", body["message"])
            self.set_status(body["status"])
            self.finish(json.dumps(body))
            return
        self._finish_json(json.dumps(jsonable(result)))

    def _finish_json(self, text: str) -> None:
        """Finish with ``text``, gzip-compressed when the client accepts it and it is worth it (tornado's
        ``compress_response`` does the same for a whole server; this keeps it on for our routes alone)."""
        data = text.encode()
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.add_header("Vary", "Accept-Encoding")
        accepts = self.request.headers.get("Accept-Encoding", "")
        if len(data) >= GZIP_MIN_BYTES and "gzip" in accepts.lower():
            import gzip

            data = gzip.compress(data, compresslevel=6)
            self.set_header("Content-Encoding", "gzip")
        self.finish(data)
