"""lifecycle_ext: a lifecycle for AI assets (models, datasets, label schemas) from inside Jupyter.

``%load_ext lifecycle_ext`` registers the ``%%track`` and ``%lifecycle`` magics. From Python::

    import lifecycle_ext
    reg = lifecycle_ext.open_registry()          # $LIFECYCLE_REGISTRY or ./.lifecycle
    v = reg.save(df, "dataset:churn", metadata={"source": "crm export"})

Importing this package is cheap: zarr, pandas and ipywidgets are imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .registry.service import Registry

from .core.errors import (
    ConflictError,
    GateFailed,
    IntegrityError,
    InvalidRef,
    LifecycleError,
    MissingDependency,
    NotFound,
    PermissionDenied,
    PolicyError,
    QueryError,
    UnsupportedType,
    UntrustedType,
    UsageInputError,
)
from .core.refs import Ref, parse_ref

__version__ = "0.1.0"

__all__ = [  # sorted (tests/test_public_api.py)
    "__version__",
    "allow_types",
    "ConflictError",
    "GateFailed",
    "IntegrityError",
    "InvalidRef",
    "LifecycleError",
    "load_ipython_extension",
    "MissingDependency",
    "NotFound",
    "open_registry",
    "parse_ref",
    "PermissionDenied",
    "PolicyError",
    "QueryError",
    "Ref",
    "unload_ipython_extension",
    "UnsupportedType",
    "UntrustedType",
    "UsageInputError",
]


def open_registry(location: Any = None, **kwargs: Any) -> Registry:
    """Open (creating on first use) a registry; see :func:`lifecycle_ext.registry.compose.open_registry`."""
    from .registry.compose import open_registry as _open

    return _open(location, **kwargs)


def allow_types(*names: str) -> None:
    """Trust these fully qualified type names (``"mypkg.mod.Class"``) in stored models for this process
    (``reg.load(ref, trusted=[...])`` trusts them for one load)."""
    from .storage.models.trust import allow_types as _allow

    _allow(*names)


def load_ipython_extension(ipython: Any) -> None:
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .magics import unload

    unload(ipython)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "lifecycle_ext.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "lifecycle-ext"}]
