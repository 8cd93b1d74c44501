"""Bearer token verification and dev-token minting.

Two kinds of token are accepted, each only with its own key material:
- RS256 tokens from Entra ID, verified against the tenant's JWKS (fetched, cached, refreshed when
  an unknown ``kid`` appears, so key rotation needs no restart);
- HS256 tokens minted by ``python -m devhost token`` with a local secret, accepted only in local mode.
An HS256 token is never checked against an RSA key and vice versa (no algorithm confusion), and
``alg: none`` is rejected.

Entra ID signs the tokens of every tenant with the same keys, so the signature alone does not say
whose token it is: RS256 tokens are accepted only with a configured issuer, and when that issuer names
a tenant (``https://login.microsoftonline.com/<tenant-id>/v2.0``) the token's ``tid`` must be it.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt

from core.auth.principal import Principal
from core.errors import Unauthenticated
from core.settings import Environment, Settings

DEV_ISSUER = "datawave-devhost"
_DEV_SECRET_FILE = "dev-token-secret"
_TENANT_IN_ISSUER = re.compile(r"/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:/|$)", re.I)


def issuer_tenant(issuer: str | None) -> str | None:
    """The tenant id an Entra issuer URL names, lower-case (None when it names none)."""
    found = _TENANT_IN_ISSUER.search(issuer or "")
    return found.group(1).lower() if found else None


def dev_signing_secret(settings: Settings) -> str | None:
    """The HS256 secret for dev tokens: the configured one, else (local mode only) a random secret
    kept in ``data_dir`` with mode 0600 so ``devhost token`` and ``devhost start`` agree."""
    if settings.auth_dev_secret is not None:
        return settings.auth_dev_secret.get_secret_value()
    if settings.env is not Environment.LOCAL:
        return None
    path = Path(settings.data_dir) / _DEV_SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two processes starting at once, one writes the secret and both then read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def mint_dev_token(
    settings: Settings,
    subject: str,
    roles: list[str],
    *,
    workspaces: list[UUID] | None = None,
    name: str | None = None,
    groups: list[str] | None = None,
    mfa: bool = False,
    ttl_seconds: int = 3600,
) -> str:
    """Sign a local development token. With ``workspaces`` the roles hold only inside them."""
    secret = dev_signing_secret(settings)
    if secret is None:
        raise RuntimeError("dev tokens are only available when DATAWAVE_ENV=local")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": settings.auth_audience,
        "sub": subject,
        "name": name or subject,
        "roles": roles,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "amr": ["pwd", "mfa"] if mfa else ["pwd"],
    }
    if workspaces:
        claims["workspaces"] = [str(w) for w in workspaces]
    if groups:
        claims["groups"] = groups
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    """Turns a bearer token into a ``Principal`` or raises ``Unauthenticated``."""

    def __init__(self, settings: Settings, jwks_client: jwt.PyJWKClient | None = None) -> None:
        self._settings = settings
        self._dev_secret = dev_signing_secret(settings)
        if jwks_client is None and settings.auth_jwks_url:
            # An unknown kid triggers a refetch at most every 10 s, so a rotated key is picked up
            # quickly while a flood of bogus kids cannot hammer the tenant's JWKS endpoint.
            jwks_client = jwt.PyJWKClient(
                settings.auth_jwks_url, cache_keys=True, lifespan=3600, timeout=5, cooldown_duration=10
            )
        self._jwks = jwks_client

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("malformed bearer token", code="invalid_token") from None
        alg = header.get("alg")
        if alg == "HS256" and self._dev_secret is not None:
            claims = self._decode(token, self._dev_secret, "HS256", issuer=DEV_ISSUER)
        elif alg == "RS256" and self._jwks is not None and self._settings.auth_issuer:
            try:
                key = self._jwks.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientConnectionError:
                raise Unauthenticated("signing keys are unavailable", code="invalid_token") from None
            except jwt.PyJWTError:
                raise Unauthenticated("unknown signing key", code="invalid_token") from None
            claims = self._decode(token, key, "RS256", issuer=self._settings.auth_issuer)
            tenant = issuer_tenant(self._settings.auth_issuer)
            if tenant is not None and str(claims.get("tid", "")).lower() != tenant:
                raise Unauthenticated("token tenant is not trusted", code="invalid_token")
        else:
            raise Unauthenticated(f"tokens signed with {alg!r} are not accepted", code="invalid_token")
        return _principal_from_claims(claims)

    def _decode(self, token: str, key: Any, alg: str, *, issuer: str | None) -> dict[str, Any]:
        options: dict[str, Any] = {"require": ["exp", "sub"] if alg == "HS256" else ["exp", "iss"]}
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self._settings.auth_audience,
                issuer=issuer,
                leeway=self._settings.auth_clock_skew_seconds,
                options=options,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired", code="token_expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("token audience is not this API", code="invalid_token") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("token issuer is not trusted", code="invalid_token") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("token not valid yet", code="invalid_token") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid token", code="invalid_token") from None


def _principal_from_claims(claims: dict[str, Any]) -> Principal:
    subject = claims.get("oid") or claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated("token has no subject", code="invalid_token")
    texts = [
        subject,
        *(t for k in ("name", "roles", "groups", "amr", "workspaces") for t in _string_list(claims.get(k))),
    ]
    if any("\x00" in text for text in texts):
        # Stored (audit actor, assignment lookups) as PostgreSQL text, which cannot hold a NUL.
        raise Unauthenticated("token claims contain a NUL character", code="invalid_token")
    roles = frozenset(_string_list(claims.get("roles")))
    workspace_roles: dict[UUID, frozenset[str]] = {}
    raw_workspaces = _string_list(claims.get("workspaces"))
    if raw_workspaces:
        try:
            ids = [UUID(w) for w in raw_workspaces]
        except ValueError:
            raise Unauthenticated("token names an invalid workspace id", code="invalid_token") from None
        workspace_roles = {ws: roles for ws in ids}
        roles = frozenset()
    return Principal(
        subject=subject,
        name=claims.get("name") if isinstance(claims.get("name"), str) else None,
        roles=roles,
        workspace_roles=workspace_roles,
        groups=frozenset(_string_list(claims.get("groups"))),
        amr=frozenset(_string_list(claims.get("amr"))),
        issuer=claims.get("iss"),
    )


def _string_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
