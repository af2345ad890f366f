"""The one explicit context every feature service works over, and the bundle of services built on it.

A :class:`RegistryContext` holds what all features share: the storage backend, the blob store, the event log,
the clock, the acting principal and the caches derived from the log (the parsed policy). It resolves refs to
version records and appends events as the acting principal. Feature services (``versions``, ``promotion``,
``deployment``, ...) each take the context and the :class:`Services` bundle (for the few calls one feature makes
into another); :class:`~lifecycle_ext.registry.service.Registry` is the thin facade users hold.

Acting as another principal (:meth:`RegistryContext.acting_as`) gives a new context that shares storage, log,
clock and caches with this one; nothing is copied and no field is poked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..core.clock import Clock
from ..core.errors import IntegrityError, InvalidRef, NotFound
from ..core.event_types import EventData
from ..core.notify_policy import NOTIFY_EVENTS
from ..core.policy import Policy, default_policy, parse_policy, policy_hash
from ..core.records import VersionRecord
from ..core.refs import Ref, asset_key, exact_ref, parse_ref
from ..storage.blobs import BlobStore
from ..storage.eventlog import EventLog
from ..storage.ports import Storage
from .principal import clean_user, current_user, env_user

if TYPE_CHECKING:
    from .anchors import AnchorService
    from .audit import AuditService
    from .datasets import DatasetsService
    from .deployment import DeploymentService
    from .diffs import DiffService
    from .erasure import ErasureService
    from .exports.service import ExportService
    from .inbox import InboxService
    from .integrity import IntegrityService
    from .keys import SigningKey
    from .lineage import LineageService
    from .listing import ListingService
    from .models.mlflow_bridge import MlflowService
    from .models.predictor import PredictService
    from .monitoring.service import MonitoringService
    from .notify import NotifyService
    from .permissions import PermissionsService
    from .promotion import PromotionService
    from .release import ReleaseService
    from .reproduce import ProvenanceService
    from .search import SearchService
    from .versions import VersionsService
    from .views.records import Version

__all__ = ["RegistryContext", "Services", "Service", "State", "Record", "EventSpec", "exact_ref", "asset_key"]

State = dict[str, Any]
"""The folded registry state (see :mod:`lifecycle_ext.core.state`)."""
Record = VersionRecord
"""One version's record in the state (a ``dict`` with typed properties: ``rec.ref``, ``rec.kind``...)."""
EventSpec = EventData | tuple[str, dict[str, Any]]
"""What a ``build(state)`` callback gives the event log: a typed event, or ``(event type, data)``."""


@dataclass
class _Caches:
    """Caches derived from immutable content or from the log; shared by every principal's context."""

    policies: dict[str, Policy] = field(default_factory=dict)
    downstream: tuple[int, dict[str, list[str]]] | None = None
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RegistryContext:
    """Storage, blob store, event log, clock and the acting principal, with ref resolution and ``append``."""

    storage: Storage
    blobs: BlobStore
    log: EventLog
    clock: Clock
    principal: str | None = None
    caches: _Caches = field(default_factory=_Caches, compare=False)
    key: SigningKey | None = field(default=None, compare=False)

    @classmethod
    def open(
        cls,
        storage: Storage,
        *,
        clock: Clock,
        user: str | None = None,
        checkpoint_every: int = 1000,
        signing_key: Any = None,
    ) -> RegistryContext:
        """``signing_key``: a key file path (``$LIFECYCLE_KEY`` wins), a loaded key, or None for the default."""
        from .keys import SigningKey, find_key
        from .signing import SignatureCheck

        blobs = BlobStore(storage)
        caches = _Caches()
        key = signing_key if isinstance(signing_key, SigningKey) else find_key(signing_key)
        return cls(
            storage=storage,
            blobs=blobs,
            clock=clock,
            log=EventLog(
                storage,
                checkpoint_every=checkpoint_every,
                clock=clock,
                admission=SignatureCheck(blobs, caches.policies),
            ),
            principal=clean_user(user) if user else None,
            caches=caches,
            key=key,
        )

    def acting_as(self, name: str) -> RegistryContext:
        """The same registry acting as ``name`` (shares storage, log, clock and caches)."""
        return replace(self, principal=clean_user(name))

    # -- identity & state ------------------------------------------------------------------------------------
    @property
    def user(self) -> str:
        """The acting principal: the one this context was opened for (or ``as_user``), else
        ``$LIFECYCLE_USER``, else the name the policy binds to the loaded key, else the OS user. Under
        ``require_signatures`` a claimed name whose key is not the loaded one is refused at write time."""
        if self.principal:
            return self.principal
        claimed = env_user()
        if claimed:
            return claimed
        if self.key is not None:
            bound = self.policy_in(self.log.state).user_of_fingerprint(self.key.fingerprint)
            if bound:
                return bound
        return current_user()

    @property
    def location(self) -> str:
        return self.storage.location

    @property
    def state(self) -> State:
        """The latest state (the log is refreshed first)."""
        self.log.refresh()
        return self.log.state

    def append(self, build: Callable[[State], EventSpec | None]) -> dict[str, Any] | None:
        """Append the event ``build(state)`` returns, as the acting principal (None: nothing to append).

        Events the policy's ``[notify]`` section sends are then handed to :mod:`.notify` (background threads)."""
        event = self.log.append(build, self.user, signer=self.key)
        if event is not None and event["type"] in NOTIFY_EVENTS:
            from .notify import dispatch

            dispatch(self, event)
        return event

    def event(self, seq: int) -> dict[str, Any]:
        """Event ``seq`` as stored; a missing event is an :class:`IntegrityError` naming it."""
        ev = self.log.read_event(seq)
        if ev is None:
            raise IntegrityError(f"event {seq} is missing from the log of the registry at {self.location}")
        return dict(ev)

    def record(self, build: Callable[[State], EventSpec]) -> dict[str, Any]:
        """Append the event ``build(state)`` always returns (raises if the log appended nothing)."""
        event = self.append(build)
        if event is None:
            raise RuntimeError("the event log appended nothing for an event that must be recorded")
        return event

    # -- resolution ------------------------------------------------------------------------------------------
    def asset(self, ref: Ref, state: State | None = None) -> dict[str, Any]:
        st = state if state is not None else self.state
        a: dict[str, Any] | None = st["assets"].get(ref.asset)
        if a is None:
            raise NotFound(f"no asset {ref.asset} in the registry at {self.location}; see reg.assets() for what exists")
        return a

    def resolve(self, ref: str | Ref, state: State | None = None) -> Record:
        """The version record ``ref`` names (the latest when it names no version)."""
        r = parse_ref(ref)
        a = self.asset(r, state)
        vs: list[VersionRecord] = a["versions"]
        sel = r.version
        if sel is None or sel == "latest":
            return vs[-1]
        if r.number is not None:
            if not 1 <= r.number <= len(vs):
                raise NotFound(f"{r.asset} has no version {r.number}; it has versions 1..{len(vs)}")
            return vs[r.number - 1]
        if sel in a["stages"]:
            return vs[int(a["stages"][sel]) - 1]
        if sel in a["aliases"]:
            return vs[int(a["aliases"][sel]) - 1]
        prefix = r.hash_prefix
        if prefix is not None:
            hits = [v for v in vs if v["content_hash"].split(":", 1)[1].startswith(prefix)]
            if len(hits) > 1 and len({v["content_hash"] for v in hits}) > 1:
                raise InvalidRef(f"hash prefix {prefix!r} is ambiguous in {r.asset}; give more digits")
            if hits:
                return hits[-1]
        raise NotFound(f"{r.asset} has no version, stage or alias {sel!r} (stages: {', '.join(a['stages']) or 'none'})")

    def exact(self, ref: str | Ref) -> str:
        """``KIND:NAME@N`` of the version ``ref`` names."""
        return exact_ref(self.resolve(ref))

    def asset_ref(self, name: str) -> Ref:
        """The asset ``name`` names: ``KIND:NAME`` (a version part is dropped) or a unique ``NAME``."""
        if ":" in name:
            return parse_ref(name.split("@", 1)[0])
        hits = [a for a in self.state["assets"] if a.split(":", 1)[1] == name]
        if len(hits) == 1:
            return parse_ref(hits[0])
        if not hits:
            raise NotFound(f"no asset named {name!r} in the registry at {self.location}")
        raise InvalidRef(f"{name!r} names several assets ({', '.join(hits)}); write KIND:NAME")

    def stage_of(self, rec: Record, state: State | None = None) -> str | None:
        st = state if state is not None else self.log.state
        a = st["assets"][asset_key(rec)]
        at = [s for s, n in a["stages"].items() if n == rec["number"]]
        return at[-1] if at else None

    def version(self, rec: Record) -> Version:
        """The user-facing :class:`Version` view of a record."""
        from .views.records import Version

        return Version.from_record(rec, stage=self.stage_of(rec))

    # -- policy ----------------------------------------------------------------------------------------------
    def policy_in(self, state: State) -> Policy:
        """The policy in force in ``state`` (the default policy until one is set), parsed once per hash."""
        pol = state.get("policy")
        if not pol:
            return default_policy()
        cache = self.caches.policies
        if pol["hash"] not in cache:
            text = self.blobs.get(pol["blob"]).decode()
            if policy_hash(text) != pol["hash"]:
                raise IntegrityError(f"stored policy {pol['blob']} does not match its recorded hash {pol['hash']}")
            cache[pol["hash"]] = parse_policy(text)
        return cache[pol["hash"]]


class Services:
    """The feature services over one context, each built on first use."""

    def __init__(self, ctx: RegistryContext) -> None:
        self.ctx = ctx

    @cached_property
    def versions(self) -> VersionsService:
        from .versions import VersionsService

        return VersionsService(self.ctx, self)

    @cached_property
    def listing(self) -> ListingService:
        from .listing import ListingService

        return ListingService(self.ctx, self)

    @cached_property
    def lineage(self) -> LineageService:
        from .lineage import LineageService

        return LineageService(self.ctx, self)

    @cached_property
    def integrity(self) -> IntegrityService:
        from .integrity import IntegrityService

        return IntegrityService(self.ctx, self)

    @cached_property
    def promotion(self) -> PromotionService:
        from .promotion import PromotionService

        return PromotionService(self.ctx, self)

    @cached_property
    def permissions(self) -> PermissionsService:
        from .permissions import PermissionsService

        return PermissionsService(self.ctx, self)

    @cached_property
    def deployment(self) -> DeploymentService:
        from .deployment import DeploymentService

        return DeploymentService(self.ctx, self)

    @cached_property
    def audit(self) -> AuditService:
        from .audit import AuditService

        return AuditService(self.ctx, self)

    @cached_property
    def provenance(self) -> ProvenanceService:
        from .reproduce import ProvenanceService

        return ProvenanceService(self.ctx, self)

    @cached_property
    def datasets(self) -> DatasetsService:
        from .datasets import DatasetsService

        return DatasetsService(self.ctx, self)

    @cached_property
    def diffs(self) -> DiffService:
        from .diffs import DiffService

        return DiffService(self.ctx, self)

    @cached_property
    def inbox(self) -> InboxService:
        from .inbox import InboxService

        return InboxService(self.ctx, self)

    @cached_property
    def search(self) -> SearchService:
        from .search import SearchService

        return SearchService(self.ctx, self)

    @cached_property
    def anchors(self) -> AnchorService:
        from .anchors import AnchorService

        return AnchorService(self.ctx, self)

    @cached_property
    def release(self) -> ReleaseService:
        from .release import ReleaseService

        return ReleaseService(self.ctx, self)

    @cached_property
    def monitoring(self) -> MonitoringService:
        from .monitoring.service import MonitoringService

        return MonitoringService(self.ctx, self)

    @cached_property
    def predict(self) -> PredictService:
        from .models.predictor import PredictService

        return PredictService(self.ctx, self)

    @cached_property
    def mlflow(self) -> MlflowService:
        from .models.mlflow_bridge import MlflowService

        return MlflowService(self.ctx, self)

    @cached_property
    def notify(self) -> NotifyService:
        from .notify import NotifyService

        return NotifyService(self.ctx, self)

    @cached_property
    def erasure(self) -> ErasureService:
        from .erasure import ErasureService

        return ErasureService(self.ctx, self)

    @cached_property
    def exports(self) -> ExportService:
        from .exports.service import ExportService

        return ExportService(self.ctx, self)


class Service:
    """Base of the feature services: the context and the bundle of the other services."""

    def __init__(self, ctx: RegistryContext, services: Services) -> None:
        self.ctx = ctx
        self.svc = services
