"""The registry: the one object users hold, a thin typed facade over the feature services.

Each public method delegates to one feature service (:mod:`.versions`, :mod:`.listing`, :mod:`.lineage`,
:mod:`.integrity`, :mod:`.promotion`, :mod:`.permissions`, :mod:`.deployment`, :mod:`.audit`, :mod:`.reproduce`,
:mod:`.datasets`, :mod:`.diffs`, :mod:`.monitoring`), all over one :class:`~.context.RegistryContext`. The
surfaces (CLI, magics, REST, widgets) call these methods and nothing below them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..core.clock import Clock, SystemClock
from ..core.errors import UsageInputError
from ..core.refs import Ref
from ..storage.blobs import BlobStore
from ..storage.eventlog import EventLog
from ..storage.ports import Storage
from .context import Record, RegistryContext, Services, State
from .versions import PROGRESS_MIN_BYTES, manifest_bytes
from .views.records import GcReport, Lineage, RegistryInfo, VerifyReport, Version

if TYPE_CHECKING:
    import pandas as pd
    import zarr

    from .erasure import ErasureReport, RetentionReport
    from .exports import ExportResult
    from .label_migration import LabelMigration
    from .models.predictor import Predictor, PredictReport
    from .views.audit import AssetListing, AuditTrail
    from .views.diffs import Diff, SchemaImpact
    from .views.gates import DeploymentRecord, Explanation, GateReport, PolicyView, PromotionRequest
    from .views.inbox import Inbox
    from .views.metric_history import MetricHistory
    from .views.monitoring import DriftHistory, Health, MonitorResult, Review
    from .views.provenance import ReproduceReport
    from .views.search import SearchResult

__all__ = ["Registry", "manifest_bytes", "PROGRESS_MIN_BYTES"]


class Registry:
    """A registry of versioned assets over one storage backend."""

    def __init__(
        self,
        storage: Storage,
        *,
        user: str | None = None,
        clock: Clock | None = None,
        checkpoint_every: int = 1000,
        signing_key: Any = None,
    ) -> None:
        self._bind(
            RegistryContext.open(
                storage,
                clock=clock or SystemClock(),
                user=user,
                checkpoint_every=checkpoint_every,
                signing_key=signing_key,
            )
        )

    def _bind(self, ctx: RegistryContext) -> None:
        self._ctx = ctx
        self._svc = Services(ctx)

    @classmethod
    def over(cls, ctx: RegistryContext) -> Registry:
        """A facade over an existing context."""
        reg = cls.__new__(cls)
        reg._bind(ctx)
        return reg

    def as_user(self, name: str) -> Registry:
        """This registry acting as ``name``: a new facade over the same storage, log, clock and caches."""
        if not isinstance(name, str) or not name.strip():
            raise UsageInputError("as_user needs a non-empty user name")
        return Registry.over(self._ctx.acting_as(name))

    # -- the context ---------------------------------------------------------------------------------------
    @property
    def context(self) -> RegistryContext:
        return self._ctx

    @property
    def services(self) -> Services:
        return self._svc

    @property
    def user(self) -> str:
        return self._ctx.user

    @property
    def location(self) -> str:
        return self._ctx.location

    @property
    def storage(self) -> Storage:
        return self._ctx.storage

    @property
    def blobs(self) -> BlobStore:
        return self._ctx.blobs

    @property
    def log(self) -> EventLog:
        return self._ctx.log

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    @property
    def state(self) -> State:
        """The latest folded state (read-only by convention; JSON-like)."""
        return self._ctx.state

    def resolve(self, ref: str | Ref) -> Record:
        """The version record ``ref`` names (the latest when it names no version)."""
        return self._ctx.resolve(ref)

    def __repr__(self) -> str:
        st = self._ctx.log.state
        n = sum(len(a["versions"]) for a in st["assets"].values())
        return f"<Registry {self.location}: {len(st['assets'])} assets, {n} versions, {st['seq'] + 1} events>"

    def _repr_html_(self) -> str:
        from .views.html import esc

        return f"<b>Registry</b> <code>{esc(self.location)}</code>" + str(self.assets()._repr_html_())

    # -- versions --------------------------------------------------------------------------------------------
    def save(
        self,
        obj: Any,
        ref: str,
        *,
        params: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        note: str = "",
        record: dict[str, Any] | None = None,
        **options: Any,
    ) -> Version:
        """Save ``obj`` as a new version of ``ref`` (``KIND:NAME``); return the :class:`Version`.

        Identical content with identical metadata returns the existing version instead of a copy.
        """
        return self._svc.versions.save(
            obj,
            ref,
            params=params,
            metrics=metrics,
            metadata=metadata,
            inputs=inputs,
            tags=tags,
            note=note,
            record=record,
            **options,
        )

    def tag(self, ref: str, tag: str) -> Version:
        return self._svc.versions.tag(ref, tag)

    def untag(self, ref: str, tag: str) -> Version:
        return self._svc.versions.untag(ref, tag)

    def alias(self, ref: str, alias: str) -> Version:
        """Point ``alias`` (e.g. ``champion``) of the version's asset at this version (``KIND:NAME@alias``)."""
        return self._svc.versions.alias(ref, alias)

    def unalias(self, name: str, alias: str) -> None:
        """Remove ``alias`` from asset ``name`` (``KIND:NAME``)."""
        self._svc.versions.unalias(name, alias)

    def get(self, ref: str | Ref) -> Version:
        """The :class:`Version` ``ref`` names (``KIND:NAME`` alone means the latest)."""
        return self._svc.versions.get(ref)

    def manifest(self, ref: str | Ref) -> dict[str, Any]:
        return self._svc.versions.manifest(ref)

    def open_zarr(self, ref: str | Ref) -> zarr.Group:
        """The version's zarr v3 group, read-only (chunks verified as they are read)."""
        return self._svc.versions.open_zarr(ref)

    def load(self, ref: str | Ref, *, dest: str | os.PathLike[str] | None = None, trusted: Iterable[str] = ()) -> Any:
        """Load the stored object. Files and directories are written under ``dest`` (default: a temp folder).

        A stored model comes back as its framework's object (an estimator, an ``nn.Module``, ...); ``trusted``
        names extra types (``"mypkg.mod.Class"``) a model file may use beyond its framework's own."""
        return self._svc.versions.load(ref, dest=dest, trusted=trusted)

    # -- listing ---------------------------------------------------------------------------------------------
    def versions(
        self, name: str, *, limit: int | None = None, since: str | None = None, cursor: str | None = None
    ) -> pd.DataFrame:
        """All versions of an asset as a DataFrame (``name`` is ``KIND:NAME`` or a unique ``NAME``); ``since``,
        ``limit`` and ``cursor`` page it (``df.attrs["next"]`` is the next page's cursor)."""
        return self._svc.listing.versions(name, limit=limit, since=since, cursor=cursor)

    def info(self) -> RegistryInfo:
        """Where this registry is and what it holds."""
        return self._svc.listing.info()

    def assets(
        self, kind: str | None = None, *, limit: int | None = None, since: str | None = None, cursor: str | None = None
    ) -> pd.DataFrame:
        """Assets (optionally of one kind) as a DataFrame: latest version, stages, counts, owner, metrics, last
        change; ``since`` (event #N or an ISO time), ``limit`` and ``cursor`` page it (``df.attrs["next"]``)."""
        return self._svc.listing.assets(kind, limit=limit, since=since, cursor=cursor)

    def browse(
        self,
        kind: str | None = None,
        *,
        name: str | None = None,
        tag: str | None = None,
        metadata: str | None = None,
        limit: int | None = None,
        since: str | None = None,
        cursor: str | None = None,
    ) -> AssetListing:
        """Assets by kind with their versions and stages, filtered: ``name`` (substring of KIND:NAME),
        ``tag`` (exact) and ``metadata`` (``key`` or ``key=value``). An asset is listed with the versions that
        match; assets with none are left out.
        """
        return self._svc.listing.browse(
            kind, name=name, tag=tag, metadata=metadata, limit=limit, since=since, cursor=cursor
        )

    def metric_history(self, name: str, metric: str | list[str] | None = None) -> MetricHistory:
        """Metrics across the versions of asset ``name`` and the stages each version reached."""
        return self._svc.listing.metric_history(name, metric)

    # -- lineage ---------------------------------------------------------------------------------------------
    def lineage(self, ref: str, direction: str = "both", depth: int | None = None) -> Lineage:
        """Upstream (what this version was made from), downstream (what was made from it) or both."""
        return self._svc.lineage.lineage(ref, direction, depth)

    # -- integrity -------------------------------------------------------------------------------------------
    def verify(self, ref: str | None = None, *, anchor: str | os.PathLike[str] | None = None) -> VerifyReport:
        """Rehash blobs and walk the event chain; name every corrupt or missing object by ref. ``anchor``: an
        anchor file (``reg.anchor()``) the log must still contain (truncation or rewrite before it fails)."""
        return self._svc.integrity.verify(ref, anchor=anchor)

    def gc(self, *, grace_seconds: float = 3600.0, dry_run: bool = False) -> GcReport:
        """Remove blobs no version references, if older than ``grace_seconds`` (protects saves in flight)."""
        return self._svc.integrity.gc(grace_seconds=grace_seconds, dry_run=dry_run)

    # -- promotion -------------------------------------------------------------------------------------------
    def policy(self) -> PolicyView:
        """The policy in force (the default policy until one is set)."""
        return self._svc.promotion.policy()

    def set_policy(self, text_or_path: str | os.PathLike[str], *, reason: str = "") -> PolicyView:
        """Validate and record a new policy (TOML text or a file path). A malformed policy changes nothing."""
        return self._svc.promotion.set_policy(text_or_path, reason=reason)

    def gates(self, ref: str, to: str | None = None) -> GateReport:
        """Evaluate the gates for moving ``ref`` to stage ``to`` (default: its next stage). Records nothing."""
        return self._svc.promotion.gates(ref, to)

    def promote(
        self,
        ref: str,
        to: str | None = None,
        *,
        reason: str = "",
        force: bool = False,
        known_limitations: str | None = None,
    ) -> Version:
        """Move ``ref`` to stage ``to`` if its gates pass; else record the refusal and raise GateFailed.

        ``force=True`` (only for a role the policy allows, with a reason) promotes despite failing checks and
        is recorded as an override. Entering the deploy stage (production) needs ``known_limitations`` text and
        writes the deployment record.
        """
        return self._svc.promotion.promote(ref, to, reason=reason, force=force, known_limitations=known_limitations)

    def request_promotion(self, ref: str, to: str | None = None, *, reason: str = "") -> PromotionRequest:
        """Ask for ``ref`` to be promoted to ``to``; supersedes earlier rejections of the same move."""
        return self._svc.promotion.request_promotion(ref, to, reason=reason)

    def approve(self, ref: str, to: str | None = None, *, reason: str = "") -> PromotionRequest:
        """Approve promoting ``ref`` to ``to`` (the author of a version may not approve it)."""
        return self._svc.promotion.approve(ref, to, reason=reason)

    def reject(self, ref: str, to: str | None = None, *, reason: str = "") -> PromotionRequest:
        """Reject promoting ``ref`` to ``to``; blocks until a new request supersedes it. Needs a reason."""
        return self._svc.promotion.reject(ref, to, reason=reason)

    def pending(self) -> pd.DataFrame:
        """Open requests awaiting approval, and staged versions whose soak period has run (DataFrame)."""
        return self._svc.promotion.pending()

    # -- deployment ------------------------------------------------------------------------------------------
    def deployment(self, ref_or_name: str) -> DeploymentRecord:
        """The deployment record of a version (``KIND:NAME@N``), or of what is deployed now (``KIND:NAME``)."""
        return self._svc.deployment.deployment(ref_or_name)

    def rollback(self, name: str, *, reason: str = "") -> Version:
        """Restore the previous production version of ``name`` (its deployment record's rollback pointer)."""
        return self._svc.deployment.rollback(name, reason=reason)

    def retire(
        self, ref: str, *, reason: str = "", replaced_by: str | None = None, allow_empty: bool = False
    ) -> Version:
        """Archive a version with its context; it stays loadable and can never be promoted again. At the deploy
        stage it needs ``replaced_by=`` (promoted in the same event) or ``allow_empty=True``."""
        return self._svc.deployment.retire(ref, reason=reason, replaced_by=replaced_by, allow_empty=allow_empty)

    # -- audit -----------------------------------------------------------------------------------------------
    def audit(
        self, ref: str | None = None, *, limit: int | None = None, since: str | None = None, cursor: str | None = None
    ) -> pd.DataFrame:
        """Every recorded event (optionally only those about ``ref``) as a DataFrame, oldest first; ``since``
        (event #N or an ISO time), ``limit`` and ``cursor`` page it (``df.attrs["next"]``)."""
        return self._svc.audit.audit(ref, limit=limit, since=since, cursor=cursor)

    def explain(self, ref: str) -> Explanation:
        """Why this version was chosen (its promotions, approvals, gate results) and what changed since the
        version before it (the one it replaced at its last promotion, else its parent).
        """
        return self._svc.audit.explain(ref)

    def audit_view(self, ref: str | None = None) -> AuditTrail:
        """``reg.audit(ref)`` as a view with stage badges and folded evidence (``.frame`` is the DataFrame)."""
        return self._svc.audit.audit_view(ref)

    # -- provenance ------------------------------------------------------------------------------------------
    def content_hash(self, obj: Any) -> str:
        """The content hash ``save(obj, ...)`` would record, computed without storing anything."""
        return self._svc.provenance.content_hash(obj)

    def environment(self, ref: str) -> dict[str, Any]:
        """The environment captured when a tracked version was created."""
        return self._svc.provenance.environment(ref)

    def reproduce(self, ref: str) -> ReproduceReport:
        """Re-run the captured source of ``ref`` in a fresh namespace with its captured inputs, configs and
        seed, and compare every output of that run with the recorded content hash.
        """
        return self._svc.provenance.reproduce(ref)

    # -- datasets --------------------------------------------------------------------------------------------
    def corrections(self, ref: str) -> pd.DataFrame:
        """Every label correction of a dataset up to version ``ref``: key, column, old and new label,
        version, author, time and reason.
        """
        return self._svc.datasets.corrections(ref)

    def schema_impact(self, ref: str) -> SchemaImpact:
        """Impact of a label-schema version's retroactive changes: dataset versions labeled under earlier
        versions, their samples per affected class, and the models trained on them.
        """
        return self._svc.datasets.schema_impact(ref)

    def migrate_labels(self, ref: str, to_schema: str, *, reason: str = "") -> LabelMigration:
        """A new version of dataset ``ref`` labelled under label-schema version ``to_schema``: renames and
        merges applied, rows of split (removed, redefined) classes listed in ``.review`` and kept under a
        ``needs_review`` marker until a correction labels them.
        """
        return self._svc.datasets.migrate_labels(ref, to_schema, reason=reason)

    # -- erasure and retention (docs/erasure.md) ---------------------------------------------------------------
    def erase(
        self, name: str, keys: Iterable[Any], *, reason: str, basis: str = "", dry_run: bool = False
    ) -> ErasureReport:
        """Erase the rows with ``keys`` from every version of dataset ``name`` (and of datasets derived from it):
        redacted successor versions, one ``ContentErased`` event (key HMACs, never the keys), the blobs that held
        the rows removed. ``dry_run``: list what would be erased and the models trained on it."""
        return self._svc.erasure.erase(name, keys, reason=reason, basis=basis, dry_run=dry_run)

    def retention(self, *, apply: bool = False, reason: str = "") -> RetentionReport:
        """Dataset versions past the policy's ``[retention]`` rules (legal holds keep them); ``apply`` erases them."""
        return self._svc.erasure.retention(apply=apply, reason=reason)

    def erasure_impact(self, name: str = "") -> list[dict[str, Any]]:
        """Models trained on erased dataset versions, with their stages (and whether the erasure was accepted)."""
        return self._svc.erasure.erasure_impact(name)

    def accept_erasure(self, ref: str, *, reason: str) -> Version:
        """Accept model version ``ref`` as trained on data later erased (the ``erasure`` gate check passes)."""
        result: Version = self._svc.erasure.accept_erasure(ref, reason)
        return result

    # -- diffs -----------------------------------------------------------------------------------------------
    def diff(self, a: str, b: str) -> Diff:
        """What changed from version ``a`` to version ``b`` (two versions of the same kind of asset)."""
        return self._svc.diffs.diff(a, b)

    # -- monitoring ------------------------------------------------------------------------------------------
    def baseline(self, ref: str) -> dict[str, Any]:
        """The stored baseline profile ``ref`` is monitored against (its own, or its training data's)."""
        return self._svc.monitoring.baseline(ref)

    def monitor(
        self,
        ref_or_stage: str,
        batch: Any,
        predictions: Any = None,
        latency_ms: Any = None,
        errors: Any = None,
        at: Any = None,
    ) -> MonitorResult:
        """Record a production batch's drift and health against the version's baseline; apply the policy."""
        return self._svc.monitoring.monitor(ref_or_stage, batch, predictions, latency_ms, errors, at)

    def drift_history(self, name_or_ref: str) -> DriftHistory:
        """Monitored batches, oldest first, of an asset (``KIND:NAME``) or one version (``KIND:NAME@V``)."""
        return self._svc.monitoring.drift_history(name_or_ref)

    def health(self, name: str) -> Health:
        """The health of the version at the monitored stage (else the last monitored version) of ``name``."""
        return self._svc.monitoring.health(name)

    # -- deployable models -------------------------------------------------------------------------------------
    def predictor(self, ref: str, *, trusted: Iterable[str] = ()) -> Predictor:
        """The stored model of ``ref`` as itself, with ``.predict(df)`` (and ``.predict_proba``) checking input
        against the version's signature first."""
        return self._svc.predict.predictor(ref, trusted=tuple(trusted))

    def predict(
        self,
        ref: str,
        input: str | os.PathLike[str],
        output: str | os.PathLike[str],
        *,
        proba: bool = False,
        drop_extra: bool = False,
    ) -> PredictReport:
        """Score a parquet/CSV file with the stored model and write the predictions to ``output``."""
        return self._svc.predict.predict(ref, input, output, proba=proba, drop_extra=drop_extra)

    def import_mlflow(self, model_uri: str, *, name: str | None = None, note: str = "") -> Version:
        """Register an MLflow model (``runs:/RUN/PATH``, ``models:/NAME/3`` or a local model directory) as a new
        version of ``model:NAME``, with its run's params, metrics, tags and run id as provenance."""
        return self._svc.mlflow.import_mlflow(model_uri, name=name, note=note)

    def revalidation_required(self, ref: str) -> bool:
        return self._svc.monitoring.revalidation_required(ref)

    def clear_revalidation(self, ref: str, *, reason: str) -> Version:
        """Clear a version's revalidation-required mark (closes its open alerts); ``reason`` is required."""
        return self._svc.monitoring.clear_revalidation(ref, reason=reason)

    def review(self, ref: str, *, summary: str, lessons: Any = None, criteria_changes: Any = None) -> Review:
        """Record a post-release (after-action) review linked to the version ``ref``."""
        return self._svc.monitoring.review(ref, summary=summary, lessons=lessons, criteria_changes=criteria_changes)

    def reviews(self, ref: str) -> list[Review]:
        return self._svc.monitoring.reviews(ref)

    # -- permissions -----------------------------------------------------------------------------------------
    def anchor(self, output: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """A signed statement of {registry id, sequence, head hash} to keep outside the registry (``output``:
        write it there); ``verify(anchor=FILE)`` checks the log against it. See docs/security.md."""
        return self._svc.anchors.anchor(output)

    def release(self, ref: str, output: str | os.PathLike[str]) -> dict[str, Any]:
        """Write ``ref``'s files plus an OpenSSF model-signing signature to ``output`` (verifiable with the
        ``model_signing`` command line and the signer's public key)."""
        return self._svc.release.release(ref, output)

    def permissions(self, ref: str | None = None, to: str | None = None) -> dict[str, Any]:
        """``{"user", "roles", "stages", "to", "deploy_stage", "actions": {method: {"allowed", "reason"}}}``.

        ``stages`` are the stages after the version's current one; ``to`` defaults to the next. ``reason``
        says why an action is not allowed (empty when it is). Nothing is recorded.
        """
        return self._svc.permissions.permissions(ref, to)

    # -- exports ---------------------------------------------------------------------------------------------
    def notify(
        self, *, test: bool = False, event: str = "VersionPromoted", seq: int | None = None
    ) -> list[dict[str, Any]]:
        """The delivery log of the policy's ``[notify]`` targets (of event ``seq`` when given). ``test=True`` sends
        a sample ``event`` (marked ``"sample": true``) to every target instead and returns its tries."""
        if test:
            return self._svc.notify.send_sample(event)
        return self._svc.notify.deliveries(seq)

    def export(self, ref_or_name: str, format: str, output: str | os.PathLike[str] | None = None) -> ExportResult:
        """Export a version (the latest when ``ref_or_name`` names an asset) in a standard format: ``prov``,
        ``openlineage``, ``model-card``, ``annex-iv``, ``cyclonedx``, ``zarr`` (plain zarr v3), ``mlflow``.
        With ``output`` the files are written there; without it the document is returned. Changes nothing.
        """
        return self._svc.exports.export(ref_or_name, format, output)

    # -- search ----------------------------------------------------------------------------------------------
    def search(self, query: str, *, limit: int | None = None, cursor: str | None = None) -> SearchResult:
        """The versions matching ``query`` (``metrics.accuracy > 0.9 and params.C = 0.5``, ``trained_on
        dataset:churn@3``; the grammar is in :mod:`lifecycle_ext.core.query`), one page of ``limit`` after
        ``cursor`` (``result.next`` is the next page's cursor). A malformed query raises ``QueryError``
        naming the column."""
        return self._svc.search.search(query, limit=limit, cursor=cursor)

    def inbox(self) -> Inbox:
        """What awaits the acting user's review: open requests they may approve, soak periods that ended,
        monitoring alerts that block promotion."""
        return self._svc.inbox.inbox()
