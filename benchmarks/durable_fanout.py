"""Fan-out/fan-in throughput of devhost's durable engine.

Runs the fixture app's ``fan_out`` orchestration (N trivial activities, then a sum) on an embedded
PostgreSQL in a temporary directory, through the real management API, and prints activities/s for
N = 100, 1,000 and 5,000, then the per-activity cost at 5,000 relative to 100.

    .venv/bin/python benchmarks/durable_fanout.py
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db.migrations import apply_migrations  # noqa: E402
from devhost.client import http_call  # noqa: E402
from devhost.host import LocalHost  # noqa: E402
from devhost.runtime import DEVHOST_MIGRATIONS  # noqa: E402

APP = ROOT / "tests" / "devhost" / "apps" / "durable_app"


def run(host: LocalHost, count: int) -> float:
    started = time.perf_counter()
    reply = http_call("POST", f"{host.base_url}/runtime/webhooks/durabletask/orchestrators/fan_out", json_body=count)
    status_url = reply.json()["statusQueryGetUri"]
    while True:
        status = http_call("GET", status_url).json()
        if status["runtimeStatus"] not in ("Pending", "Running"):
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    expected = sum(2 * i for i in range(count))
    if status["runtimeStatus"] != "Completed" or status["output"] != expected:
        raise SystemExit(f"fan-out of {count} ended {status['runtimeStatus']} with {status['output']!r}")
    return elapsed


def main() -> None:
    logging.disable(logging.WARNING)
    os.environ["FIXTURE_HUB"] = "BenchHub"
    with tempfile.TemporaryDirectory(prefix="dw-bench-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        url = server.get_uri()
        apply_migrations(url, DEVHOST_MIGRATIONS)
        host = LocalHost(APP, url, port=0)
        host.start_background()
        try:
            run(host, 10)  # warm up
            rates = {}
            for count in (100, 1000, 5000):
                elapsed = run(host, count)
                rates[count] = count / elapsed
                print(f"fanout_{count}_activities_per_s={rates[count]:.0f}", flush=True)
            print(f"per_activity_cost_ratio_5000_vs_100={rates[100] / rates[5000]:.2f}")
            print(f"activities_per_s_at_1000={rates[1000]:.0f}")
        finally:
            host.stop()


if __name__ == "__main__":
    main()
