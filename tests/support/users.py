"""The named principals the tests act as, with the roles the shared policy gives them and their server tokens.

Tests switch user the way the product does: ``open_registry(..., user=NAME)``, ``reg.as_user(NAME)``, or
``$LIFECYCLE_USER`` (the ``act_as`` fixture); these records only keep the names, roles and tokens in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Principal", "ALICE", "BOB", "CAROL", "DAVE", "VICTOR", "TEAM", "TOKENS", "token_for"]


@dataclass(frozen=True)
class Principal:
    """A user: ``name`` (what the registry records), ``roles`` in the shared policy, and a server token."""

    name: str
    roles: tuple[str, ...] = ()

    @property
    def token(self) -> str:
        """The token that authenticates this user on a test server (``TokenUsersIdentityProvider``)."""
        return f"tok-{self.name}"


ALICE = Principal("alice", ("data-scientist",))  # the author: saves, promotes to early stages, requests
BOB = Principal("bob", ("reviewer",))
CAROL = Principal("carol", ("reviewer", "release-manager"))  # reviews and releases; may set the policy
DAVE = Principal("dave", ("reviewer",))  # a second reviewer, for "two distinct approvals"
VICTOR = Principal("victor")  # a viewer: only the roles everybody ("*") holds

TEAM = (ALICE, BOB, CAROL)
"""The principals the shared policy names in ``[users]`` unless a test asks for others."""

TOKENS = {p.token: p.name for p in (ALICE, BOB, CAROL, VICTOR)}
"""token -> user name, for the token identity provider of the server and browser tests."""


def token_for(user: str) -> str:
    """The server token of ``user`` (``""``: not a known user, so the request is unauthenticated)."""
    return next((t for t, name in TOKENS.items() if name == user), "")
