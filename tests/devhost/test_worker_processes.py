"""Activities in worker processes (``FUNCTIONS_WORKER_PROCESS_COUNT`` above 1), with a real devhost."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from devhost.client import http_call
from devhost.durable.activities import worker_process_count
from tests.devhost.test_durability import ORCHESTRATORS, _start, _wait
from tests.e2e.conftest import devhost_env, start_devhost


@pytest.mark.parametrize(("raw", "count"), [(None, 1), ("", 1), ("1", 1), (" 4 ", 4), ("10", 10)])
def test_the_worker_process_count_comes_from_the_setting(raw, count):
    environ = {} if raw is None else {"FUNCTIONS_WORKER_PROCESS_COUNT": raw}
    assert worker_process_count(environ) == count


@pytest.mark.parametrize("raw", ["0", "11", "-2", "two", "1.5"])
def test_a_worker_process_count_outside_one_to_ten_is_refused(raw):
    with pytest.raises(ValueError, match="FUNCTIONS_WORKER_PROCESS_COUNT must be an integer from 1 to 10"):
        worker_process_count({"FUNCTIONS_WORKER_PROCESS_COUNT": raw})


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it has exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_activities_run_in_the_worker_processes_and_leave_with_the_host(database_url, tmp_path, durable_app_dir):
    env = devhost_env(database_url, tmp_path)
    env["FIXTURE_HUB"] = f"Workers{os.getpid()}{time.monotonic_ns()}"
    env["FUNCTIONS_WORKER_PROCESS_COUNT"] = "2"
    markers = tmp_path / "markers"
    markers.mkdir()
    host = start_devhost(env, tmp_path / "host.log", app_dir=durable_app_dir, ready_path="/api/none")
    try:
        status = _wait(_start(host, {"count": 12, "delay": 0.2, "marker_dir": str(markers)})["statusQueryGetUri"])
        reply = http_call("POST", host.base_url + ORCHESTRATORS + "activity_failure")
        failure = _wait(reply.json()["statusQueryGetUri"])
    finally:
        os.kill(host.process.pid, signal.SIGKILL)
        host.process.wait(timeout=10)

    assert status["runtimeStatus"] == "Completed" and status["output"] == sum(2 * i for i in range(12))
    # An activity's exception still reaches the orchestrator across the process boundary.
    assert failure["runtimeStatus"] == "Completed" and "cannot process x" in failure["output"]
    names = [marker.name.split("-") for marker in markers.iterdir()]
    assert sorted(int(value) for value, _, _ in names) == list(range(12))
    workers = {int(pid) for _, pid, _ in names}
    assert len(workers) == 2 and host.process.pid not in workers  # both workers, never the host itself
    spans = [tuple(map(float, marker.read_text().split())) for marker in markers.iterdir()]
    peak = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    # host.json maxConcurrentActivityFunctions (4) holds over all workers together; calls do overlap. A
    # worker that imports the app slowly on a loaded machine leaves fewer than 4 to overlap, hence >= 2.
    assert 2 <= peak <= 4

    # The host was killed with SIGKILL: its worker processes notice and exit by themselves.
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def _event_type(name: str) -> int:
    from devhost.durable.history import EventType

    return int(getattr(EventType, name))


def test_a_worker_that_cannot_load_the_app_fails_each_call_with_the_reason(database_url, tmp_path):
    from devhost.durable.activities import WorkerProcesses

    workers = WorkerProcesses(tmp_path, 2, database_url, threads=2)  # no function_app.py there
    try:
        result = workers.run({"name": "double", "task_id": 7, "input": "21"})
    finally:
        workers.stop()
    assert result["EventType"] == _event_type("TASK_FAILED") and result["TaskScheduledId"] == 7
    assert result["Reason"] == "Activity function 'double' failed: the worker could not load the app"
    assert "FileNotFoundError" in result["Details"] and "function_app.py not found" in result["Details"]


def test_a_worker_runs_a_call_and_stops_when_asked(database_url, durable_app_dir):
    from devhost.durable.activities import WorkerProcesses

    workers = WorkerProcesses(durable_app_dir, 1, database_url, threads=2)
    result = workers.run({"name": "double", "task_id": 1, "input": "21"})
    (worker,) = workers._workers
    workers.stop()
    assert result["EventType"] == _event_type("TASK_COMPLETED") and result["Result"] == "42"
    assert not worker.process.is_alive() and worker.process.exitcode == 0  # left by itself, not killed
