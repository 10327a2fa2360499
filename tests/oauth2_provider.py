"""A real OAuth2 / OpenID Connect authorization server for the tests, built with authlib (Flask).

Served by werkzeug on ``127.0.0.1:<free port>`` in a thread: ``/authorize`` (authorization code,
granted at once to :attr:`OAuth2Provider.user`), ``/token`` (client secret basic or post, PKCE
S256 checked when the authorization request carried a challenge, an ``id_token`` when the
``openid`` scope was asked) and ``/userinfo`` (the user's claims for a bearer token).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify
from werkzeug.serving import make_server

CLIENT_ID = "pybase-test-client"
CLIENT_SECRET = "pybase-test-secret"


@dataclass
class Client:
    client_id: str
    client_secret: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri.startswith("http")

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None = None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class Token:
    access_token: str
    client_id: str
    scope: str
    user: dict[str, Any]
    issued_at: int = field(default_factory=lambda: int(time.time()))
    expires_in: int = 3600

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return False


class OAuth2Provider:
    """The server and what it holds; set :attr:`user` to the account the next sign-in grants."""

    def __init__(self) -> None:
        self.clients = {CLIENT_ID: Client(CLIENT_ID, CLIENT_SECRET)}
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, Token] = {}
        self.user: dict[str, Any] = {
            "sub": "ext-1", "name": "Ext User", "email": "ext@example.com", "email_verified": True,
            "preferred_username": "extuser", "picture": "",
        }
        self.token_requests: list[dict[str, Any]] = []
        self.app = self._flask()
        self._server: Any = None
        self.base_url = ""

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> OAuth2Provider:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def provider_config(self, name: str = "oidc", **extra: Any) -> dict[str, Any]:
        """A pybase/PocketBase provider config pointing at this server."""
        return {
            "name": name, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
            "authURL": self.base_url + "/authorize", "tokenURL": self.base_url + "/token",
            "userInfoURL": self.base_url + "/userinfo", **extra,
        }

    def authorize(self, auth_url: str, redirect_url: str) -> dict[str, str]:
        """Follow an auth-methods authURL (+ redirect) as a browser would; the redirect's query."""
        resp = requests.get(auth_url + redirect_url, allow_redirects=False, timeout=10)
        assert resp.status_code == 302, resp.text
        location = resp.headers["Location"]
        assert location.startswith(redirect_url), location
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    # ---- the authlib server ------------------------------------------------------------

    def _flask(self) -> Flask:
        app = Flask("oauth2-test-provider")
        provider = self

        def query_client(client_id: str) -> Client | None:
            return provider.clients.get(client_id)

        def save_token(token: dict[str, Any], request: Any) -> None:
            provider.tokens[token["access_token"]] = Token(
                token["access_token"], request.client.client_id, token.get("scope", ""), request.user,
            )

        server = AuthorizationServer(app, query_client=query_client, save_token=save_token)

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, request: Any) -> None:
                payload = request.payload
                provider.codes[code] = AuthCode(
                    code, request.client.client_id, payload.redirect_uri or "", payload.scope or "", request.user,
                    payload.data.get("code_challenge"), payload.data.get("code_challenge_method"), payload.data.get("nonce"),
                )

            def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
                item = provider.codes.get(code)
                return item if item is not None and item.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: AuthCode) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: AuthCode) -> dict[str, Any]:
                return authorization_code.user

        class OpenID(OpenIDCode):
            def exists_nonce(self, nonce: str, request: Any) -> bool:
                return False

            def get_jwt_config(self, grant: Any) -> dict[str, Any]:
                return {"key": CLIENT_SECRET, "alg": "HS256", "iss": provider.base_url, "exp": 3600}

            def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
                return UserInfo(user)

        server.register_grant(CodeGrant, [CodeChallenge(required=False), OpenID(require_nonce=False)])

        class Validator(BearerTokenValidator):
            def authenticate_token(self, token_string: str) -> Token | None:
                return provider.tokens.get(token_string)

        protect = ResourceProtector()
        protect.register_token_validator(Validator())

        @app.get("/authorize")
        def authorize() -> Any:
            return server.create_authorization_response(grant_user=dict(provider.user))

        @app.post("/token")
        def token() -> Any:
            from flask import request

            provider.token_requests.append(request.form.to_dict())
            return server.create_token_response()

        @app.get("/userinfo")
        @protect()
        def userinfo() -> Any:
            from authlib.integrations.flask_oauth2 import current_token

            return jsonify(current_token.user)

        return app
