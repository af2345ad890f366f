"""A test IdentityProvider: each token names a user, so one server can serve several users.

``c.TokenUsersIdentityProvider.users = {"tok-ann": "ann", ...}``. A request with one of these tokens (URL
``?token=`` or ``Authorization: token ...``) is that user and gets a login cookie; a request with the
server's own token (the one JupyterLab's page config hands to the frontend) or none falls back to the
cookie. Without a known token or cookie the request is not authenticated.
"""

from __future__ import annotations

from jupyter_server.auth.identity import IdentityProvider, User
from traitlets import Dict


class TokenUsersIdentityProvider(IdentityProvider):
    users = Dict(help="token -> username").tag(config=True)

    async def get_user(self, handler):  # type: ignore[override]
        token = self.get_token(handler) or ""
        name = self.users.get(token)
        if name is not None:
            user = User(username=name, name=name, display_name=name)
            if self.get_user_cookie(handler) != user:
                self.set_login_cookie(handler, user)
            handler._token_authenticated = True
            return user
        return self.get_user_cookie(handler)
