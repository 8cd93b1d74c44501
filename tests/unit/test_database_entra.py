"""Microsoft Entra sign-in to PostgreSQL (DATAWAVE_POSTGRES_ENTRA_AUTH): each new connection uses an
access token of the app's identity as its password.

The server is the real embedded PostgreSQL with password (SCRAM) authentication switched on for one
role, so a wrong or missing token is refused by PostgreSQL itself. Only the Azure AD credential is
replaced (it cannot run here): it hands out the token the role's password was set to.
"""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from azure.core.credentials import AccessToken
from psycopg.conninfo import make_conninfo

from core.db import database as db_module
from core.db.database import ENTRA_POSTGRES_SCOPE, Database, entra_password


class FakeCredential:
    """The azure-identity TokenCredential protocol: get_token(*scopes) -> AccessToken."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.fixture(scope="module")
def entra_role(pg_server):
    """A login role whose password is a token, reachable only with that password (SCRAM)."""
    role = "entra_app_" + uuid.uuid4().hex[:8]
    token = "eyJ0eXAi." + uuid.uuid4().hex
    admin_url = pg_server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{token}'")
        hba_file = conn.execute("SHOW hba_file").fetchone()[0]
    with open(hba_file) as f:
        original = f.read()
    rule = f"local all {role} scram-sha-256\nhost all {role} all scram-sha-256\n"
    with open(hba_file, "w") as f:
        f.write(rule + original)  # first match wins: only this role needs a password
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
    yield make_conninfo(admin_url, user=role, password=""), token, role
    with open(hba_file, "w") as f:
        f.write(original)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_the_role_is_refused_without_its_password(entra_role):
    url, _, _ = entra_role
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(url, connect_timeout=5).close()


def test_connections_sign_in_with_an_entra_token(entra_role):
    url, token, role = entra_role
    credential = FakeCredential(token)
    database = Database(url, max_size=2, password=entra_password(credential))
    try:
        with database.connection() as conn:
            assert conn.execute("SELECT current_user AS u").fetchone()["u"] == role
        assert database.ping() >= 0
    finally:
        database.close()
    assert credential.scopes and set(credential.scopes) == {(ENTRA_POSTGRES_SCOPE,)}


def test_a_wrong_token_is_refused_by_the_server(entra_role):
    url, _, _ = entra_role
    connection_class = db_module._connection_class(entra_password(FakeCredential("not-the-token")))
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connection_class.connect(url, connect_timeout=5).close()


def test_get_database_uses_the_token_when_the_setting_is_on(entra_role, monkeypatch):
    url, token, _ = entra_role
    from core.settings import reset_settings_cache

    monkeypatch.setenv("DATAWAVE_POSTGRES_URL", url)
    monkeypatch.setenv("DATAWAVE_POSTGRES_ENTRA_AUTH", "true")
    monkeypatch.setattr("azure.identity.DefaultAzureCredential", lambda: FakeCredential(token))
    reset_settings_cache()
    db_module.reset_database()
    try:
        assert db_module.get_database().ping() >= 0
    finally:
        db_module.reset_database()
        monkeypatch.undo()
        reset_settings_cache()
