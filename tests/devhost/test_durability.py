"""Durability and concurrency of devhost's durable engine, with real processes."""

from __future__ import annotations

import os
import signal
import time

import psycopg
import pytest

from devhost.client import http_call
from tests.e2e.conftest import devhost_env, start_devhost

ORCHESTRATORS = "/runtime/webhooks/durabletask/orchestrators/"


@pytest.fixture
def env(database_url, tmp_path):
    values = devhost_env(database_url, tmp_path)
    values["FIXTURE_HUB"] = f"Durability{os.getpid()}{time.monotonic_ns()}"
    return values


def _start(host, spec: dict) -> dict:
    reply = http_call("POST", host.base_url + ORCHESTRATORS + "slow_fan_out", json_body=spec)
    assert reply.status == 202
    return reply.json()


def _wait(url: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = http_call("GET", url).json()
        if status["runtimeStatus"] not in ("Pending", "Running"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"instance did not finish: {status}")


def test_kill_during_fan_out_then_restart_completes_with_the_same_output(env, tmp_path, durable_app_dir, database_url):
    count = 40
    markers = tmp_path / "markers"
    markers.mkdir()
    reference_markers = tmp_path / "reference"
    reference_markers.mkdir()

    host = start_devhost(env, tmp_path / "first.log", app_dir=durable_app_dir, ready_path="/api/none")
    try:
        reference = _wait(
            _start(host, {"count": count, "delay": 0.01, "marker_dir": str(reference_markers)})["statusQueryGetUri"]
        )
        urls = _start(host, {"count": count, "delay": 0.1, "marker_dir": str(markers)})
        deadline = time.monotonic() + 30
        while len(list(markers.iterdir())) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert http_call("GET", urls["statusQueryGetUri"]).json()["runtimeStatus"] == "Running"
    finally:
        os.kill(host.process.pid, signal.SIGKILL)
        host.process.wait(timeout=10)
    ran_before_kill = len(list(markers.iterdir()))
    assert 8 <= ran_before_kill < count

    restarted = start_devhost(env, tmp_path / "second.log", app_dir=durable_app_dir, ready_path="/api/none")
    try:
        status = _wait(urls["statusQueryGetUri"].replace(host.base_url, restarted.base_url))
    finally:
        restarted.process.terminate()
        restarted.process.wait(timeout=15)

    assert reference["runtimeStatus"] == status["runtimeStatus"] == "Completed"
    assert status["output"] == reference["output"] == sum(2 * i for i in range(count))
    ran = {int(marker.name.split("-")[0]) for marker in markers.iterdir()}
    assert ran == set(range(count))  # every activity ran at least once (some twice: at-least-once)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT (event->>'TaskScheduledId')::int, count(*) FROM devhost_durable_history"
            " WHERE hub = %s AND instance_id = %s AND (event->>'EventType')::int = 5 GROUP BY 1",
            (env["FIXTURE_HUB"], urls["id"]),
        ).fetchall()
    assert len(rows) == count and all(n == 1 for _, n in rows)  # each result recorded once


def test_activities_never_exceed_max_concurrent_activity_functions(env, tmp_path, durable_app_dir):
    markers = tmp_path / "markers"
    markers.mkdir()
    host = start_devhost(env, tmp_path / "host.log", app_dir=durable_app_dir, ready_path="/api/none")
    try:
        status = _wait(_start(host, {"count": 16, "delay": 0.2, "marker_dir": str(markers)})["statusQueryGetUri"])
    finally:
        host.process.terminate()
        host.process.wait(timeout=15)
    assert status["runtimeStatus"] == "Completed"
    spans = [tuple(map(float, marker.read_text().split())) for marker in markers.iterdir()]
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans], key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, delta in edges:
        running += delta
        peak = max(peak, running)
    assert peak == 4  # host.json maxConcurrentActivityFunctions of the fixture app
