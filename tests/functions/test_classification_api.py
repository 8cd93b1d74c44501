"""The classification catalog and POST /classify over HTTP."""

from __future__ import annotations

import json
import uuid

import pytest

from core.classification.rule_sets import builtin_templates
from functions.classification import CatalogQuery

EMAILS = ["ann.lee@example.com", "bob@corp.example.org", "c.diaz@mail.example.net", "dee@example.co.uk"]
CARDS = ["4111 1111 1111 1111", "5500-0000-0000-0004", "340000000000009", "6011000000000004"]


@pytest.fixture(scope="module")
def admin(make_token) -> str:
    return make_token("cl-admin", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def ws(client, admin) -> str:
    reply = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Classify"})
    assert reply.status == 201, reply.body
    return reply.json()["id"]


def test_catalog_lists_every_classification(client, make_token):
    reply = client.request("GET", "/api/v1/classifications", token=make_token("ba", ["BusinessAnalyst"]))
    assert reply.status == 200, reply.body
    items = {item["id"]: item for item in reply.json()}
    assert len(items) >= 38
    email = items["email_address"]
    assert email["category"] == "PII" and email["sensitivity"] == "Confidential"
    assert email["purview"] == "MICROSOFT.PERSONAL.EMAIL" and "gdpr_personal_data" in email["templates"]


def test_catalog_filters(client, admin):
    pci = client.request("GET", "/api/v1/classifications?template=pci_dss", token=admin).json()
    assert {i["id"] for i in pci} == set(builtin_templates()["pci_dss"].classifications)
    creds = client.request("GET", "/api/v1/classifications?category=credential", token=admin).json()
    assert creds and all(i["category"] == "credential" for i in creds)
    bad = client.request("GET", "/api/v1/classifications?category=secret", token=admin)
    assert bad.status == 422 and bad.json()["error"]["details"][0]["field"] == "query.category"


def test_catalog_query_literals_match_templates():
    literal = CatalogQuery.model_fields["template"].annotation.__args__[0].__args__
    assert set(literal) == set(builtin_templates())


def test_catalog_entry(client, admin):
    reply = client.request("GET", "/api/v1/classifications/iban", token=admin)
    assert reply.status == 200
    assert reply.json()["definition"]["data_patterns"]
    missing = client.request("GET", "/api/v1/classifications/nope", token=admin)
    assert missing.status == 404 and missing.json()["error"]["code"] == "unknown_classification"


def test_catalog_needs_permission(client, make_token):
    assert client.request("GET", "/api/v1/classifications").status == 401
    assert client.request("GET", "/api/v1/classifications", token=make_token("v", ["Viewer"])).status == 403


def test_classify_inline(client, admin):
    body = {
        "columns": [
            {"name": "E-mail Address", "values": [*EMAILS, None, ""]},
            {"name": "card_no", "values": CARDS},
            {"name": "amount", "values": ["12.50", "7.99", "130.00", "0.99"]},
            {"name": "year", "values": [2019, 2020, 2021, 2024]},
        ]
    }
    reply = client.request("POST", "/api/v1/classify", token=admin, json_body=body)
    assert reply.status == 200, reply.body
    result = reply.json()
    columns = {c["column"]: c for c in result["columns"]}
    assert [c["column"] for c in result["columns"]] == ["E-mail Address", "card_no", "amount", "year"]
    assert columns["E-mail Address"]["classifications"][0]["id"] == "email_address"
    assert columns["E-mail Address"]["blank_values"] == 2
    assert columns["card_no"]["classifications"][0]["id"] == "credit_card_number"
    assert columns["amount"]["classifications"] == [] and columns["year"]["classifications"] == []
    assert result["rule_set"] == {"id": "system_default", "version": 1}
    text = reply.body.decode()
    for raw in [*EMAILS, *CARDS]:
        assert raw not in text and raw.replace(" ", "").replace("-", "") not in text


def test_classify_with_template(client, admin):
    body = {"columns": [{"name": "email", "values": EMAILS}], "template": "pci_dss"}
    reply = client.request("POST", "/api/v1/classify", token=admin, json_body=body)
    assert reply.status == 200, reply.body
    assert reply.json()["columns"][0]["classifications"] == []  # email is not PCI
    assert reply.json()["rule_set"] == {"id": "pci_dss", "version": 1}


def test_classify_with_workspace_rule_set_and_pinned_versions(client, admin, ws):
    base = f"/api/v1/workspaces/{ws}/scan-rule-sets"
    rules = {
        "id": "emp_rules",
        "name": "Employees",
        "classifications": ["email_address"],
        "custom_rules": [
            {"id": "emp_id", "name": "Employee id", "data_patterns": [{"id": "p", "regex": "EMP-[0-9]{6}"}]}
        ],
    }
    assert client.request("POST", base, token=admin, json_body=rules).status == 201
    v2 = {k: v for k, v in rules.items() if k != "id"} | {"custom_rules": []}
    assert client.request("PUT", f"{base}/emp_rules", token=admin, json_body=v2).status == 200
    columns = [{"name": "staff", "values": ["EMP-000001", "EMP-123456", "EMP-999999"]}]

    def run(**extra):
        body = {"columns": columns, "workspace_id": ws, "rule_set_id": "emp_rules", **extra}
        return client.request("POST", "/api/v1/classify", token=admin, json_body=body)

    pinned = run(version=1).json()
    assert pinned["rule_set"] == {"id": "emp_rules", "version": 1}
    assert pinned["columns"][0]["classifications"][0]["id"] == "emp_id"
    latest = run().json()
    assert latest["rule_set"] == {"id": "emp_rules", "version": 2}
    assert latest["columns"][0]["classifications"] == []
    missing = run(version=7)
    assert missing.status == 404 and missing.json()["error"]["code"] == "version_not_found"
    assert client.request("DELETE", f"{base}/emp_rules", token=admin).status == 204
    retired = run()
    assert retired.status == 409 and retired.json()["error"]["code"] == "rule_set_retired"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"columns": []}, 422, "validation_error"),
        ({"columns": [{"name": "a", "values": [{"x": 1}]}]}, 422, "validation_error"),
        ({"columns": [{"name": "a", "values": []}, {"name": "a", "values": []}]}, 422, "duplicate_column"),
        ({"columns": [{"name": "a", "values": ["x"]}], "template": "sox"}, 422, "unknown_template"),
        ({"columns": [{"name": "a", "values": ["x"]}], "rule_set_id": "r"}, 422, "validation_error"),
        ({"columns": [{"name": "a", "values": ["x"]}], "version": 2}, 422, "validation_error"),
        (
            {"columns": [{"name": "a", "values": ["x"]}], "workspace_id": str(uuid.uuid4()), "rule_set_id": "r"},
            404,
            "not_found",
        ),
    ],
)
def test_classify_bad_input(client, admin, body, status, code):
    reply = client.request("POST", "/api/v1/classify", token=admin, json_body=body)
    assert reply.status == status, reply.body
    assert reply.json()["error"]["code"] == code


def test_classify_unknown_rule_set_in_workspace(client, admin, ws):
    body = {"columns": [{"name": "a", "values": ["x"]}], "workspace_id": ws, "rule_set_id": "nope"}
    reply = client.request("POST", "/api/v1/classify", token=admin, json_body=body)
    assert reply.status == 404 and reply.json()["error"]["code"] == "rule_set_not_found"


def test_classify_permission(client, make_token):
    body = {"columns": [{"name": "email", "values": EMAILS}]}
    denied = client.request("POST", "/api/v1/classify", token=make_token("v", ["Viewer"]), json_body=body)
    assert denied.status == 403
    steward = client.request("POST", "/api/v1/classify", token=make_token("s", ["DataSteward"]), json_body=body)
    assert steward.status == 200


def test_classify_oversized_body_is_413(client, admin):
    values = ["x" * 1000] * 1100
    reply = client.request(
        "POST", "/api/v1/classify", token=admin, json_body={"columns": [{"name": "a", "values": values}]}
    )
    assert reply.status == 413


def test_engine_is_shared(client, admin):
    from core.classification.shared import get_engine

    first = get_engine()
    client.request("POST", "/api/v1/classify", token=admin, json_body={"columns": [{"name": "a", "values": ["1"]}]})
    assert get_engine() is first
    assert json.dumps(first.catalog.ids)
