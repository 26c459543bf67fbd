"""A local Pro Santé Connect for the tests: a real OpenID Connect provider over HTTP on
127.0.0.1 (http.server in a thread, ID tokens and userinfo JWTs signed with joserfc).

It answers like PSC's Keycloak: the authorization endpoint (the « wallet », where a person
would present their CPS card or e-CPS app) approves at once the identity the test set, and
sends back to the client with a one-time code; the token endpoint checks the client, the
code, the redirect URI and PKCE; the ID token carries ``acr``; the userinfo holds the PSC
claims (``SubjectNameID`` = idNatPs…) as JSON or as a signed JWT; the end-session endpoint
records the call and returns to ``post_logout_redirect_uri``.

Knobs a test turns: ``identity`` (the claims), ``acr``, ``id_token_lifetime`` (negative:
expired), ``userinfo_as_jwt``, ``signing_key`` / ``userinfo_signing_key`` (another key: a
forged signature).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "maillage-test"
CLIENT_SECRET = "secret-de-test"  # noqa: S105 - the local provider's test client

#: A PSC test identity: idNatPs = « 8 » + RPPS.
RPPS = "10001234565"
IDENTITY = {
    "sub": "f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:ANS-ES-123:810001234565",
    "SubjectNameID": "8" + RPPS,
    "preferred_username": "8" + RPPS,
    "given_name": "CLAIRE",
    "family_name": "MOREAU",
    "SubjectRefPro": {"codeCivilite": "MME", "exercices": [{
        "codeProfession": "60", "codeCategorieProfessionnelle": "C",
        "nomDexercice": "MOREAU", "prenomDexercice": "CLAIRE",
        "activities": [{"codeModeExercice": "L", "raisonSocialeSite": "CABINET INFIRMIER"}],
    }]},
    "otherIds": [{"identifiant": "8" + RPPS, "origine": "RPPS", "qualite": 1}],
}


def _new_key(kid: str = "psc-test") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


class PscProvider:
    def __init__(self):
        self.key = _new_key()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self.issuer = f"{self.base}/auth/realms/esante-wallet"
        self.reset()

    # --- the test's side -------------------------------------------------------------------

    def start(self) -> PscProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.identity = json.loads(json.dumps(IDENTITY))
        self.acr = "eidas1"
        self.id_token_lifetime = 300
        self.userinfo_as_jwt = False
        self.signing_key = self.key
        self.userinfo_signing_key = None
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.logouts: list[dict] = []

    def forged_key(self) -> RSAKey:
        """A key with the same ``kid`` that the JWKS does not publish."""
        return _new_key(kid=self.key.kid)

    def settings(self) -> dict:
        """The Maillage settings pointing at this provider."""
        oidc = f"{self.issuer}/protocol/openid-connect"
        return {
            "PSC_ENABLED": True,
            "PSC_CLIENT_ID": CLIENT_ID,
            "PSC_CLIENT_SECRET": CLIENT_SECRET,
            "PSC_ISSUER": self.issuer,
            "PSC_AUTHORIZATION_ENDPOINT": f"{self.base}/auth",
            "PSC_TOKEN_ENDPOINT": f"{oidc}/token",
            "PSC_USERINFO_ENDPOINT": f"{oidc}/userinfo",
            "PSC_JWKS_ENDPOINT": f"{oidc}/certs",
            "PSC_LOGOUT_ENDPOINT": f"{oidc}/logout",
            "PSC_SIGN_ALGO": "RS256",
            "PSC_USE_PKCE": True,
        }

    # --- the provider's side ---------------------------------------------------------------

    def _sign(self, claims: dict, key: RSAKey | None = None) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}, claims,
                          key or self.signing_key)

    def authorize(self, params: dict) -> tuple[int, dict, bytes]:
        self.authorize_requests.append(params)
        if params.get("client_id") != CLIENT_ID or not params.get("redirect_uri"):
            return 400, {"Content-Type": "text/plain"}, b"unknown client"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"params": params, "identity": dict(self.identity)}
        query = urlencode({"code": code, "state": params.get("state", "")})
        return 302, {"Location": f"{params['redirect_uri']}?{query}"}, b""

    def token(self, form: dict, authorization: str) -> tuple[int, dict, bytes]:
        self.token_requests.append(form)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != CLIENT_ID or secret != CLIENT_SECRET:
            return _json(401, {"error": "invalid_client"})
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("redirect_uri") != grant["params"].get("redirect_uri"):
            return _json(400, {"error": "invalid_grant"})
        challenge = grant["params"].get("code_challenge")
        if challenge:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
                return _json(400, {"error": "invalid_grant", "error_description": "PKCE"})
        now = int(time.time())
        identity = grant["identity"]
        lifetime = self.id_token_lifetime
        claims = {
            "iss": self.issuer, "aud": CLIENT_ID, "azp": CLIENT_ID, "sub": identity["sub"],
            "iat": now if lifetime > 0 else now + lifetime - 60,
            "exp": now + lifetime, "auth_time": now, "acr": self.acr,
            "nonce": grant["params"].get("nonce"),
            "preferred_username": identity.get("preferred_username"),
        }
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = identity
        return _json(200, {"access_token": access_token, "token_type": "Bearer",
                           "expires_in": 120, "id_token": self._sign(claims)})

    def userinfo(self, authorization: str) -> tuple[int, dict, bytes]:
        identity = self.tokens.get(authorization.removeprefix("Bearer "))
        if identity is None:
            return _json(401, {"error": "invalid_token"})
        if self.userinfo_as_jwt:
            body = self._sign({**identity, "iss": self.issuer, "aud": CLIENT_ID},
                              self.userinfo_signing_key)
            return 200, {"Content-Type": "application/jwt"}, body.encode()
        return _json(200, identity)

    def jwks(self) -> tuple[int, dict, bytes]:
        return _json(200, {"keys": [self.key.as_dict(private=False)]})

    def logout(self, params: dict) -> tuple[int, dict, bytes]:
        self.logouts.append(params)
        back = params.get("post_logout_redirect_uri")
        if back:
            return 302, {"Location": back}, b""
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, "Déconnecté".encode()


def _json(status: int, body: dict) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _handler(provider: PscProvider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet tests
            pass

        def _answer(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _route(self, form: dict) -> None:
            url = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            oidc = urlsplit(provider.issuer).path + "/protocol/openid-connect"
            authorization = self.headers.get("Authorization", "")
            routes = {
                "/auth": lambda: provider.authorize(params),
                f"{oidc}/token": lambda: provider.token(form, authorization),
                f"{oidc}/userinfo": lambda: provider.userinfo(authorization),
                f"{oidc}/certs": provider.jwks,
                f"{oidc}/logout": lambda: provider.logout({**params, **form}),
            }
            route = routes.get(url.path)
            if route is None:
                self._answer(404, {"Content-Type": "text/plain"}, b"not found")
            else:
                self._answer(*route())

        def do_GET(self):  # noqa: N802 - http.server's name
            self._route({})

        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            self._route({k: v[0] for k, v in parse_qs(body).items()})

    return Handler
