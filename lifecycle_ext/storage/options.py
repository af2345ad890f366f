"""Storage options for object-store registries (endpoint, credentials, region): parsed, checked and masked.

One set of rules for every surface: the CLI's and magic's ``--storage-option KEY=VALUE`` (dotted keys nest:
``client_kwargs.region_name=eu-west-1``; a value is JSON when it parses as JSON, else a string; values of secret
keys always stay strings) and ``--endpoint-url URL``; the ``LIFECYCLE_STORAGE_OPTIONS`` environment variable (a JSON
object, the base every registry URL is opened with; options given explicitly win over its, key by key, so
credentials can stay in the environment while the endpoint is configured); the server's
``c.LifecycleConfig.storage_options``.

Secrets never leave through messages: :func:`mask` replaces the value of every key naming a ``key``, ``secret``,
``token`` or ``password`` with ``***``, and the errors here name keys, never values.
"""

from __future__ import annotations

import difflib
import inspect
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from ..core.errors import UsageInputError

__all__ = [
    "ENV",
    "MASK",
    "is_secret",
    "mask",
    "describe",
    "from_pairs",
    "from_env",
    "merged",
    "check_options",
    "object_store_error",
]

ENV = "LIFECYCLE_STORAGE_OPTIONS"
MASK = "***"
_SECRET_WORDS = ("key", "secret", "token", "password")


def is_secret(name: str) -> bool:
    """Whether the option ``name`` holds a credential (its value is never shown)."""
    low = name.lower()
    return any(w in low for w in _SECRET_WORDS)


def mask(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with the value of every secret key (at any depth) replaced by ``***``."""
    out: dict[str, Any] = {}
    for k, v in options.items():
        if is_secret(str(k)):
            out[k] = MASK
        elif isinstance(v, Mapping):
            out[k] = mask(v)
        else:
            out[k] = v
    return out


def describe(options: Mapping[str, Any]) -> str:
    """``key=***, client_kwargs.endpoint_url=http://...``: the options, masked, on one line."""

    def flat(prefix: str, m: Mapping[str, Any]) -> Iterable[str]:
        for k, v in m.items():
            if isinstance(v, Mapping) and v:
                yield from flat(f"{prefix}{k}.", v)
            else:
                yield f"{prefix}{k}={v}"

    return ", ".join(flat("", mask(options)))


def _value(key: str, text: str) -> Any:
    if is_secret(key):  # a numeric-looking secret stays the string it is
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _put(out: dict[str, Any], path: list[str], value: Any, name: str) -> None:
    node = out
    for i, part in enumerate(path[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = ".".join(path[: i + 1])
            raise UsageInputError(f"storage option {name!r}: {where!r} is already set to a value, it cannot nest")
        node = child
    last = path[-1]
    if isinstance(node.get(last), dict) and not isinstance(value, dict):
        raise UsageInputError(f"storage option {name!r}: {name!r} already holds nested options ({name}.KEY=...)")
    node[last] = value


def from_pairs(pairs: Iterable[str] | None, *, endpoint_url: str | None = None) -> dict[str, Any]:
    """Options from ``KEY=VALUE`` texts (``--storage-option``) and the ``--endpoint-url`` shortcut (which sets
    ``client_kwargs.endpoint_url`` and wins over a pair setting it)."""
    out: dict[str, Any] = {}
    for n, text in enumerate(pairs or (), 1):
        key, eq, raw = text.partition("=")
        key = key.strip()
        if not eq or not key:  # the text itself is not shown: it may be a secret typed without its key
            raise UsageInputError(
                f"--storage-option expects KEY=VALUE (e.g. client_kwargs.region_name=eu-west-1); "
                f"option #{n} has {'no KEY before' if eq else 'no'} '='"
            )
        path = key.split(".")
        if any(not p.strip() for p in path):
            raise UsageInputError(f"storage option {key!r}: an empty name between dots")
        _put(out, [p.strip() for p in path], _value(path[-1], raw), key)
    if endpoint_url:
        _put(out, ["client_kwargs", "endpoint_url"], endpoint_url, "--endpoint-url")
    return out


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The options in ``$LIFECYCLE_STORAGE_OPTIONS`` (a JSON object; empty or unset: none)."""
    text = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:  # the message gives the position, not the text (it holds credentials)
        msg = getattr(exc, "msg", "not JSON")
        where = f" (line {exc.lineno} column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise UsageInputError(
            f"${ENV} is not valid JSON: {msg}{where}; expected an object like "
            '{"key": "...", "secret": "...", "client_kwargs": {"endpoint_url": "..."}}'
        ) from None
    if not isinstance(value, dict):
        raise UsageInputError(f"${ENV} must be a JSON object of storage options, not a {type(value).__name__}")
    return value


def merged(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``, key by key (nested options merge too): explicit options over the variable's."""
    out: dict[str, Any] = dict(base)
    for k, v in top.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merged(out[k], v)
        else:
            out[k] = v
    return out


# options every fsspec filesystem takes (AbstractFileSystem and AsyncFileSystem read them from **kwargs)
_COMMON = {"skip_instance_cache", "use_listings_cache", "listings_expiry_time", "max_paths", "asynchronous", "loop"}


def _parameters(cls: type) -> dict[str, Any]:
    """Explicit ``__init__`` parameters of ``cls`` and its bases: name -> default."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            sig = inspect.signature(init)
        except (TypeError, ValueError):
            continue
        for p in sig.parameters.values():
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                out[p.name] = p.default
    return out


def _s3_nested() -> dict[str, set[str]]:
    """The keys s3fs's nested options take: ``client_kwargs`` go to botocore's ``create_client``, ``config_kwargs``
    to botocore's ``Config`` (``s3_additional_kwargs`` are S3 request parameters: not checked)."""
    import importlib

    try:  # botocore ships no type information: its objects are Any here
        session: Any = importlib.import_module("botocore.session")
        config: Any = importlib.import_module("botocore.config")
    except ImportError:
        return {}
    client = {n for n in inspect.signature(session.Session.create_client).parameters if n != "self"}
    return {"client_kwargs": client - {"service_name"}, "config_kwargs": set(config.Config.OPTION_DEFAULTS)}


_NESTED = {"s3": _s3_nested, "s3a": _s3_nested}


def _unknown(name: str, known: set[str], where: str) -> UsageInputError:
    close = difflib.get_close_matches(name.rsplit(".", 1)[-1], sorted(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return UsageInputError(f"unknown storage option {name!r} for {where}{hint}")


def check_options(url: str, options: Mapping[str, Any]) -> None:
    """Refuse options the filesystem for ``url`` does not take, nesting under an option that takes a plain
    value, and (on S3) keys botocore does not take under ``client_kwargs``/``config_kwargs``, naming the option
    (and the closest known spelling) but never a value."""
    import fsspec

    protocol = fsspec.core.split_protocol(url)[0] or "file"
    try:
        cls = fsspec.get_filesystem_class(protocol)
    except (ValueError, ImportError):
        return  # fsspec itself reports an unknown protocol or a missing package when the store is opened
    params = _parameters(cls)
    known = set(params) | _COMMON
    nestable = {n for n, d in params.items() if n.endswith("kwargs") or isinstance(d, dict)}
    nested = _NESTED[protocol]() if protocol in _NESTED else {}
    for name, value in options.items():
        if name not in known:
            raise _unknown(name, known, f"{protocol}:// URLs")
        if isinstance(value, Mapping) and name in nested:
            for sub in value:
                if sub not in nested[name]:
                    raise _unknown(f"{name}.{sub}", nested[name], f"{protocol}:// URLs")
        if isinstance(value, Mapping) and name not in nestable:
            can = ", ".join(sorted(nestable)) or "none"
            raise UsageInputError(
                f"storage option {name!r} takes a value, not nested options ({name}.KEY=...); "
                f"options that nest for {protocol}:// URLs: {can}"
            )


def object_store_error(exc: BaseException) -> str | None:
    """One line for an object-store client's own error (botocore's missing credentials, unreachable endpoint...),
    with where storage options come from; None for any other error. Those messages carry no credentials."""
    module = type(exc).__module__ or ""
    if module.split(".")[0] not in ("botocore", "aiobotocore"):
        return None
    hint = ""
    if "Credential" in type(exc).__name__ or "Endpoint" in type(exc).__name__:
        hint = (
            " (storage options: --storage-option key=... --storage-option secret=..., --endpoint-url URL, "
            f"${ENV}, or the object store's own configuration)"
        )
    return f"{type(exc).__name__}: {exc}{hint}"
