"""The action catalogue: every action a user can take, declared once, for every surface.

An :class:`Action` names the ``Registry`` method it calls, its typed arguments, the policy permission it needs,
how it is exposed over REST (if at all) and what it returns. The ``lifecycle`` CLI and ``%lifecycle`` build
their subcommands from it (``cli/commands.py``), the REST routes are generated from it (``server/handlers.py``),
and tests check ``server/openapi.json`` and ``labextension/src/tokens.ts`` against it.

One name per action, the service method's: ``promote`` is ``reg.promote``, ``lifecycle promote``,
``%lifecycle promote`` and ``POST /lifecycle/api/promote``. The CLI spells multi-word names with dashes
(``request-promotion``) and keeps the underscore spelling and older names (``ls``, ``show``, ``request``,
``policy set``) as aliases.

Adding an action: the service method, its :class:`Action` here, its tests. This module imports only the
standard library (it is read when ``%load_ext lifecycle_ext`` builds nothing, and by the server at start).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from .exports import format_names

EXPORT_FORMATS = format_names()

__all__ = ["Arg", "Rest", "Result", "Action", "Catalogue", "CATALOGUE", "cli_name"]


@dataclass(frozen=True)
class Arg:
    """One argument of an action, named as the service method names it.

    ``positional`` arguments are passed to the method by position (and are positional on the CLI); the others
    by keyword (``--name`` options on the CLI). Over REST every argument travels by name: query parameters for
    reads, JSON body fields for writes. ``rest_required`` overrides ``required`` for REST only: write actions
    from the sidebar must say why (``reason``), the CLI and the notebook default it to "".
    """

    name: str
    type: type = str  # str, int, float, bool (a flag), Path (a file the surface reads)
    required: bool = False
    help: str = ""
    positional: bool = False
    choices: tuple[str, ...] | None = None
    default: Any = None
    repeat: bool = False  # a list of values (``--lessons a --lessons b``)
    flags: tuple[str, ...] = ()  # extra CLI spellings (``-r`` for ``--reason``)
    metavar: str | None = None
    permission: str | None = None  # a policy permission this argument asks for (``force``)
    rest_required: bool | None = None

    @property
    def required_over_rest(self) -> bool:
        return self.required if self.rest_required is None else self.rest_required


@dataclass(frozen=True)
class Rest:
    """How an action is exposed under ``/lifecycle/api/``: ``GET route?query`` to read, ``POST route`` with a JSON
    body to write. ``envelope`` wraps a read's result (``{"assets": [...]}``); a write answers
    ``{"result": ..., "seq": ...}``. ``schema`` is the ``openapi.json`` component of the 200 response."""

    method: Literal["GET", "POST"]
    schema: str
    envelope: str | None = None

    @property
    def write(self) -> bool:
        return self.method == "POST"


@dataclass(frozen=True)
class Result:
    """What the method returns. ``type`` names the view model; ``shape`` names the JSON shape in
    :mod:`lifecycle_ext.registry.serialize` (default: the object's ``to_dict``/fields); ``verdict`` is the
    attribute that says pass (True) or fail (False): the CLI exits 1 on fail."""

    type: str
    shape: str | None = None
    verdict: str | None = None


@dataclass(frozen=True)
class Action:
    name: str
    help: str
    args: tuple[Arg, ...] = ()
    method: str = ""  # the Registry method; default: the action's name
    permission: str | None = None  # the policy permission (core/policy.py ACTIONS) the method checks
    rest: Rest | None = None
    result: Result = field(default_factory=lambda: Result("object"))
    aliases: tuple[str, ...] = ()  # older CLI/magic spellings kept working; "policy set" is two words

    def __post_init__(self) -> None:
        if not self.method:
            object.__setattr__(self, "method", self.name)

    @property
    def route(self) -> str | None:
        """The REST route under ``/lifecycle/api/`` (the action's name), or None when not exposed."""
        return self.name if self.rest is not None else None

    def arg(self, name: str) -> Arg:
        return next(a for a in self.args if a.name == name)

    def call(self, reg: Any, values: dict[str, Any]) -> Any:
        """Call the service method with ``values`` (argument name -> value; absent means default)."""
        pos = [values.get(a.name, a.default) for a in self.args if a.positional]
        kw = {a.name: values[a.name] for a in self.args if not a.positional and a.name in values}
        return getattr(reg, self.method)(*pos, **kw)


def cli_name(name: str) -> str:
    """``request_promotion`` -> ``request-promotion`` (the CLI spelling; the underscore one is an alias)."""
    return name.replace("_", "-")


class Catalogue:
    """An ordered, immutable set of actions. :meth:`with_action` returns a copy with one more."""

    def __init__(self, actions: tuple[Action, ...] | list[Action]) -> None:
        self._actions = tuple(actions)
        self._by_name = {a.name: a for a in self._actions}
        if len(self._by_name) != len(self._actions):
            raise ValueError("two actions share a name")

    def __iter__(self) -> Iterator[Action]:
        return iter(self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Action:
        return self._by_name[name]

    def with_action(self, action: Action) -> Catalogue:
        return Catalogue((*self._actions, action))

    def rest(self) -> list[Action]:
        return [a for a in self._actions if a.rest is not None]

    def permissions(self) -> set[str]:
        """Every policy permission some action (or one of its arguments) asks for."""
        out = {a.permission for a in self._actions if a.permission}
        out |= {g.permission for a in self._actions for g in a.args if g.permission}
        return out


# -- shared argument specs -----------------------------------------------------------------------------
_REF = Arg("ref", required=True, positional=True, help="KIND:NAME@VERSION")
_REF_OPT = Arg("ref", positional=True, help="only events about this asset or version")
_NAME = Arg("name", required=True, positional=True, help="KIND:NAME (or NAME when unique)")
_KIND = Arg("kind", positional=True, help="model, dataset, label_schema, pipeline, ...")
_TO = Arg("to", help="target stage (default: the next stage)")
_REASON = Arg("reason", flags=("-r",), default="", help="why (recorded in the audit trail)", rest_required=True)
_STAGE = (_REF, _TO, _REASON)
_POST = Rest("POST", "ActionResult")
_LIMIT = Arg("limit", type=int, help="at most this many items (a page)")
_CURSOR = Arg("cursor", help="continue after the page that gave this cursor")
_SINCE = Arg("since", help="only what changed after event #N or since an ISO-8601 date/time")
_PAGE = (_LIMIT, _SINCE, _CURSOR)

CATALOGUE = Catalogue(
    [
        # -- the registry and its versions ------------------------------------------------------------------
        Action("info", "where the registry is and what it holds", result=Result("RegistryInfo")),
        Action(
            "assets",
            "list assets (optionally of one kind)",
            (_KIND, *_PAGE),
            aliases=("ls",),
            rest=Rest("GET", "AssetList", envelope="assets"),
            result=Result("DataFrame[AssetSummary]"),
        ),
        Action(
            "browse",
            "assets by kind with their versions and stages, filtered",
            (
                Arg("kind", positional=True, help="model, dataset, label_schema, ..."),
                Arg("name", help="KIND:NAME contains this text"),
                Arg("tag", help="versions with this tag"),
                Arg("metadata", help="versions whose metadata has KEY or KEY=VALUE"),
                *_PAGE,
            ),
            result=Result("AssetListing"),
        ),
        Action(
            "get",
            "show one version's record",
            (_REF,),
            aliases=("show",),
            rest=Rest("GET", "VersionRecord"),
            result=Result("Version", shape="version_record"),
        ),
        Action(
            "versions",
            "list the versions of an asset",
            (_NAME, *_PAGE),
            rest=Rest("GET", "VersionList"),
            result=Result("DataFrame[VersionRow]", shape="version_list"),
        ),
        Action(
            "lineage",
            "upstream and downstream lineage of a version",
            (
                Arg("ref", required=True, positional=True, help="KIND:NAME@VERSION"),
                Arg("direction", choices=("up", "down", "both"), default="both", help="which way to walk"),
                Arg("depth", type=int, help="how many steps (default: all)"),
            ),
            rest=Rest("GET", "Lineage"),
            result=Result("Lineage", shape="lineage"),
        ),
        Action(
            "tag",
            "add a tag to a version",
            (_REF, Arg("tag", required=True, positional=True)),
            result=Result("Version"),
        ),
        Action(
            "untag",
            "remove a tag from a version",
            (_REF, Arg("tag", required=True, positional=True)),
            result=Result("Version"),
        ),
        Action(
            "alias",
            "point an alias (e.g. champion) of the asset at this version: KIND:NAME@alias",
            (_REF, Arg("alias", required=True, positional=True)),
            result=Result("Version"),
        ),
        Action(
            "unalias",
            "remove an alias from an asset",
            (_NAME, Arg("alias", required=True, positional=True)),
            result=Result("None"),
        ),
        Action(
            "verify",
            "rehash stored content and walk the event chain",
            (
                Arg("ref", positional=True, help="KIND:NAME@VERSION (default: everything)"),
                Arg("anchor", help="an anchor file (from `anchor`) the log must still contain", metavar="FILE"),
            ),
            result=Result("VerifyReport", verdict="ok"),
        ),
        Action(
            "gc",
            "remove blobs no version references",
            (
                Arg("grace_seconds", type=float, default=3600.0, help="keep blobs younger than this"),
                Arg("dry_run", type=bool, default=False, help="report, remove nothing"),
            ),
            result=Result("GcReport"),
        ),
        # -- diffs and datasets --------------------------------------------------------------------------------
        Action(
            "diff",
            "what changed between two versions (models, datasets, label schemas, data)",
            (
                Arg("a", required=True, positional=True, help="KIND:NAME@VERSION (the old version)"),
                Arg("b", required=True, positional=True, help="KIND:NAME@VERSION (the new version)"),
            ),
            rest=Rest("GET", "Diff"),
            result=Result("Diff"),
        ),
        Action("corrections", "the label-correction history of a dataset", (_REF,), result=Result("DataFrame")),
        Action(
            "schema_impact",
            "datasets and models affected by a label-schema version's retroactive changes",
            (_REF,),
            result=Result("SchemaImpact"),
        ),
        Action(
            "migrate_labels",
            "a new dataset version labelled under a later label schema (split rows listed for review)",
            (
                _REF,
                Arg("to_schema", required=True, help="the label_schema version to migrate to (KIND:NAME@VERSION)"),
                Arg("reason", flags=("-r",), default="", help="why (recorded with the new version)"),
            ),
            result=Result("LabelMigration"),
        ),
        # -- erasure and retention (docs/erasure.md) ---------------------------------------------------------
        Action(
            "erase",
            "erase rows by key from every version of a dataset (redacted successors, one ContentErased event)",
            (
                _NAME,
                Arg("keys", required=True, repeat=True, metavar="KEY", help="a row key to erase (repeatable)"),
                Arg("reason", flags=("-r",), required=True, help="why (recorded in the ContentErased event)"),
                Arg("basis", default="", help="the legal basis, e.g. 'GDPR Art. 17 request #123'"),
                Arg("dry_run", type=bool, default=False, help="list what would be erased and the models affected"),
            ),
            permission="erase",
            result=Result("ErasureReport"),
        ),
        Action(
            "retention",
            "dataset versions past the policy's [retention] rules; --apply erases them",
            (
                Arg(
                    "apply",
                    type=bool,
                    default=False,
                    help="erase what is due (legal holds keep theirs)",
                    permission="erase",
                ),
                Arg("reason", flags=("-r",), default="", help="why (default: the retention rule)"),
            ),
            result=Result("RetentionReport"),
        ),
        Action(
            "accept_erasure",
            "accept a model trained on data later erased (the erasure gate check then passes)",
            (_REF, Arg("reason", flags=("-r",), required=True, help="why the model may stay as trained")),
            result=Result("Version"),
        ),
        # -- promotion -----------------------------------------------------------------------------------------
        Action(
            "gates",
            "evaluate the gates for promoting a version (exit 0 pass, 1 fail, 2 error)",
            (_REF, _TO),
            rest=Rest("GET", "GateReport"),
            result=Result("GateReport", verdict="passed"),
        ),
        Action(
            "permissions",
            "what the acting user may do with a version, and why not",
            (_REF, _TO),
            rest=Rest("GET", "Permissions"),
            result=Result("Permissions"),
        ),
        Action(
            "promote",
            "promote a version to a stage if its gates pass",
            (
                *_STAGE,
                Arg(
                    "force",
                    type=bool,
                    default=False,
                    permission="force",
                    help="promote despite failing checks (allowed roles only; needs --reason; recorded as an override)",
                ),
                Arg("known_limitations", help="required when entering production"),
            ),
            permission="promote",
            rest=_POST,
            result=Result("Version"),
        ),
        Action(
            "request_promotion",
            "request the promotion of a version to a stage",
            _STAGE,
            permission="request",
            rest=_POST,
            aliases=("request",),
            result=Result("PromotionRequest"),
        ),
        Action(
            "approve",
            "approve the promotion of a version",
            _STAGE,
            permission="approve",
            rest=_POST,
            result=Result("PromotionRequest"),
        ),
        Action(
            "reject",
            "reject the promotion of a version (needs --reason)",
            _STAGE,
            permission="reject",
            rest=_POST,
            result=Result("PromotionRequest"),
        ),
        Action(
            "pending",
            "requests awaiting approval and completed soak periods",
            rest=Rest("GET", "Pending", envelope="pending"),
            result=Result("list[PendingItem]"),
        ),
        Action(
            "rollback",
            "restore the previous production version",
            (_NAME, _REASON),
            permission="rollback",
            rest=_POST,
            result=Result("Version"),
        ),
        Action(
            "retire",
            "retire a version (stays loadable, never promoted again)",
            (
                _REF,
                _REASON,
                Arg("replaced_by", help="the version that replaces it (at the deploy stage: promoted in its place)"),
                Arg("allow_empty", type=bool, help="retire the deploy-stage version leaving the stage empty"),
            ),
            permission="retire",
            rest=_POST,
            result=Result("Version"),
        ),
        Action(
            "deployment",
            "the deployment record of a version (or of what is deployed now)",
            (Arg("ref_or_name", required=True, positional=True, help="KIND:NAME@VERSION or KIND:NAME"),),
            result=Result("DeploymentRecord"),
        ),
        Action("policy", "print the policy in force", aliases=("policy show",), result=Result("PolicyView")),
        Action(
            "set_policy",
            "validate and record a new policy file",
            (
                Arg(
                    "text_or_path",
                    type=Path,
                    required=True,
                    positional=True,
                    metavar="FILE",
                    help="path to lifecycle.toml",
                ),
                _REASON,
            ),
            permission="set_policy",
            aliases=("policy set",),
            result=Result("PolicyView"),
        ),
        # -- audit ---------------------------------------------------------------------------------------------
        Action(
            "audit",
            "the audit trail of every recorded event",
            (_REF_OPT, *_PAGE),
            rest=Rest("GET", "Audit", envelope="events"),
            result=Result("DataFrame[AuditEvent]"),
        ),
        Action(
            "audit_view", "the audit trail with stage badges and evidence", (_REF_OPT,), result=Result("AuditTrail")
        ),
        Action(
            "explain",
            "why a version was chosen and what changed since the one before",
            (_REF,),
            result=Result("Explanation"),
        ),
        Action(
            "metric_history",
            "metrics across the versions of an asset, and the stages each reached",
            (
                _NAME,
                Arg("metric", repeat=True, help="only this metric (repeatable)"),
            ),
            result=Result("MetricHistory"),
        ),
        # -- monitoring ----------------------------------------------------------------------------------------
        Action(
            "monitor",
            "record a production batch's drift and health against the baseline",
            (
                Arg(
                    "ref_or_stage",
                    required=True,
                    positional=True,
                    metavar="REF",
                    help="KIND:NAME@VERSION, or KIND:NAME for the version at the monitored stage",
                ),
                Arg("batch", type=Path, required=True, help="the production batch (.parquet or .csv)"),
                Arg("predictions", metavar="COLUMN", help="column holding prediction scores"),
                Arg("latency_ms", metavar="COLUMN", help="column holding request latencies in milliseconds"),
                Arg("errors", metavar="COLUMN|N", help="0/1 error column, or a count of errors"),
                Arg("at", help="observation time (ISO-8601; default now)"),
            ),
            result=Result("MonitorResult", verdict="ok"),
        ),
        Action(
            "health",
            "production health: latest drift per feature, trend, open alerts",
            (_NAME,),
            result=Result("Health", verdict="ok"),
        ),
        Action(
            "drift_history",
            "monitored batches in order, with drift per feature",
            (
                Arg(
                    "name_or_ref",
                    required=True,
                    positional=True,
                    metavar="NAME",
                    help="KIND:NAME for every batch, or KIND:NAME@VERSION for one version's",
                ),
            ),
            result=Result("DriftHistory"),
        ),
        Action(
            "review",
            "record a post-release review of a version",
            (
                _REF,
                Arg("summary", required=True, help="what happened after release"),
                Arg("lessons", repeat=True, help="a lesson learned (repeatable)"),
                Arg("criteria_changes", repeat=True, help="a change to the acceptance criteria or policy (repeatable)"),
            ),
            result=Result("Review"),
        ),
        Action(
            "clear_revalidation",
            "clear a version's revalidation-required mark after an alert",
            (
                _REF,
                Arg("reason", required=True, help="what was checked before clearing"),
            ),
            result=Result("Version"),
        ),
        # -- deployable models ---------------------------------------------------------------------------------
        Action(
            "predict",
            "score a parquet or CSV file with a stored model (input checked against its signature)",
            (
                _REF,
                Arg("input", type=Path, required=True, help="rows to score (.parquet or .csv)"),
                Arg("output", type=Path, required=True, help="where the predictions go (.parquet or .csv)"),
                Arg("proba", type=bool, help="write class probabilities instead of predictions"),
                Arg("drop_extra", type=bool, help="ignore input columns that are not in the signature"),
            ),
            result=Result("PredictReport"),
        ),
        Action(
            "import_mlflow",
            "register an MLflow model (runs:/..., models:/NAME/N or a folder) with its run's params and metrics",
            (
                Arg("model_uri", required=True, positional=True, metavar="MODEL_URI", help="the MLflow model URI"),
                Arg("name", help="the model's name here (default: the registered name or the folder's)"),
                Arg("note", help="a note on the new version"),
            ),
            result=Result("Version"),
        ),
        # -- provenance ----------------------------------------------------------------------------------------
        Action(
            "reproduce",
            "re-run a tracked version's captured cell and compare content hashes",
            (replace(_REF, help="KIND:NAME@VERSION of a version created by %%track"),),
            result=Result("ReproduceReport", verdict="ok"),
        ),
        Action(
            "environment",
            "the environment captured when a tracked version was created",
            (replace(_REF, help="KIND:NAME@VERSION of a version created by %%track"),),
            result=Result("dict"),
        ),
        # -- trust (docs/security.md) ----------------------------------------------------------------------------
        Action(
            "anchor",
            "write a signed anchor {registry, sequence, head} to keep outside the registry",
            (Arg("output", help="the file to write (commit it, keep it as a CI artifact)", metavar="FILE"),),
            result=Result("dict"),
        ),
        Action(
            "release",
            "write a version's files signed in the OpenSSF model-signing format",
            (_REF, Arg("output", required=True, help="the new folder to write", metavar="DIR")),
            result=Result("dict"),
        ),
        # -- exports -------------------------------------------------------------------------------------------
        Action(
            "export",
            "export a version in a standard format (PROV, OpenLineage, model card, Annex IV, CycloneDX, zarr)",
            (
                Arg(
                    "ref_or_name", required=True, positional=True, metavar="REF", help="KIND:NAME@VERSION or KIND:NAME"
                ),
                Arg("format", required=True, choices=EXPORT_FORMATS, help="the format to write"),
                Arg("output", flags=("-o",), metavar="PATH", help="file or folder to write (default: print it)"),
            ),
            result=Result("ExportResult"),
        ),
        Action(
            "notify",
            "the delivery log of [notify] webhooks and commands; --test sends a sample event to every target",
            (
                Arg("test", type=bool, default=False, help="send a sample event and show its deliveries"),
                Arg("event", default="VersionPromoted", metavar="TYPE", help="the sample's event type (with --test)"),
                Arg("seq", type=int, help="only deliveries of this event"),
            ),
            result=Result("list[Delivery]"),
        ),
        # -- search --------------------------------------------------------------------------------------------
        Action(
            "search",
            "versions matching a query: metrics.accuracy > 0.9 and params.C = 0.5 (see docs/search.md)",
            (
                Arg("query", required=True, positional=True, metavar="QUERY", help="the query (quote it)"),
                _LIMIT,
                _CURSOR,
            ),
            rest=Rest("GET", "SearchResult"),
            result=Result("SearchResult"),
        ),
        Action(
            "inbox",
            "what awaits your review: requests you may approve, soak periods that ended, alerts blocking promotion",
            rest=Rest("GET", "Inbox"),
            result=Result("Inbox"),
        ),
    ]
)
