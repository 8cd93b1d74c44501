"""The real DurableOrchestrationClient against devhost's management API, over real HTTP, with a
fixture app hosted in a devhost process (``--app``)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest

from devhost.client import http_call
from tests.e2e.conftest import devhost_env, start_devhost

FINAL = ("Completed", "Failed", "Terminated")


@pytest.fixture(scope="module")
def host(database_url, tmp_path_factory, durable_app_dir):
    data_dir = tmp_path_factory.mktemp("durable-host")
    env = devhost_env(database_url, data_dir)
    env["FIXTURE_HUB"] = "ClientTestHub"
    running = start_devhost(env, data_dir / "devhost.log", app_dir=durable_app_dir, ready_path="/api/none")
    yield running
    running.process.terminate()
    running.process.wait(timeout=15)


def start(host, name: str, payload=None, instance_id: str | None = None) -> dict:
    query = f"?id={quote(instance_id)}" if instance_id else ""
    reply = http_call("POST", f"{host.base_url}/api/start/{name}{query}", json_body=payload)
    assert reply.status == 202, reply.body
    assert reply.headers["location"] == reply.json()["statusQueryGetUri"]
    return reply.json()


def wait(urls: dict, until=FINAL, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = http_call("GET", urls["statusQueryGetUri"]).json()
        if status["runtimeStatus"] in until or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def client(host, op: str, instance_id: str, *, query: str = "", body=None):
    return http_call("POST", f"{host.base_url}/api/client/{op}/{quote(instance_id)}{query}", json_body=body)


def test_start_without_id_runs_a_fan_out_to_completion(host):
    status = wait(start(host, "fan_out", 20))
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == sum(2 * i for i in range(20))
    assert status["customStatus"] == {"done": 20}


def test_start_with_an_instance_id_and_status_through_the_client(host):
    urls = start(host, "fan_out", 3, instance_id="my-fixed-id")
    assert urls["id"] == "my-fixed-id"
    wait(urls)
    reply = http_call("GET", f"{host.base_url}/api/client/status/my-fixed-id")
    status = reply.json()
    assert status["runtimeStatus"] == "Completed"
    assert status["input"] == 3 and status["output"] == 6
    kinds = [e["EventType"] for e in status["historyEvents"]]
    assert kinds[:2] == ["OrchestratorStarted", "ExecutionStarted"]
    assert kinds.count("TaskScheduled") == 3 and kinds.count("TaskCompleted") == 3
    assert "ExecutionCompleted" in kinds


def test_check_status_urls_work(host):
    urls = start(host, "timer_then_event")
    assert set(urls) >= {
        "statusQueryGetUri",
        "sendEventPostUri",
        "terminatePostUri",
        "purgeHistoryDeleteUri",
        "suspendPostUri",
        "resumePostUri",
    }
    wait(urls, until=("Running",))
    status = wait(urls, until=FINAL, timeout=1.5)
    assert status["runtimeStatus"] == "Running"  # waiting for the event after the timer
    assert status["customStatus"] == "waiting"
    raised = http_call("POST", urls["sendEventPostUri"].replace("{eventName}", "approval"), json_body={"ok": True})
    assert raised.status == 202
    done = wait(urls)
    assert done["runtimeStatus"] == "Completed"
    assert done["output"]["approval"] == {"ok": True}
    assert len(done["output"]["guid"]) == 36


def test_events_raised_before_the_orchestrator_waits_are_kept(host):
    urls = start(host, "early_event")
    wait(urls, until=("Running",))
    assert client(host, "raise", urls["id"], query="?event=ping", body="early").status == 204
    status = wait(urls)
    assert status["runtimeStatus"] == "Completed" and status["output"] == "early"


def test_task_any_with_an_event_beats_a_long_timer(host):
    urls = start(host, "race")
    wait(urls, until=("Running",))
    client(host, "raise", urls["id"], query="?event=go", body=1)
    assert wait(urls)["output"] == "event"


def test_sub_orchestrations(host):
    status = wait(start(host, "parent"))
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == [6, 12]
    child = http_call("GET", f"{host.base_url}/runtime/webhooks/durabletask/instances/{status['instanceId']}-child")
    assert child.status == 200 and child.json()["output"] == 12


def test_activity_retries_then_succeed(host):
    status = wait(start(host, "retry_flow", {"run": "client-retry", "fail": 2, "count": 4}))
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == [f"client-retry-{i}@3" for i in range(4)]


def test_sub_orchestrator_retries_then_fail(host):
    status = wait(start(host, "sub_retry"))
    assert status["output"] == "sub-orchestration failed after retries"


def test_continue_as_new(host):
    status = wait(start(host, "counter", 0))
    assert status["runtimeStatus"] == "Completed" and status["output"] == 3


def test_orchestrator_exception_fails_the_instance(host):
    status = wait(start(host, "explode"))
    assert status["runtimeStatus"] == "Failed"
    assert "orchestrator blew up on purpose" in status["output"]


def test_non_json_output_fails_the_instance(host):
    status = wait(start(host, "bad_output"))
    assert status["runtimeStatus"] == "Failed"
    assert "not JSON serializable" in status["output"]


def test_activity_failure_reaches_the_orchestrator(host):
    status = wait(start(host, "activity_failure"))
    assert status["runtimeStatus"] == "Completed"
    assert "cannot process x" in status["output"]


def test_terminate(host):
    urls = start(host, "race")
    wait(urls, until=("Running",))
    assert client(host, "terminate", urls["id"]).status == 204
    status = wait(urls)
    assert status["runtimeStatus"] == "Terminated" and status["output"] == "stopped by test"
    again = http_call("POST", urls["terminatePostUri"].replace("{text}", "again"))
    assert again.status == 410


def test_suspend_holds_events_until_resume(host):
    urls = start(host, "race")
    wait(urls, until=("Running",))
    client(host, "suspend", urls["id"])
    assert wait(urls, until=("Suspended",))["runtimeStatus"] == "Suspended"
    client(host, "raise", urls["id"], query="?event=go", body=1)
    time.sleep(0.5)
    assert http_call("GET", urls["statusQueryGetUri"]).json()["runtimeStatus"] == "Suspended"
    client(host, "resume", urls["id"])
    assert wait(urls)["output"] == "event"


def test_list_filters_by_status_time_and_prefix(host):
    start(host, "fan_out", 1, instance_id="list-a-1")
    start(host, "fan_out", 1, instance_id="list-a-2")
    wait({"statusQueryGetUri": f"{host.base_url}/runtime/webhooks/durabletask/instances/list-a-2"})
    wait({"statusQueryGetUri": f"{host.base_url}/runtime/webhooks/durabletask/instances/list-a-1"})
    base = f"{host.base_url}/runtime/webhooks/durabletask/instances/"
    by_prefix = http_call("GET", base + "?instanceIdPrefix=list-a-").json()
    assert sorted(s["instanceId"] for s in by_prefix) == ["list-a-1", "list-a-2"]
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert http_call("GET", base + f"?createdTimeFrom={future}").json() == []
    completed = http_call("GET", base + "?runtimeStatus=Completed&instanceIdPrefix=list-a").json()
    assert len(completed) == 2
    running = http_call("GET", base + "?runtimeStatus=Running&instanceIdPrefix=list-a").json()
    assert running == []


def test_purge_one_and_by_filter(host):
    urls = start(host, "fan_out", 1, instance_id="purge-me")
    wait(urls)
    deleted = client(host, "purge", "purge-me").json()
    assert deleted == {"deleted": 1}
    assert http_call("GET", urls["statusQueryGetUri"]).status == 404
    wait(start(host, "fan_out", 1, instance_id="purge-filter-1"))
    since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    reply = http_call(
        "DELETE",
        f"{host.base_url}/runtime/webhooks/durabletask/instances/?createdTimeFrom={since}&runtimeStatus=Completed",
    )
    assert reply.status == 200 and reply.json()["instancesDeleted"] >= 1
    assert http_call("GET", f"{host.base_url}/runtime/webhooks/durabletask/instances/purge-filter-1").status == 404


def test_unknown_orchestrator_is_a_clean_error(host):
    reply = http_call("POST", f"{host.base_url}/runtime/webhooks/durabletask/orchestrators/nope", json_body=1)
    assert reply.status == 400
    assert "doesn't exist" in reply.json()["ExceptionMessage"]


def test_history_can_include_outputs(host):
    urls = start(host, "fan_out", 2)
    wait(urls)
    status = http_call("GET", urls["statusQueryGetUri"] + "&showHistory=true&showHistoryOutput=true").json()
    results = [e.get("Result") for e in status["historyEvents"] if e["EventType"] == "TaskCompleted"]
    assert sorted(json.loads(r) for r in results) == [0, 2]


def test_list_and_purge_by_filter_through_the_real_client(host):
    # Not backdated: an instance an earlier test terminated moments ago would fall in the window and
    # be purged too (the SDK sends the time with microseconds; devhost and this test share the clock).
    since = datetime.now(UTC)
    wait(start(host, "fan_out", 1, instance_id="sdk-list-done"))
    running = start(host, "race", instance_id="sdk-list-running")
    wait(running, until=("Running",))

    def listed(prefix: str, **params) -> list:
        query = urlencode({"from": since.isoformat(), **params})
        reply = client(host, "list", prefix, query=f"?{query}")
        assert reply.status == 200, reply.body
        return reply.json()

    assert listed("sdk-list-") == [["sdk-list-done", "Completed"], ["sdk-list-running", "Running"]]
    assert listed("sdk-list-", status="Running,Pending") == [["sdk-list-running", "Running"]]
    assert listed("sdk-list-", status="Completed") == [["sdk-list-done", "Completed"]]
    assert listed("sdk-list-", to=since.isoformat()) == []  # created after the end of the window

    client(host, "terminate", running["id"])
    wait(running)
    purge = f"?{urlencode({'from': since.isoformat(), 'status': 'Terminated'})}"
    assert client(host, "purge_by", "-", query=purge).json() == {"deleted": 1}
    assert listed("sdk-list-") == [["sdk-list-done", "Completed"]]


def test_a_blocked_replay_does_not_block_the_http_server(host, tmp_path):
    urls = start(host, "hold_replay", str(tmp_path))
    deadline = time.monotonic() + 30
    while not (tmp_path / "replaying").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (tmp_path / "replaying").exists()
    try:
        # The replay is stuck until released (or 20 s): status, list, a new start and the app's routes
        # still answer, and its first episode has not committed (still Pending).
        assert http_call("GET", urls["statusQueryGetUri"], timeout=10).json()["runtimeStatus"] == "Pending"
        base = f"{host.base_url}/runtime/webhooks/durabletask/"
        assert http_call("GET", base + "instances/?instanceIdPrefix=nobody", timeout=10).json() == []
        other = http_call("POST", base + "orchestrators/fan_out", json_body=2, timeout=10)
        assert other.status == 202
        assert http_call("GET", f"{host.base_url}/api/none", timeout=10).status == 404
    finally:
        (tmp_path / "release").touch()
    assert wait(urls)["output"] == 42
    assert wait(other.json())["output"] == 2
