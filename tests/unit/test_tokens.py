"""Token verification: dev HS256 and Entra-style RS256 against a JWKS served on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.auth.tokens import TokenVerifier, mint_dev_token
from core.errors import Unauthenticated
from core.settings import Settings

TENANT = "4f1c2a7e-0d3b-4c8e-9a51-2b6f0e9d7c13"
ISSUER = f"https://login.microsoftonline.com/{TENANT}/v2.0"
AUDIENCE = "api://datawave"


def _rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(key, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


class _JwksServer:
    def __init__(self) -> None:
        self.keys: list[dict] = []
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - stdlib name
                outer.fetches += 1
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/keys"


@pytest.fixture(scope="module")
def jwks():
    server = _JwksServer()
    yield server
    server.httpd.shutdown()


def _entra_settings(jwks_url: str) -> Settings:
    return Settings(env="prod", auth_jwks_url=jwks_url, auth_issuer=ISSUER, auth_audience=AUDIENCE)


def _entra_token(key, kid: str, **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "tid": TENANT,
        "aud": AUDIENCE,
        "oid": "user-oid",
        "sub": "s",
        "name": "Ann",
        "exp": now + 600,
        "nbf": now,
        "roles": ["DataSteward"],
        "groups": ["g1"],
        "amr": ["pwd", "mfa"],
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_entra_token_becomes_a_principal(jwks):
    key = _rsa_key()
    jwks.keys = [_jwk(key, "k1")]
    principal = TokenVerifier(_entra_settings(jwks.url)).verify(_entra_token(key, "k1"))
    assert principal.subject == "user-oid"
    assert principal.name == "Ann"
    assert principal.roles == frozenset({"DataSteward"})
    assert principal.groups == frozenset({"g1"})
    assert principal.has_mfa


def test_key_rotation_is_picked_up_without_restart(jwks):
    old, new = _rsa_key(), _rsa_key()
    jwks.keys = [_jwk(old, "old")]
    # The production client waits 10 s between refetches for unknown kids; here it may refetch at once.
    client = jwt.PyJWKClient(jwks.url, cache_keys=True, cooldown_duration=0)
    verifier = TokenVerifier(_entra_settings(jwks.url), jwks_client=client)
    verifier.verify(_entra_token(old, "old"))
    jwks.keys = [_jwk(old, "old"), _jwk(new, "new")]
    assert verifier.verify(_entra_token(new, "new")).subject == "user-oid"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"exp": int(time.time()) - 3600}, "token_expired"),
        ({"aud": "api://someone-else"}, "invalid_token"),
        ({"iss": "https://evil.example/v2.0"}, "invalid_token"),
        ({"nbf": int(time.time()) + 3600}, "invalid_token"),
        ({"tid": "0e9d7c13-2b6f-4c8e-9a51-4f1c2a7e0d3b"}, "invalid_token"),  # right issuer, other tenant
        ({"tid": None}, "invalid_token"),
        ({"iss": None}, "invalid_token"),
        ({"oid": "user\u0000oid"}, "invalid_token"),  # claims end up in PostgreSQL text
        ({"groups": ["g\u0000"]}, "invalid_token"),
    ],
)
def test_entra_token_claims_are_checked(jwks, overrides, code):
    key = _rsa_key()
    jwks.keys = [_jwk(key, "k")]
    with pytest.raises(Unauthenticated) as raised:
        TokenVerifier(_entra_settings(jwks.url)).verify(_entra_token(key, "k", **overrides))
    assert raised.value.code == code


def test_signing_keys_are_fetched_once_and_cached(jwks):
    key = _rsa_key()
    jwks.keys = [_jwk(key, "cached")]
    verifier = TokenVerifier(_entra_settings(jwks.url))
    before = jwks.fetches
    for _ in range(5):
        verifier.verify(_entra_token(key, "cached"))
    assert jwks.fetches - before == 1


def test_alg_none_is_rejected_with_entra_configured(jwks):
    jwks.keys = [_jwk(_rsa_key(), "k")]
    claims = {"iss": ISSUER, "tid": TENANT, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 60}
    with pytest.raises(Unauthenticated) as raised:
        TokenVerifier(_entra_settings(jwks.url)).verify(jwt.encode(claims, None, algorithm="none"))
    assert raised.value.code == "invalid_token"


def test_rs256_needs_a_configured_issuer(jwks, tmp_path):
    """Entra ID signs every tenant's tokens with the same keys: without an issuer nothing is accepted."""
    key = _rsa_key()
    jwks.keys = [_jwk(key, "k")]
    local = Settings(auth_jwks_url=jwks.url, auth_audience=AUDIENCE, data_dir=tmp_path)
    with pytest.raises(Unauthenticated):
        TokenVerifier(local).verify(_entra_token(key, "k", iss="https://login.microsoftonline.com/other/v2.0"))
    with pytest.raises(ValueError, match="DATAWAVE_AUTH_ISSUER"):
        Settings(env="prod", auth_jwks_url=jwks.url)


def test_small_clock_skew_is_tolerated(jwks):
    key = _rsa_key()
    jwks.keys = [_jwk(key, "k")]
    token = _entra_token(key, "k", exp=int(time.time()) - 10)
    assert TokenVerifier(_entra_settings(jwks.url)).verify(token).subject == "user-oid"


def test_unknown_kid_is_rejected(jwks):
    jwks.keys = [_jwk(_rsa_key(), "known")]
    with pytest.raises(Unauthenticated):
        TokenVerifier(_entra_settings(jwks.url)).verify(_entra_token(_rsa_key(), "unknown"))


def test_hs256_signed_with_the_public_key_is_rejected(jwks):
    key = _rsa_key()
    jwks.keys = [_jwk(key, "k")]
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 60}

    # PyJWT refuses to HMAC-sign with a PEM key, so the confused token is built by hand.
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k"}).encode()) + b"." + b64(json.dumps(claims).encode())
    )
    forged = (signing_input + b"." + b64(hmac.new(public_pem, signing_input, hashlib.sha256).digest())).decode()
    with pytest.raises(Unauthenticated):
        TokenVerifier(_entra_settings(jwks.url)).verify(forged)


def test_dev_tokens_are_refused_outside_local_mode(jwks, tmp_path):
    local = Settings(auth_dev_secret="a-local-secret-that-is-long-enough-0000", data_dir=tmp_path)
    token = mint_dev_token(local, "dev", ["Admin"])
    with pytest.raises(Unauthenticated):
        TokenVerifier(_entra_settings(jwks.url)).verify(token)


def test_dev_secret_is_generated_once_with_private_permissions(tmp_path):
    settings = Settings(data_dir=tmp_path)
    token = mint_dev_token(settings, "dev", ["Viewer"])
    assert TokenVerifier(settings).verify(token).roles == frozenset({"Viewer"})
    secret_file = tmp_path / "dev-token-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert TokenVerifier(Settings(data_dir=tmp_path)).verify(token).subject == "dev"


def test_dev_secret_cannot_be_set_outside_local_mode():
    with pytest.raises(ValueError):
        Settings(env="prod", auth_dev_secret="x" * 40, auth_jwks_url="https://x/keys")
