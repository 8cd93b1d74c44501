"""Scan rule sets over HTTP: templates, create (custom / from template), versions, retire, errors."""

from __future__ import annotations

import uuid

import psycopg
import pytest

CUSTOM = {
    "id": "acme_customer_data",
    "name": "ACME customer data",
    "templates": ["gdpr_personal_data"],
    "classifications": ["api_key"],
    "exclude": ["url"],
    "settings": {"postal_code": {"minimum_match_percentage": 80}, "age": {"enabled": False}},
    "custom_rules": [
        {
            "id": "acme_employee_id",
            "name": "ACME employee id",
            "data_patterns": [{"id": "emp", "regex": "EMP-[0-9]{6}", "score": 0.9}],
            "column_patterns": ["employee"],
            "minimum_match_percentage": 60,
        },
        {"id": "acme_tier", "name": "Loyalty tier", "dictionary": ["gold", "silver", "bronze"], "enabled": True},
    ],
}


@pytest.fixture(scope="module")
def admin(make_token) -> str:
    return make_token("rs-admin", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def ws(client, admin) -> str:
    reply = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Rule sets"})
    assert reply.status == 201, reply.body
    return reply.json()["id"]


def _base(ws: str) -> str:
    return f"/api/v1/workspaces/{ws}/scan-rule-sets"


def test_templates_are_listed(client, make_token):
    reply = client.request("GET", "/api/v1/scan-rule-sets/templates", token=make_token("v", ["DataSteward"]))
    assert reply.status == 200, reply.body
    ids = {t["id"] for t in reply.json()}
    assert ids == {"gdpr_personal_data", "hipaa_phi", "pci_dss", "ccpa", "credentials"}
    pci = next(t for t in reply.json() if t["id"] == "pci_dss")
    assert "credit_card_number" in pci["classifications"]


def test_create_custom_rule_set_and_read_it(client, admin, ws):
    reply = client.request("POST", _base(ws), token=admin, json_body=CUSTOM)
    assert reply.status == 201, reply.body
    body = reply.json()
    assert body["id"] == "acme_customer_data" and body["latest_version"] == 1 and body["status"] == "active"
    assert body["workspace_id"] == ws and body["created_by"] == "rs-admin"
    assert body["document"]["custom_rules"][0]["data_patterns"][0]["regex"] == "EMP-[0-9]{6}"
    assert body["document"]["version"] == 1
    got = client.request("GET", f"{_base(ws)}/acme_customer_data", token=admin)
    assert got.status == 200 and got.json()["document"] == body["document"]


def test_instantiate_template(client, admin, ws):
    reply = client.request("POST", _base(ws), token=admin, json_body={"id": "hipaa", "template": "hipaa_phi"})
    assert reply.status == 201, reply.body
    body = reply.json()
    assert body["name"] == "HIPAA protected health information" or body["name"]
    assert body["document"]["templates"] == ["hipaa_phi"]
    assert body["document"]["description"]


def test_duplicate_id_is_409(client, admin, ws):
    client.request("POST", _base(ws), token=admin, json_body={"id": "dup_rules", "template": "ccpa"})
    reply = client.request("POST", _base(ws), token=admin, json_body={"id": "dup_rules", "template": "ccpa"})
    assert reply.status == 409 and reply.json()["error"]["code"] == "rule_set_exists"


def test_put_creates_a_new_version_and_old_versions_stay(client, admin, ws):
    base = _base(ws)
    assert client.request("POST", base, token=admin, json_body={"id": "versioned", "template": "pci_dss"}).status == 201
    v1 = client.request("GET", f"{base}/versioned/versions/1", token=admin).json()
    update = {"name": "Versioned v2", "templates": ["pci_dss", "credentials"], "expected_version": 1}
    reply = client.request("PUT", f"{base}/versioned", token=admin, json_body=update)
    assert reply.status == 200, reply.body
    assert reply.json()["latest_version"] == 2 and reply.json()["name"] == "Versioned v2"
    assert reply.json()["document"]["templates"] == ["pci_dss", "credentials"]
    # version 1 is unchanged
    again = client.request("GET", f"{base}/versioned/versions/1", token=admin).json()
    assert again == v1 and again["document"]["templates"] == ["pci_dss"]
    history = client.request("GET", f"{base}/versioned/versions", token=admin).json()
    assert [v["version"] for v in history["items"]] == [1, 2]
    # stale expected_version
    stale = client.request("PUT", f"{base}/versioned", token=admin, json_body={**update, "expected_version": 1})
    assert stale.status == 409 and stale.json()["error"]["code"] == "version_conflict"
    missing = client.request("GET", f"{base}/versioned/versions/9", token=admin)
    assert missing.status == 404 and missing.json()["error"]["code"] == "version_not_found"


def test_version_history_paginates(client, admin, ws):
    base = _base(ws)
    client.request("POST", base, token=admin, json_body={"id": "paged", "template": "ccpa"})
    for n in range(3):
        client.request("PUT", f"{base}/paged", token=admin, json_body={"name": f"n{n}", "templates": ["ccpa"]})
    first = client.request("GET", f"{base}/paged/versions?limit=2", token=admin).json()
    assert [v["version"] for v in first["items"]] == [1, 2] and first["next_cursor"]
    second = client.request("GET", f"{base}/paged/versions?limit=2&cursor={first['next_cursor']}", token=admin).json()
    assert [v["version"] for v in second["items"]] == [3, 4] and second["next_cursor"] is None


def test_retire_keeps_versions_readable(client, admin, ws):
    base = _base(ws)
    client.request("POST", base, token=admin, json_body={"id": "to_retire", "template": "credentials"})
    assert client.request("DELETE", f"{base}/to_retire", token=admin).status == 204
    assert client.request("DELETE", f"{base}/to_retire", token=admin).status == 204  # idempotent
    head = client.request("GET", f"{base}/to_retire", token=admin).json()
    assert head["status"] == "retired" and head["retired_by"] == "rs-admin"
    assert client.request("GET", f"{base}/to_retire/versions/1", token=admin).status == 200
    put = client.request("PUT", f"{base}/to_retire", token=admin, json_body={"name": "x", "templates": ["ccpa"]})
    assert put.status == 409 and put.json()["error"]["code"] == "rule_set_retired"
    listed = [r["id"] for r in client.request("GET", base, token=admin).json()["items"]]
    assert "to_retire" not in listed
    listed_all = [r["id"] for r in client.request("GET", f"{base}?include_retired=true", token=admin).json()["items"]]
    assert "to_retire" in listed_all
    again = client.request("POST", base, token=admin, json_body={"id": "to_retire", "template": "ccpa"})
    assert again.status == 409


def test_list_paginates_by_id(client, admin, ws):
    items, cursor = [], None
    while True:
        url = _base(ws) + "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.request("GET", url, token=admin).json()
        items += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert items == sorted(items) and len(items) == len(set(items)) >= 3


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        (
            {"custom_rules": [{"id": "r", "name": "R", "data_patterns": [{"id": "p", "regex": "(a)\\1"}]}]},
            "invalid_pattern",
            "body.custom_rules[0].data_patterns[0].regex",
        ),
        (
            {"custom_rules": [{"id": "r", "name": "R", "data_patterns": [{"id": "p", "regex": "(?=x)y"}]}]},
            "invalid_pattern",
            "body.custom_rules[0].data_patterns[0].regex",
        ),
        (
            {"custom_rules": [{"id": "r", "name": "R", "column_patterns": ["(unclosed"]}]},
            "invalid_pattern",
            "body.custom_rules[0].column_patterns[0]",
        ),
        ({"classifications": ["no_such_thing"]}, "unknown_classification", "body.classifications[0]"),
        ({"settings": {"nope": {"enabled": False}}}, "unknown_classification", "body.settings.nope"),
        ({"templates": ["sox"]}, "unknown_template", "body.templates[0]"),
        ({"template": "sox"}, "unknown_template", "body.template"),
        (
            {
                "custom_rules": [
                    {"id": "r", "name": "R", "data_patterns": [{"id": "p", "regex": "x", "validators": ["nope"]}]}
                ]
            },
            "unknown_validator",
            "body.custom_rules[0].data_patterns[0].validators[0]",
        ),
        ({"custom_rules": [{"id": "email_address", "name": "E", "dictionary": ["x"]}]}, "duplicate_rule", None),
        ({"custom_rules": [{"id": "r", "name": "R"}]}, "invalid_rule_set", "body.custom_rules[0]"),
    ],
)
def test_bad_documents_are_clear_422s(client, admin, ws, payload, code, field):
    body = {"id": "bad_" + uuid.uuid4().hex[:8], "name": "Bad", **payload}
    reply = client.request("POST", _base(ws), token=admin, json_body=body)
    assert reply.status == 422, reply.body
    error = reply.json()["error"]
    assert error["code"] == code, error
    if field:
        assert error["details"]["field"] == field


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "Bad Id", "name": "x"},
        {"id": "ok_id"},  # no name and no template
        {"id": "ok_id", "name": "x", "confidence_threshold": 2},
        {"id": "ok_id", "name": "x", "custom_rules": [{"id": "r", "name": "R", "minimum_match_percentage": 0}]},
        {"id": "ok_id", "name": "x", "unexpected": 1},
    ],
)
def test_schema_errors_are_422(client, admin, ws, payload):
    reply = client.request("POST", _base(ws), token=admin, json_body=payload)
    assert reply.status == 422, reply.body
    assert reply.json()["error"]["code"] in {"validation_error", "invalid_rule_set"}


def test_catastrophic_pattern_is_accepted_and_harmless(client, admin, ws):
    body = {
        "id": "catastrophic",
        "name": "Catastrophic",
        "custom_rules": [{"id": "aaa", "name": "A", "data_patterns": [{"id": "p", "regex": "(a+)+$"}]}],
    }
    assert client.request("POST", _base(ws), token=admin, json_body=body).status == 201


def test_unknown_ids_and_bad_path_values(client, admin, ws):
    assert client.request("GET", f"{_base(ws)}/nope", token=admin).json()["error"]["code"] == "rule_set_not_found"
    assert client.request("GET", f"{_base(ws)}/NOPE!", token=admin).status == 404
    assert client.request("GET", f"{_base(ws)}/acme_customer_data/versions/x", token=admin).status == 422
    other = str(uuid.uuid4())
    assert client.request("GET", f"{_base(other)}/acme_customer_data", token=admin).status == 404
    assert client.request("GET", f"{_base(other)}", token=admin).status == 404


def test_permissions(client, make_token, ws):
    viewer = make_token("viewer", ["Viewer"])
    assert client.request("GET", _base(ws), token=viewer).status == 403
    steward = make_token("steward", ["DataSteward"], workspaces=[uuid.UUID(ws)])
    assert client.request("GET", _base(ws), token=steward).status == 200
    created = client.request("POST", _base(ws), token=steward, json_body={"id": "by_steward", "template": "ccpa"})
    assert created.status == 201
    analyst = make_token("analyst", ["BusinessAnalyst"])
    denied = client.request("POST", _base(ws), token=analyst, json_body={"id": "nope_rules", "template": "ccpa"})
    assert denied.status == 403


def test_versions_are_immutable_in_the_database(client, admin, ws, database_url):
    with psycopg.connect(database_url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE scan_rule_set_versions SET document = '{}'::jsonb")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM scan_rule_set_versions")
