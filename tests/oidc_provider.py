"""A small OpenID Connect provider run locally by the tests, on a free loopback port: discovery,
an authorization endpoint that signs in whoever the test says, a token endpoint that checks the
client's credentials and the code and issues an RS256 ID token, and the published keys.

It plays a firm's identity provider with just enough of the protocol for Rebal's client to go
through the real authorization-code flow; `signing_key` may be swapped for a key the provider
does not publish, to forge tokens.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, make_server

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.live import free_port

Environ = dict[str, Any]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


class LocalProvider:
    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = new_key("published")
        self.signing_key = self.key
        self.person: dict[str, Any] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.tokens_issued = 0
        self._server = make_server("127.0.0.1", self.port, self._app, handler_class=_Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LocalProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: Environ, start_response: Any) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        routes = {"/.well-known/openid-configuration": self._discovery,
                  "/authorize": self._authorize, "/token": self._token, "/jwks": self._jwks}
        handler = routes.get(path)
        if handler is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        status, headers, body = handler(environ)
        start_response(status, headers)
        return [body]

    @staticmethod
    def _json(data: dict[str, Any], status: str = "200 OK") -> tuple[str, list, bytes]:
        return status, [("Content-Type", "application/json")], json.dumps(data).encode()

    def _discovery(self, environ: Environ) -> tuple[str, list, bytes]:
        return self._json({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": ["openid", "email", "profile"]})

    def _authorize(self, environ: Environ) -> tuple[str, list, bytes]:
        query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return self._json({"error": "invalid_request"}, "400 Bad Request")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": query.get("nonce", ""),
                            "redirect_uri": query["redirect_uri"]}
        location = query["redirect_uri"] + "?" + urlencode({"code": code,
                                                            "state": query.get("state", "")})
        return "302 Found", [("Location", location)], b""

    def _token(self, environ: Environ) -> tuple[str, list, bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        basic = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Basic ")
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if basic != expected:
            return self._json({"error": "invalid_client"}, "401 Unauthorized")
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return self._json({"error": "invalid_grant"}, "400 Bad Request")
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], **self.person}
        id_token = jwt.encode({"alg": "RS256", "kid": self.signing_key.kid}, claims,
                              self.signing_key)
        self.tokens_issued += 1
        return self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                           "expires_in": 300, "id_token": id_token})

    def _jwks(self, environ: Environ) -> tuple[str, list, bytes]:
        return self._json({"keys": [self.key.as_dict(private=False)]})
