"""Compliance API: custom policies (validation codes, dry run, versions), evaluation, violation
lifecycle with its refusals, comments, history, risk, audit."""

from __future__ import annotations

import shutil
import subprocess

import pytest

NS = "postgres://pay.internal:5432"


@pytest.fixture(scope="module")
def admin(make_token):
    return make_token("officer", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def ws(client, admin):
    reply = client.request(
        "POST", "/api/v1/workspaces", token=admin, json_body={"name": "Payments", "region": "eastus"}
    )
    assert reply.status == 201, reply.body
    ws = reply.json()["id"]
    table = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/catalog/scan-results",
        token=admin,
        json_body={
            "namespace": NS,
            "name": "pay.public.cards",
            "columns": [
                {
                    "name": "pan",
                    "data_type": "text",
                    "classifications": [
                        {
                            "classification_id": "credit_card_number",
                            "confidence": 0.95,
                            "sensitivity": "Highly Confidential",
                        }
                    ],
                },
                {
                    "name": "email",
                    "data_type": "text",
                    "classifications": [
                        {"classification_id": "email_address", "confidence": 0.9, "sensitivity": "Confidential"}
                    ],
                },
            ],
        },
    ).json()
    return {
        "id": ws,
        "table": table["asset"]["id"],
        "pan": table["asset"]["children"][1]["id"]
        if table["asset"]["children"][1]["display_name"] == "pan"
        else table["asset"]["children"][0]["id"],
    }


POLICY = {
    "name": "no-retention",
    "title": "Tables without a retention period",
    "severity": "high",
    "asset_types": ["table"],
    "condition": {"fact": "properties.retention_days", "op": "missing"},
}


@pytest.mark.parametrize(
    ("condition", "status", "code"),
    [
        ({"fact": "asset.colour", "op": "eq", "value": 1}, 422, "unknown_fact"),
        (
            {"exists": {"collection": "classifications", "where": {"fact": "id", "op": "eq", "value": "nope"}}},
            422,
            "unknown_classification",
        ),
        ({"every": []}, 422, "validation_error"),
    ],
)
def test_bad_policies_get_a_clear_4xx(client, admin, ws, condition, status, code):
    reply = client.request(
        "POST",
        f"/api/v1/workspaces/{ws['id']}/compliance/policies",
        token=admin,
        json_body={**POLICY, "name": "bad", "condition": condition},
    )
    assert reply.status == status and reply.json()["error"]["code"] == code, reply.body


@pytest.mark.parametrize("field", ["title", "description", "severity", "asset_types", "condition", "enabled"])
def test_null_in_a_policy_patch_is_422(client, admin, ws, field):
    """Omitted means unchanged; an explicit null used to fail the stored definition's validation (500)."""
    created = client.request(
        "POST",
        f"/api/v1/workspaces/{ws['id']}/compliance/policies",
        token=admin,
        json_body={**POLICY, "name": f"null_probe_{field}"},
    )
    assert created.status == 201, created.body
    reply = client.request(
        "PATCH", f"/api/v1/compliance/policies/{created.json()['id']}", token=admin, json_body={field: None}
    )
    assert reply.status == 422 and reply.json()["error"]["details"][0]["field"] == f"body.{field}", reply.body


def test_dry_run_then_enable_then_version(client, admin, ws):
    dry = client.request(
        "POST", f"/api/v1/workspaces/{ws['id']}/compliance/policies/dry-run", token=admin, json_body=POLICY
    ).json()
    assert dry["would_violate"] == 1 and dry["assets"][0]["asset_id"] == ws["table"]
    created = client.request(
        "POST", f"/api/v1/workspaces/{ws['id']}/compliance/policies", token=admin, json_body=POLICY
    )
    assert created.status == 201 and created.json()["version"] == 1 and not created.json()["enabled"]
    pid = created.json()["id"]
    assert (
        client.request("POST", f"/api/v1/compliance/policies/{pid}/dry-run", token=admin).json()["would_violate"] == 1
    )
    edited = client.request(
        "PATCH", f"/api/v1/compliance/policies/{pid}", token=admin, json_body={"severity": "critical", "enabled": True}
    ).json()
    assert edited["version"] == 2 and edited["enabled"] and edited["severity"] == "critical"
    toggled = client.request(
        "PATCH", f"/api/v1/compliance/policies/{pid}", token=admin, json_body={"enabled": True}
    ).json()
    assert toggled["version"] == 2
    versions = client.request("GET", f"/api/v1/compliance/policies/{pid}/versions", token=admin).json()
    assert [v["version"] for v in versions] == [1, 2]
    client.request("POST", f"/api/v1/workspaces/{ws['id']}/compliance/evaluate", token=admin)
    found = client.request(
        "GET", f"/api/v1/workspaces/{ws['id']}/compliance/violations?policy_ref={pid}", token=admin
    ).json()["items"]
    assert len(found) == 1 and found[0]["policy_version"] == 2 and found[0]["severity"] == "critical"
    dup = client.request("POST", f"/api/v1/workspaces/{ws['id']}/compliance/policies", token=admin, json_body=POLICY)
    assert dup.status == 409 and dup.json()["error"]["code"] == "policy_exists"


def _pci_violation(client, admin, ws):
    client.request("POST", f"/api/v1/workspaces/{ws['id']}/compliance/evaluate", token=admin)
    items = client.request(
        "GET",
        f"/api/v1/workspaces/{ws['id']}/compliance/violations?policy_ref=pci_dss/card_numbers_unmasked&open=true",
        token=admin,
    ).json()["items"]
    assert len(items) == 1
    return items[0]


def test_violation_lifecycle_and_refusals(client, admin, ws):
    v = _pci_violation(client, admin, ws)
    assert v["status"] == "detected" and v["severity"] == "critical" and v["asset_id"] == ws["pan"]
    base = f"/api/v1/compliance/violations/{v['id']}"
    assert (
        client.request("PUT", f"{base}/assignment", token=admin, json_body={"assignee": "bob"}).json()["assignee"]
        == "bob"
    )
    assert client.request("POST", f"{base}/status", token=admin, json_body={"status": "investigating"}).status == 200
    no_expiry = client.request(
        "POST", f"{base}/decision", token=admin, json_body={"status": "accepted_risk", "approver": "ciso"}
    )
    assert no_expiry.status == 422 and no_expiry.json()["error"]["code"] == "acceptance_incomplete"
    no_reason = client.request("POST", f"{base}/decision", token=admin, json_body={"status": "false_positive"})
    assert no_reason.status == 422 and no_reason.json()["error"]["code"] == "reason_required"
    accepted = client.request(
        "POST",
        f"{base}/decision",
        token=admin,
        json_body={
            "status": "accepted_risk",
            "approver": "ciso",
            "expires_at": "2099-01-01T00:00:00Z",
            "reason": "tokenised",
        },
    )
    assert accepted.status == 200 and accepted.json()["status"] == "accepted_risk"
    illegal = client.request("POST", f"{base}/status", token=admin, json_body={"status": "remediating"})
    assert illegal.status == 409 and illegal.json()["error"]["code"] == "illegal_transition"
    assert client.request("POST", f"{base}/comments", token=admin, json_body={"body": "see DATA-1"}).status == 201
    assert [c["body"] for c in client.request("GET", f"{base}/comments", token=admin).json()] == ["see DATA-1"]
    # still the same open violation on the next evaluation (deduplicated)
    assert _pci_violation(client, admin, ws)["id"] == v["id"]
    # masking the column resolves it automatically
    client.request(
        "PATCH", f"/api/v1/catalog/assets/{ws['pan']}", token=admin, json_body={"properties": {"masked": True}}
    )
    client.request("POST", f"/api/v1/workspaces/{ws['id']}/compliance/evaluate", token=admin)
    done = client.request("GET", base, token=admin).json()
    assert (done["status"], done["resolution"]) == ("resolved", "automatic")
    actions = [e["action"] for e in client.request("GET", f"{base}/history", token=admin).json()]
    assert actions == ["detected", "assigned", "status", "status", "auto_resolved"]
    again = client.request("POST", f"{base}/status", token=admin, json_body={"status": "investigating"})
    assert again.status == 409
    trail = client.request("GET", f"/api/v1/audit?workspace_id={ws['id']}&limit=200", token=admin).json()["items"]
    assert {"compliance.decide_violation", "compliance.assign_violation", "compliance.evaluate_workspace"} <= {
        r["action"] for r in trail
    }


def test_reviewer_permission_is_needed_to_decide(client, make_token, ws, admin):
    v_list = client.request(
        "GET", f"/api/v1/workspaces/{ws['id']}/compliance/violations?open=true", token=admin
    ).json()["items"]
    engineer = make_token("eng", ["DataEngineer"], mfa=True)
    reply = client.request(
        "POST",
        f"/api/v1/compliance/violations/{v_list[0]['id']}/decision",
        token=engineer,
        json_body={"status": "resolved"},
    )
    assert reply.status == 403


def test_risk_scores(client, admin, ws):
    risk = client.request("GET", f"/api/v1/workspaces/{ws['id']}/compliance/risk", token=admin).json()
    assert risk["workspace"]["score"] > 0 and risk["top_assets"][0]["asset_id"] == ws["table"]
    asset = client.request("GET", f"/api/v1/compliance/assets/{ws['pan']}/risk", token=admin).json()
    assert asset["asset_id"] == ws["table"]
    history = client.request("GET", f"/api/v1/workspaces/{ws['id']}/compliance/risk/history", token=admin)
    assert history.status == 200


def test_frameworks(client, admin):
    names = {f["framework"] for f in client.request("GET", "/api/v1/compliance/frameworks", token=admin).json()}
    assert names == {"gdpr", "ccpa", "hipaa", "sox", "pci_dss"}
    assert client.request("GET", "/api/v1/compliance/frameworks/iso27001", token=admin).status == 404


def test_reports_in_json_csv_and_html(client, admin, ws):
    client.request("POST", f"/api/v1/workspaces/{ws['id']}/compliance/evaluate", token=admin)
    base = f"/api/v1/workspaces/{ws['id']}/compliance/reports/pci_dss"
    report = client.request("GET", base, token=admin).json()
    controls = {c["id"]: c for c in report["controls"]}
    assert controls["3.5.1"]["status"] == "pass"  # the card column was masked above
    assert controls["3.5.1"]["policies"][0]["evaluated_at"] and controls["3.5.1"]["policies"][0]["version"] == 1
    csv_reply = client.request("GET", base + "?format=csv", token=admin)
    assert csv_reply.header("content-type").startswith("text/csv") and b"3.5.1" in csv_reply.body
    page = client.request("GET", base + "?format=html", token=admin)
    assert page.header("content-type").startswith("text/html")
    text = page.body.decode()
    assert (
        '<table id="controls">' in text
        and "<svg" in text
        and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    )
    assert (
        client.request("GET", f"/api/v1/workspaces/{ws['id']}/compliance/reports/iso27001", token=admin).status == 404
    )
    assert client.request("GET", base + "?format=pdf", token=admin).status == 422
    summary = client.request("GET", f"/api/v1/workspaces/{ws['id']}/compliance/summary", token=admin).json()
    assert {f["framework"] for f in summary["frameworks"]} == {"gdpr", "ccpa", "hipaa", "sox", "pci_dss"}
    assert summary["open_violations"] >= 1


def test_the_report_is_also_served_with_the_workspace_in_the_query(client, admin, ws):
    client.request("POST", f"/api/v1/workspaces/{ws['id']}/compliance/evaluate", token=admin)
    scoped = client.request("GET", f"/api/v1/workspaces/{ws['id']}/compliance/reports/pci_dss", token=admin).json()
    queried = client.request("GET", f"/api/v1/compliance/reports/pci_dss?workspace_id={ws['id']}", token=admin)
    assert queried.status == 200
    assert [c["id"] for c in queried.json()["controls"]] == [c["id"] for c in scoped["controls"]]
    csv_reply = client.request(
        "GET", f"/api/v1/compliance/reports/pci_dss?workspace_id={ws['id']}&format=csv", token=admin
    )
    assert csv_reply.header("content-type").startswith("text/csv")
    assert client.request("GET", "/api/v1/compliance/reports/pci_dss", token=admin).status == 422  # workspace_id needed


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_report_renders_in_headless_chromium(client, admin, ws, tmp_path):
    # scripts/bootstrap.sh installs Debian's chromium (make test); without it this test must fail, not skip.
    assert CHROMIUM is not None, "chromium is not installed: apt-get install chromium"
    page = client.request("GET", f"/api/v1/workspaces/{ws['id']}/compliance/reports/gdpr?format=html", token=admin)
    html_file = tmp_path / "report.html"
    html_file.write_bytes(page.body)
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", html_file.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert '<table id="controls">' in dom and 'id="controls-chart"' in dom and "Art.44" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,900", html_file.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
