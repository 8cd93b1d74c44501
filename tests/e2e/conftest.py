"""End-to-end fixtures: a real devhost process on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devhost.client import http_call
from tests.conftest import DEV_SECRET, PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningDevhost:
    process: subprocess.Popen
    base_url: str
    env: dict[str, str]
    log_path: Path

    def logs(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        """Terminate, and kill it if it has not exited within 15 s."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def token(self, *args: str) -> str:
        """``python -m devhost token ARGS`` with this devhost's settings (its dev signing secret)."""
        return subprocess.run(
            [sys.executable, "-m", "devhost", "token", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()


def devhost_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAWAVE_")}
    env.update(
        DATAWAVE_ENV="local",
        DATAWAVE_POSTGRES_URL=database_url,
        DATAWAVE_DATA_DIR=str(data_dir),
        DATAWAVE_AUTH_DEV_SECRET=DEV_SECRET,
        DATAWAVE_LOG_LEVEL="INFO",
    )
    return env


def start_devhost(
    env: dict[str, str],
    log_path: Path,
    app_dir: Path = PROJECT_ROOT,
    ready_path: str = "/api/health",
    extra_args: list[str] | None = None,
) -> RunningDevhost:
    port = free_port()
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "devhost", "--app", str(app_dir), "start", "--port", str(port), *(extra_args or [])],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"devhost exited early:\n{log_path.read_text()}")
        try:
            if http_call("GET", base_url + ready_path, timeout=2).status < 500:
                return RunningDevhost(process, base_url, env, log_path)
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"devhost did not become healthy:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def devhost(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevhost]:
    data_dir = tmp_path_factory.mktemp("devhost-data")
    running = start_devhost(devhost_env(database_url, data_dir), data_dir / "devhost.log")
    yield running
    running.stop()
