"""The workspace endpoints through the route layer, in process."""

from __future__ import annotations

import uuid


def test_create_returns_201_with_the_workspace(client, make_token):
    reply = client.request(
        "POST", "/api/v1/workspaces", token=make_token(), json_body={"name": "Finance EU", "region": "northeurope"}
    )
    assert reply.status == 201
    body = reply.json()
    assert body["name"] == "Finance EU"
    assert body["region"] == "northeurope"
    assert body["created_by"] == "alice"
    uuid.UUID(body["id"])


def test_get_returns_the_created_workspace(client, make_token):
    token = make_token()
    created = client.request("POST", "/api/v1/workspaces", token=token, json_body={"name": "Get Me"}).json()
    reply = client.request("GET", f"/api/v1/workspaces/{created['id']}", token=token)
    assert reply.status == 200
    assert reply.json() == created


def test_duplicate_name_is_409_case_insensitive(client, make_token):
    token = make_token()
    assert client.request("POST", "/api/v1/workspaces", token=token, json_body={"name": "Dup Name"}).status == 201
    reply = client.request("POST", "/api/v1/workspaces", token=token, json_body={"name": "dup name"})
    assert reply.status == 409
    assert reply.json()["error"]["code"] == "workspace_name_taken"


def test_list_paginates_with_cursor_without_repeats(client, make_token):
    token = make_token()
    names = {f"Page Test {i}" for i in range(5)}
    for name in sorted(names):
        assert client.request("POST", "/api/v1/workspaces", token=token, json_body={"name": name}).status == 201
    seen: list[str] = []
    cursor = None
    while True:
        path = "/api/v1/workspaces?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.request("GET", path, token=token).json()
        assert len(page["items"]) <= 2
        seen.extend(w["name"] for w in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert names <= set(seen)
    assert len(seen) == len(set(seen))


def test_creator_sees_own_workspace_through_membership_only(client, make_token):
    owner = make_token("bob", ["WorkspaceOwner"])
    created = client.request("POST", "/api/v1/workspaces", token=owner, json_body={"name": "Bobs Space"})
    assert created.status == 201
    workspace_id = created.json()["id"]
    # A token with no roles at all: bob's stored membership (WorkspaceOwner) still lets him read it.
    bare = make_token("bob", [])
    assert client.request("GET", f"/api/v1/workspaces/{workspace_id}", token=bare).status == 200
    listed = client.request("GET", "/api/v1/workspaces", token=bare).json()["items"]
    assert [w["id"] for w in listed] == [workspace_id]


def test_workspace_of_someone_else_is_404(client, make_token):
    created = client.request("POST", "/api/v1/workspaces", token=make_token(), json_body={"name": "Hidden"}).json()
    outsider = make_token("mallory", ["Viewer"], workspaces=[uuid.uuid4()])
    reply = client.request("GET", f"/api/v1/workspaces/{created['id']}", token=outsider)
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "not_found"
    listed = client.request("GET", "/api/v1/workspaces", token=outsider).json()["items"]
    assert created["id"] not in [w["id"] for w in listed]


def test_workspace_scoped_viewer_reads_its_workspace(client, make_token):
    created = client.request("POST", "/api/v1/workspaces", token=make_token(), json_body={"name": "Scoped"}).json()
    viewer = make_token("victor", ["Viewer"], workspaces=[uuid.UUID(created["id"])])
    assert client.request("GET", f"/api/v1/workspaces/{created['id']}", token=viewer).status == 200
    listed = client.request("GET", "/api/v1/workspaces", token=viewer).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
