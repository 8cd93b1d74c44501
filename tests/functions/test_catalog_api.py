"""Catalog over HTTP: assets, scan upserts, review with audit, search with facets and paging, glossary."""

from __future__ import annotations

import pytest

NS = "postgres://crm.internal:5432"


@pytest.fixture(scope="module")
def admin(make_token):
    return make_token("steward", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def ws(client, admin):
    return client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Catalog API"}).json()["id"]


def scan(client, admin, ws, name, columns, description=""):
    reply = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/catalog/scan-results",
        token=admin,
        json_body={"namespace": NS, "name": name, "description": description, "columns": columns},
    )
    assert reply.status == 200, reply.body
    return reply.json()


def col(name, *classes, label="Confidential"):
    return {
        "name": name,
        "data_type": "text",
        "classifications": [{"classification_id": c, "confidence": 0.9, "sensitivity": label} for c in classes],
    }


@pytest.fixture(scope="module")
def customers(client, admin, ws):
    return scan(
        client,
        admin,
        ws,
        "crm.public.customers",
        [col("email", "email_address"), col("ssn", "us_ssn", label="Highly Confidential"), col("city")],
        description="Customer master data",
    )


def test_scan_upsert_is_idempotent_over_http(client, admin, ws, customers):
    again = scan(
        client,
        admin,
        ws,
        "crm.public.customers",
        [col("email", "email_address"), col("ssn", "us_ssn", label="Highly Confidential"), col("city")],
        description="Customer master data",
    )
    assert again["asset"]["id"] == customers["asset"]["id"] and again["created"] is False


def test_unknown_type_and_bad_name_are_clear_422s(client, admin, ws):
    reply = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/catalog/assets",
        token=admin,
        json_body={"type": "cube", "namespace": NS, "name": "a.b.c"},
    )
    assert (reply.status, reply.json()["error"]["code"]) == (422, "unknown_asset_type")
    reply = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/catalog/assets",
        token=admin,
        json_body={"type": "table", "namespace": "postgres://x", "name": "a.b.c"},
    )
    assert (reply.status, reply.json()["error"]["code"]) == (422, "invalid_qualified_name")


def test_review_is_audited_with_its_reason(client, admin, ws, customers):
    email = next(c for c in customers["asset"]["children"] if c["display_name"] == "email")
    detail = client.request("GET", f"/api/v1/catalog/assets/{email['id']}", token=admin).json()
    cid = detail["classifications"][0]["id"]
    reply = client.request(
        "POST",
        f"/api/v1/catalog/classifications/{cid}/review",
        token=admin,
        json_body={"decision": "reject", "reason": "synthetic test rows"},
    )
    assert reply.status == 200 and reply.json()["status"] == "rejected"
    again = client.request(
        "POST",
        f"/api/v1/catalog/classifications/{cid}/review",
        token=admin,
        json_body={"decision": "accept", "reason": "oops"},
    )
    assert (again.status, again.json()["error"]["code"]) == (409, "classification_decided")
    audit = client.request("GET", f"/api/v1/audit?workspace_id={ws}", token=admin).json()["items"]
    assert any(r["action"] == "catalog.review_classification" and r["outcome"] == "success" for r in audit)


def test_bulk_review_is_all_or_nothing(client, admin, ws, customers):
    ssn = next(c for c in customers["asset"]["children"] if c["display_name"] == "ssn")
    cid = client.request("GET", f"/api/v1/catalog/assets/{ssn['id']}", token=admin).json()["classifications"][0]["id"]
    missing = "00000000-0000-4000-8000-000000000000"
    reply = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/catalog/classifications/review",
        token=admin,
        json_body={"ids": [cid, missing], "decision": "accept", "reason": "checked"},
    )
    assert reply.status == 404
    detail = client.request("GET", f"/api/v1/catalog/assets/{ssn['id']}", token=admin).json()
    assert detail["classifications"][0]["status"] == "suggested"
    reply = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/catalog/classifications/review",
        token=admin,
        json_body={"ids": [cid], "decision": "accept", "reason": "checked"},
    )
    assert reply.status == 200 and reply.json()["items"][0]["status"] == "accepted"


def test_search_ranks_filters_and_counts(client, admin, ws, customers):
    scan(client, admin, ws, "crm.public.orders", [col("customer_email", "email_address"), col("amount")])
    reply = client.request("GET", f"/api/v1/catalog/search?q=email&workspace_id={ws}", token=admin)
    assert reply.status == 200, reply.body
    body = reply.json()
    names = [i["display_name"] for i in body["items"]]
    assert names[0] == "email" and "customer_email" in names
    assert body["facets"]["type"]["column"] == 2
    filtered = client.request(
        "GET", f"/api/v1/catalog/search?q=customer&type=table&workspace_id={ws}", token=admin
    ).json()
    assert [i["display_name"] for i in filtered["items"]] == ["customers"]  # description / name word
    ssn = client.request(
        "GET", f"/api/v1/catalog/search?sensitivity=Highly%20Confidential&workspace_id={ws}", token=admin
    ).json()
    assert [i["display_name"] for i in ssn["items"]] == ["ssn"]
    by_class = client.request("GET", "/api/v1/catalog/search?classification=us_ssn", token=admin).json()
    assert [i["display_name"] for i in by_class["items"]] == ["ssn"]


def test_search_pages_with_a_cursor(client, admin, ws, customers):
    seen, cursor = [], None
    while True:
        url = f"/api/v1/catalog/search?workspace_id={ws}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.request("GET", url, token=admin).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    total = client.request("GET", f"/api/v1/catalog/search?workspace_id={ws}&limit=200", token=admin).json()
    assert len(seen) == len(set(seen)) == len(total["items"])


def test_search_and_reads_respect_clearance(client, admin, make_token, ws, customers):
    grant = client.request(
        "POST",
        "/api/v1/authz/assignments",
        token=admin,
        json_body={
            "principal_id": "analyst-1",
            "principal_type": "user",
            "role": "Viewer",
            "workspace_id": ws,
            "conditions": {"clearance": "Confidential"},
        },
    )
    assert grant.status == 201, grant.body
    analyst = make_token("analyst-1", [])
    hits = client.request("GET", f"/api/v1/catalog/search?workspace_id={ws}&type=column", token=analyst).json()
    names = {i["display_name"] for i in hits["items"]}
    assert "city" in names and "ssn" not in names
    ssn = next(c for c in customers["asset"]["children"] if c["display_name"] == "ssn")
    reply = client.request("GET", f"/api/v1/catalog/assets/{ssn['id']}", token=analyst)
    assert (reply.status, reply.json()["error"]["code"]) == (403, "sensitivity_above_clearance")


def test_glossary_terms_link_and_become_searchable(client, admin, ws, customers):
    term = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/glossary/terms",
        token=admin,
        json_body={"name": "Client", "synonyms": ["patron"], "status": "approved"},
    )
    assert term.status == 201
    child = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/glossary/terms",
        token=admin,
        json_body={"name": "VIP Client", "parent_id": term.json()["id"]},
    )
    assert child.status == 201
    cycle = client.request(
        "PATCH", f"/api/v1/glossary/terms/{term.json()['id']}", token=admin, json_body={"parent_id": child.json()["id"]}
    )
    assert (cycle.status, cycle.json()["error"]["code"]) == (422, "term_cycle")
    asset = customers["asset"]["id"]
    linked = client.request("PUT", f"/api/v1/catalog/assets/{asset}/terms/{term.json()['id']}", token=admin)
    assert linked.status == 204
    hits = client.request("GET", f"/api/v1/catalog/search?q=patron&workspace_id={ws}", token=admin).json()
    assert [i["id"] for i in hits["items"]] == [asset]
    by_term = client.request("GET", f"/api/v1/catalog/search?term={term.json()['id']}", token=admin).json()
    assert [i["id"] for i in by_term["items"]] == [asset]


def test_owners_are_set_and_filterable(client, admin, ws, customers):
    asset = customers["asset"]["id"]
    reply = client.request(
        "PATCH",
        f"/api/v1/catalog/assets/{asset}",
        token=admin,
        json_body={
            "owners": [{"principal_id": "data-team", "principal_type": "group", "role": "steward"}],
            "tags": ["gold"],
        },
    )
    assert reply.status == 200 and reply.json()["owners"][0]["role"] == "steward"
    hits = client.request("GET", "/api/v1/catalog/search?owner=data-team&tag=gold", token=admin).json()
    assert [i["id"] for i in hits["items"]] == [asset]


def test_deleting_an_asset_needs_mfa(client, make_token, ws):
    created = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/catalog/assets",
        token=make_token("s", ["Admin"], mfa=True),
        json_body={"type": "table", "namespace": NS, "name": "crm.public.tmp"},
    ).json()
    no_mfa = make_token("s", ["Admin"])
    reply = client.request("DELETE", f"/api/v1/catalog/assets/{created['id']}", token=no_mfa)
    assert (reply.status, reply.json()["error"]["code"]) == (403, "mfa_required")
    reply = client.request(
        "DELETE", f"/api/v1/catalog/assets/{created['id']}", token=make_token("s", ["Admin"], mfa=True)
    )
    assert reply.status == 204


@pytest.mark.parametrize("field", ["name", "definition", "synonyms", "owners", "status"])
def test_null_in_a_term_patch_is_422_and_the_term_stays_readable(client, admin, ws, field):
    """An explicit null used to be written as is: a NULL owners row made every later list a 500."""
    term = client.request(
        "POST", f"/api/v1/workspaces/{ws}/glossary/terms", token=admin, json_body={"name": f"Null probe {field}"}
    ).json()
    reply = client.request("PATCH", f"/api/v1/glossary/terms/{term['id']}", token=admin, json_body={field: None})
    assert reply.status == 422 and reply.json()["error"]["details"][0]["field"] == f"body.{field}", reply.body
    assert client.request("GET", f"/api/v1/workspaces/{ws}/glossary/terms", token=admin).status == 200
    cleared = client.request(
        "PATCH", f"/api/v1/glossary/terms/{term['id']}", token=admin, json_body={"parent_id": None}
    )
    assert cleared.status == 200


def test_search_with_an_empty_cursor_is_the_first_page(client, admin, ws, customers):
    """``?cursor=`` is the first page (facets counted); it used to be a KeyError (500)."""
    reply = client.request("GET", f"/api/v1/catalog/search?workspace_id={ws}&cursor=", token=admin)
    assert reply.status == 200, reply.body
    assert reply.json()["items"] and "classification" in reply.json()["facets"]
