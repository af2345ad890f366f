"""Production monitoring service methods: monitor, health, drift_history, clear_revalidation, review.

Every call records events and never rewrites earlier ones: ``BatchMonitored`` (the batch's evidence), then
``AlertRaised`` when a finding reaches its alert level, followed by the policy's response (record only; mark the
version revalidation-required, which blocks promotion until ``clear_revalidation``; or roll production back to
the rollback pointer, recorded like any rollback with the policy as actor).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from ...core.clock import Clock, iso, parse_time
from ...core.errors import ConflictError, LifecycleError, NotFound, UsageInputError
from ...core.event_types import RevalidationCleared, ReviewRecorded
from ...core.events import canonical
from ...core.monitoring_policy import DRIFT_METRICS, evaluate, parse_monitoring, worst
from ...core.refs import exact_ref
from ..context import Service, State
from ..views.monitoring import DriftHistory, Health, MonitorResult, Review
from ..views.records import Version
from .baselines import find_baseline, load_profile

__all__ = ["MonitoringService"]


def _read_batch(batch: Any) -> Any:
    import pandas as pd

    from ...analysis.baseline import as_frame

    if isinstance(batch, (str, os.PathLike)):
        path = os.fspath(batch)
        if not os.path.exists(path):
            raise UsageInputError(f"batch file {path!r} does not exist")
        if path.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        if path.endswith((".csv", ".csv.gz")):
            return pd.read_csv(path)
        raise UsageInputError(f"batch file {path!r}: give a .parquet or .csv file")
    df = as_frame(batch)
    if df is None:
        raise UsageInputError(
            f"batch must be a DataFrame, dict of columns or a .parquet/.csv path, not {type(batch).__name__}"
        )
    return df


def _model_columns(
    base: dict[str, Any], df: Any, predictions: Any, signature: dict[str, Any] | None, time_column: str | None
) -> tuple[dict[str, Any], Any, Any]:
    """With a model signature: only the model's input columns (and the time column) are compared, never the
    training data's key or label columns; the prediction column is the signature's output when the batch has it.
    A ``predictions`` column name is taken from the batch."""
    if isinstance(predictions, str):
        if predictions not in df.columns:
            raise UsageInputError(f"predictions column {predictions!r} is not in the batch")
        predictions = df[predictions]
    if not signature:
        return base, df, predictions
    inputs = {c["name"] for c in signature.get("inputs", [])}
    outputs = [c["name"] for c in signature.get("outputs", [])]
    if predictions is None and len(outputs) == 1 and outputs[0] in df.columns:
        predictions = df[outputs[0]]
    tcol = time_column or base.get("time_column")
    keep = inputs | ({tcol} if tcol else set())
    base = {**base, "columns": {c: v for c, v in base["columns"].items() if c in keep}}
    df = df[[c for c in df.columns if str(c) in keep]]
    return base, df, predictions


def _when(at: Any, clock: Clock) -> datetime:
    if at is None:
        return clock.now()
    if isinstance(at, datetime):
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    if isinstance(at, str):
        try:
            t = parse_time(at)
        except ValueError:
            raise UsageInputError(f"at={at!r} is not an ISO-8601 time") from None
        return t if t.tzinfo else t.replace(tzinfo=UTC)
    raise UsageInputError(f"at must be a datetime or ISO-8601 text, not {type(at).__name__}")


def _texts(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return [f"{k}: {v}" for k, v in value.items()]
    if isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value):
        return [x for x in value if x.strip()]
    raise UsageInputError(f"{what} must be text, a list of texts or a dict, not {type(value).__name__}")


class MonitoringService(Service):
    # -- policy & resolution -------------------------------------------------------------------------
    def _monitoring_policy(self, state: dict[str, Any] | None = None) -> tuple[dict[str, Any], str | None]:
        """The normalised ``[monitoring]`` section of the policy in force, and that policy's hash."""
        st = state if state is not None else self.ctx.state
        policy = self.ctx.policy_in(st)
        return (policy.monitoring or parse_monitoring(None)), (policy.hash if st.get("policy") else None)

    # -- seams used by promotion (registry/promotion.py) ----------------------------------------------
    def revalidation_problem(self, rec: dict[str, Any]) -> str | None:
        rv = rec.get("revalidation") or {}
        if not rv.get("required"):
            return None
        return (
            f"revalidation required after the monitoring alert at event {rv.get('alert_seq')}; "
            f"clear it with clear_revalidation({rec['kind']}:{rec['name']}@{rec['number']}, reason=...)"
        )

    def gate_facts(self, state: dict[str, Any], rec: dict[str, Any], to: str, policy: Any) -> dict[str, Any]:
        """Facts the pure gate checks need from blobs: ``{"drift": {check name: facts}}``."""
        from .drift_facts import drift_facts

        facts: dict[str, Any] = {}
        for check in policy.gates_for(to, rec["kind"]):
            if check.type == "drift":
                stage = check.options.get("stage") or policy.deploy_stage(rec["kind"])
                facts.setdefault("drift", {})[check.name] = drift_facts(
                    self.svc, state, rec, stage, int(check.options.get("window", 1))
                )
        return facts

    def _monitored(self, ref_or_stage: str, stage: str) -> dict[str, Any]:
        text = str(ref_or_stage)
        name, _, sel = text.partition("@")
        asset = self.ctx.asset_ref(name)
        if sel:
            return self.ctx.resolve(f"{asset.asset}@{sel}")
        a = self.ctx.asset(asset)
        if stage not in a["stages"]:
            raise NotFound(
                f"{asset.asset} has no version at stage {stage!r}; monitor a version explicitly "
                f"(e.g. {asset.asset}@{a['versions'][-1]['number']})"
            )
        rec: dict[str, Any] = a["versions"][int(a["stages"][stage]) - 1]
        return rec

    def baseline(self, ref: str) -> dict[str, Any]:
        """The stored baseline profile ``ref`` is monitored against (its own, or its training data's)."""
        rec = self.ctx.resolve(ref)
        found = find_baseline(self.svc, rec, self.ctx.log.state)
        if found is None:
            raise NotFound(
                f"{rec['kind']}:{rec['name']}@{rec['number']} has no baseline: save its training "
                "data as a DataFrame dataset and pass it in inputs=, or monitor the dataset itself"
            )
        return {"ref": found[0], **load_profile(self.svc, found[1]["blob"])}

    # -- monitor -------------------------------------------------------------------------------------
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
        from ...analysis.drift import compare, findings_input, prediction_profile

        pol, pol_hash = self._monitoring_policy()
        rec = self._monitored(ref_or_stage, pol["stage"])
        exact = exact_ref(rec)
        base = self.baseline(exact)
        df = _read_batch(batch)
        base, df, predictions = _model_columns(base, df, predictions, rec.get("signature"), pol["time_column"])
        when = _when(at, self.ctx.clock)
        pred_ref = rec.get("prediction_baseline")
        pred_base = load_profile(self.svc, pred_ref["blob"]) if pred_ref else None
        sketch: dict[str, Any] = {}
        try:
            report = compare(
                base,
                df,
                at=when,
                predictions=predictions,
                prediction_baseline=pred_base,
                latency_ms=latency_ms,
                errors=errors,
                time_column=pol["time_column"],
                sketch=sketch,
            )
        except (ValueError, TypeError) as exc:
            raise UsageInputError(f"cannot monitor this batch: {exc}") from None
        findings = evaluate(findings_input(report), report["schema"], pol)
        if report["rows"] < pol["min_batch_rows"]:  # too few rows to tell drift: recorded, never alerted on
            findings = [f for f in findings if f["metric"] not in DRIFT_METRICS]
            report["small_batch"] = {"rows": report["rows"], "min_batch_rows": pol["min_batch_rows"]}
        level = worst(findings)
        blobs = [self.ctx.blobs.put(canonical(sketch))[0]]
        new_pred = None
        if predictions is not None and pred_base is None:
            new_pred = self.ctx.blobs.put(canonical(prediction_profile(predictions)))[0]
            blobs.append(new_pred)
        self.ctx.storage.sync()
        asset = f"{rec['kind']}:{rec['name']}"

        def build(state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            cur = self.ctx.resolve(exact, state)
            if cur.get("retired"):
                raise ConflictError(f"{exact} is retired; monitor the version now serving")
            data = {
                "asset": asset,
                "number": rec["number"],
                "ref": exact,
                "observed_at": iso(when),
                "rows": report["rows"],
                "baseline": {"ref": base["ref"]},
                "policy_hash": pol_hash,
                "level": level,
                "findings": findings,
                "evidence": report,
                "sketch": blobs[0],
                "blobs": blobs,
            }
            if new_pred is not None and not cur.get("prediction_baseline"):
                data["prediction_baseline"] = new_pred
            return "BatchMonitored", data

        ev = self.ctx.record(build)
        result = dict(ref=exact, seq=ev["seq"], level=level, findings=findings, evidence=report, baseline=base["ref"])
        alerts = [f for f in findings if f["level"] == "alert"]
        if not alerts:
            return MonitorResult(**result)
        response = pol["on_alert"]
        alert = self.ctx.record(
            lambda st: (
                "AlertRaised",
                {
                    "asset": asset,
                    "number": rec["number"],
                    "ref": exact,
                    "batch_seq": ev["seq"],
                    "findings": alerts,
                    "response": response,
                    "policy_hash": pol_hash,
                },
            )
        )
        outcome = None
        if response == "revalidate":
            outcome = f"{exact} marked revalidation required"
        elif response == "rollback":
            outcome = self._policy_rollback(rec, pol["stage"], alert["seq"], alerts)
        return MonitorResult(**result, alert_seq=alert["seq"], response=response, outcome=outcome)

    def _policy_rollback(self, rec: dict[str, Any], stage: str, alert_seq: int, alerts: list[dict[str, Any]]) -> str:
        asset = f"{rec['kind']}:{rec['name']}"
        a = self.ctx.state["assets"][asset]
        if a["stages"].get(stage) != rec["number"]:
            return f"no rollback: {asset}@{rec['number']} is not at {stage}"
        what = "; ".join(
            f"{f['metric']}{'[' + f['feature'] + ']' if f.get('feature') else ''}={f['value']}" for f in alerts[:5]
        )
        reason = f"monitoring alert (event {alert_seq}): {what}"
        rule = f'monitoring.on_alert = "rollback" (stage {stage})'
        try:
            # recorded and signed by whoever recorded the batch (their key); authorised by the policy's rule
            self.svc.deployment.rollback(asset, reason=reason, automatic={"rule": rule, "alert_seq": alert_seq})
        except LifecycleError as exc:
            return f"rollback failed: {exc}"
        now = self.ctx.state["assets"][asset]["stages"].get(stage)
        return f"rolled back {asset} to version {now}" if now else f"rolled back {asset} (no version at {stage})"

    # -- history & health ----------------------------------------------------------------------------
    def _batch_summary(self, seq: int) -> dict[str, Any]:
        cache = self.ctx.caches.batches
        if seq not in cache:
            ev = self.ctx.event(seq)
            d = ev["data"]
            feats = {c: {k: f.get(k) for k in ("psi", "ks", "null_rate")} for c, f in d["evidence"]["features"].items()}
            psis = [f["psi"] for f in feats.values() if f.get("psi") is not None]
            kss = [f["ks"] for f in feats.values() if f.get("ks") is not None]
            cache[seq] = {
                "seq": seq,
                "at": d["observed_at"],
                "recorded_at": ev["at"],
                "ref": d["ref"],
                "number": d["number"],
                "level": d["level"],
                "rows": d["rows"],
                "max_psi": max(psis, default=None),
                "max_ks": max(kss, default=None),
                "features": feats,
                "findings": d["findings"],
                "evidence": d["evidence"],
            }
        return cache[seq]

    def drift_history(self, name_or_ref: str) -> DriftHistory:
        """Monitored batches, oldest first, of an asset (``KIND:NAME``) or one version (``KIND:NAME@V``)."""
        name, _, sel = str(name_or_ref).partition("@")
        asset = self.ctx.asset_ref(name).asset
        number = self.ctx.resolve(f"{asset}@{sel}")["number"] if sel else None
        mon = self.ctx.state.get("monitoring", {}).get(asset, {"batches": []})
        seqs = [b["seq"] for b in mon["batches"] if number is None or b["number"] == number]
        return DriftHistory(
            name=asset if number is None else f"{asset}@{number}", batches=[self._batch_summary(s) for s in seqs]
        )

    def health(self, name: str) -> Health:
        """The health of the version at the monitored stage (else the last monitored version) of ``name``."""
        st = self.ctx.state
        pol, _ = self._monitoring_policy(st)
        ref = self.ctx.asset_ref(name.partition("@")[0])
        a = self.ctx.asset(ref, st)
        mon = st.get("monitoring", {}).get(ref.asset, {"batches": [], "alerts": []})
        number = a["stages"].get(pol["stage"])
        stage = pol["stage"] if number is not None else None
        if number is None and mon["batches"]:
            number = mon["batches"][-1]["number"]
        if number is None:
            return Health(name=ref.asset, ref=None, stage=None, baseline=None, latest=None, trend=[], open_alerts=[])
        rec = a["versions"][number - 1]
        found = find_baseline(self.svc, rec, st)
        batches = [self._batch_summary(b["seq"]) for b in mon["batches"] if b["number"] == number]
        trend = [{k: b[k] for k in ("seq", "at", "level", "max_psi", "max_ks", "rows")} for b in batches]
        latest = None
        if batches:
            latest = {k: batches[-1][k] for k in ("seq", "at", "level", "features", "findings")}
        alerts = [dict(x) for x in mon["alerts"] if x["open"] and x["number"] == number]
        return Health(
            name=ref.asset,
            ref=f"{ref.asset}@{number}",
            stage=stage,
            baseline=found[0] if found else None,
            latest=latest,
            trend=trend,
            open_alerts=alerts,
            revalidation_required=bool((rec.get("revalidation") or {}).get("required")),
            batches=batches,
        )

    # -- revalidation & review -----------------------------------------------------------------------
    def revalidation_required(self, ref: str) -> bool:
        rec = self.ctx.resolve(ref)
        return bool((rec.get("revalidation") or {}).get("required"))

    def clear_revalidation(self, ref: str, *, reason: str) -> Version:
        """Clear a version's revalidation-required mark (closes its open alerts); ``reason`` is required."""
        if not isinstance(reason, str) or not reason.strip():
            raise UsageInputError("clear_revalidation needs a reason (what was checked)")
        rec = self.ctx.resolve(ref)
        exact = exact_ref(rec)

        def build(state: State) -> RevalidationCleared:
            cur = self.ctx.resolve(exact, state)
            if not (cur.get("revalidation") or {}).get("required"):
                raise ConflictError(f"{exact} is not marked revalidation required")
            return RevalidationCleared(asset=rec.asset, number=rec.number, reason=reason.strip())

        self.ctx.append(build)
        return self.svc.versions.get(exact)

    def review(self, ref: str, *, summary: str, lessons: Any = None, criteria_changes: Any = None) -> Review:
        """Record a post-release (after-action) review linked to the version ``ref``."""
        if not isinstance(summary, str) or not summary.strip():
            raise UsageInputError("review needs a summary (what happened in production)")
        lessons_l = _texts(lessons, "lessons")
        changes = _texts(criteria_changes, "criteria_changes")
        rec = self.ctx.resolve(ref)
        exact = exact_ref(rec)
        ev = self.ctx.record(
            lambda st: ReviewRecorded(
                asset=rec.asset,
                number=rec.number,
                ref_=exact,
                summary=summary.strip(),
                lessons=tuple(lessons_l),
                criteria_changes=tuple(changes),
            )
        )
        return Review(
            ref=exact,
            seq=ev["seq"],
            at=ev["at"],
            by=ev["actor"],
            summary=summary.strip(),
            lessons=lessons_l,
            criteria_changes=changes,
        )

    def reviews(self, ref: str) -> list[Review]:
        rec = self.ctx.resolve(ref)
        exact = exact_ref(rec)
        return [
            Review(
                ref=exact,
                seq=r["seq"],
                at=r["at"],
                by=r["by"],
                summary=r["summary"],
                lessons=list(r["lessons"]),
                criteria_changes=list(r["criteria_changes"]),
            )
            for r in rec.get("reviews", [])
        ]
