"""``python -m devhost demo``: the stack end to end over real HTTP, on embedded defaults.

Today: health, a dev token, a workspace round trip and the API's refusals. It grows into the full
governance demo (sources, scans, classification, catalog, compliance) with those issues.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from core.auth.tokens import mint_dev_token
from core.db.database import get_database
from devhost.client import http_call
from devhost.host import LocalHost
from devhost.runtime import prepare

DEMO_WORKSPACE = "DataWave Demo"


def _say(text: str = "") -> None:
    print(text, flush=True)


def run_demo(app_dir: Path) -> int:
    settings = prepare(app_dir, log_level="WARNING")
    host = LocalHost(app_dir, get_database().url, port=0)
    host.start_background()
    base = host.base_url + "/api"
    try:
        _say(f"DataWave demo — devhost serving {len(host.loaded.functions)} functions at {base}")
        _say()

        health = http_call("GET", f"{base}/health").json()
        _say(
            f"1. GET /api/health → {health['status']} (version {health['version']}, "
            f"database reachable={health['database']['reachable']}, {health['database']['latency_ms']} ms)"
        )

        token = mint_dev_token(settings, "demo-admin", ["Admin"], name="Demo Admin")
        _say(
            "2. Minted a local dev token for 'demo-admin' with role Admin "
            "(python -m devhost token --sub demo-admin --roles Admin)"
        )

        listing = http_call("GET", f"{base}/v1/workspaces?limit=200", token=token).json()
        existing = next((w for w in listing["items"] if w["name"] == DEMO_WORKSPACE), None)
        if existing is None:
            created = http_call(
                "POST",
                f"{base}/v1/workspaces",
                token=token,
                json_body={"name": DEMO_WORKSPACE, "description": "Created by the demo", "region": "westeurope"},
            )
            if created.status != 201:
                _say(f"   workspace creation failed: {created.status} {created.body.decode()}")
                return 1
            workspace = created.json()
            _say(f"3. POST /api/v1/workspaces → 201, created '{workspace['name']}' ({workspace['id']})")
        else:
            workspace = existing
            _say(f"3. Workspace '{workspace['name']}' already exists ({workspace['id']}): reusing it")

        fetched = http_call("GET", f"{base}/v1/workspaces/{workspace['id']}", token=token)
        _say(f"4. GET /api/v1/workspaces/{{id}} → {fetched.status}, region {fetched.json()['region']}")

        anonymous = http_call("GET", f"{base}/v1/workspaces")
        _say(f"5. Without a token → {anonymous.status} {anonymous.json()['error']['code']}")
        outsider = mint_dev_token(settings, "demo-outsider", ["Viewer"], workspaces=[uuid.uuid4()])
        hidden = http_call("GET", f"{base}/v1/workspaces/{workspace['id']}", token=outsider)
        _say(f"6. A viewer of another workspace asks for it → {hidden.status} {hidden.json()['error']['code']}")
        bad = http_call("POST", f"{base}/v1/workspaces", token=token, json_body={"name": "x", "region": "mars"})
        fields = ", ".join(d["field"] for d in bad.json()["error"]["details"])
        _say(f"7. An invalid workspace → {bad.status} {bad.json()['error']['code']} ({fields})")
        spec = http_call("GET", f"{base}/openapi.json").json()
        _say(f"8. GET /api/openapi.json → OpenAPI {spec['openapi']} with {len(spec['paths'])} paths")
        _say()
        _say(
            "Next: `python -m devhost start` serves the API on http://127.0.0.1:7071/api; "
            "see README.md for tokens and endpoints."
        )
        return 0
    finally:
        host.stop()
