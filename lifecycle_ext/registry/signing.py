"""Which events count: every event is checked against the policy in force just before it.

The policy binds user names to public keys (``[users] alice = { roles = [...], key = "ecdsa-p256:..." }``) and
``[identity] require_signatures = true`` turns signing on. Under such a policy an event counts only when it
carries a signature by the key the policy binds to its actor, and a ``PolicySet`` only when its actor may
``set_policy`` under the policy before it; an event that does not count is kept in the log (it is history) but
never applied to the state, so no gate ever counts it, and ``verify()`` names it. Without
``require_signatures`` every event counts as today; a signature that does not verify against a bound key is still
a ``verify()`` finding, and ``verify()`` lists the unsigned events. The first policy recorded is the trust root:
each later policy is judged by the one before it.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import IntegrityError
from ..core.identity import fingerprint
from ..core.policy import Policy, default_policy, parse_policy, policy_hash
from ..storage.blobs import BlobStore
from ..storage.eventlog import Verdict
from .keys import verify_signature
from .sigpool import ParallelVerifier

__all__ = ["SignatureCheck"]


class SignatureCheck:
    """The event log's admission check (``EventLog(admission=...)``); shares the parsed-policy cache."""

    def __init__(self, blobs: BlobStore, policies: dict[str, Policy]) -> None:
        self.blobs = blobs
        self.policies = policies
        self._lines: dict[str, str] = {}  # fingerprint -> key line, from every policy parsed so far
        self._lines_from = -1  # len(self.policies) when _lines was built
        self._ahead: ParallelVerifier | None = None
        self.checked_ahead = 0  # verdicts verify() took from the parallel pre-check (tests, benchmarks)

    def prefetch(self, events: list[dict[str, Any]] | None) -> None:
        """``verify()`` is about to judge ``events`` (in order): check their signatures ahead, in parallel,
        against the key each names by fingerprint; None when the walk is over (the workers stop)."""
        if events is None:
            if self._ahead is not None:
                self.checked_ahead += self._ahead.checked_ahead
                self._ahead.close()
                self._ahead = None
            return
        if self._ahead is None:
            self._ahead = ParallelVerifier()
        for ev in events:
            sig = ev.get("signature")
            if isinstance(sig, dict):
                line = self._line_of(str(sig.get("key")))
                if line is not None:
                    self._ahead.add(line, str(ev.get("hash")), str(sig.get("value")))
        self._ahead.flush()

    def _line_of(self, fp: str) -> str | None:
        if fp not in self._lines and self._lines_from != len(self.policies):
            self._lines_from = len(self.policies)
            self._lines = {fingerprint(k): k for p in list(self.policies.values()) for k in p.keys.values()}
        return self._lines.get(fp)

    def _verified(self, key: str, digest: str, sig: Any) -> bool:
        """``verify_signature(key, digest, sig)``, answered by the checks made ahead when there is one."""
        if self._ahead is not None and isinstance(sig, dict) and sig.get("key") == fingerprint(key):
            verdict = self._ahead.result(key, digest, str(sig.get("value")))
            if verdict is not None:
                return verdict
        return verify_signature(key, digest, sig)

    def policy(self, state: dict[str, Any]) -> Policy:
        pol = state.get("policy")
        if not pol:
            return default_policy()
        if pol["hash"] not in self.policies:
            text = self.blobs.get(pol["blob"]).decode()
            if policy_hash(text) != pol["hash"]:
                raise IntegrityError(f"stored policy {pol['blob']} does not match its recorded hash {pol['hash']}")
            self.policies[pol["hash"]] = parse_policy(text)
        return self.policies[pol["hash"]]

    def inspect(self, state: dict[str, Any], event: dict[str, Any]) -> Verdict:
        policy = self.policy(state)
        if not policy.keys and "signature" not in event:
            return _UNSIGNED  # the common unsigned registry: nothing to check
        what = f"event {event.get('seq')} ({event.get('type')}) by {event.get('actor')}"
        actor = str(event.get("actor"))
        sig = event.get("signature")
        key = policy.key_of(actor)
        problem = None
        if sig is None:
            if policy.require_signatures:
                problem = f"{what} is unsigned, and the policy in force requires signatures"
        elif key is None:
            if policy.require_signatures:
                problem = f"{what} is signed, but the policy in force binds no key to {actor}"
        elif not self._verified(key, str(event.get("hash")), sig):
            signer = policy.user_of_fingerprint(str(sig.get("key"))) if isinstance(sig, dict) else None
            problem = f"{what}: the signature does not verify against {actor}'s key {fingerprint(key)}" + (
                f" (it names {signer}'s key)" if signer and signer != actor else ""
            )
        if (
            problem is None
            and policy.require_signatures
            and event.get("type") == "PolicySet"
            and not policy.allows(actor, "set_policy")
        ):
            problem = f"{what}: a policy change by someone the policy before it does not allow to set_policy"
        return Verdict(
            counted=problem is None or not policy.require_signatures,
            problem=problem,
            signed=sig is not None and key is not None and problem is None,
        )

    def trusts_checkpoint(self, state: dict[str, Any], body: dict[str, Any]) -> bool:
        """Under ``require_signatures`` (in the checkpoint's own policy, or once any key is bound) a checkpoint
        is used only when signed by a key that policy binds; else the log is replayed. (``verify()`` replays
        from the trust root regardless.)"""
        policy = self.policy(state)
        if not policy.require_signatures:
            return True
        sig = body.get("signature")
        if not isinstance(sig, dict):
            return False
        signer = policy.user_of_fingerprint(str(sig.get("key")))
        key = policy.key_of(signer) if signer else None
        return key is not None and verify_signature(key, str(body.get("digest", "")).split(":", 1)[-1], sig)


_UNSIGNED = Verdict(counted=True, problem=None, signed=False)
