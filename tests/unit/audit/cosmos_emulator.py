"""Start ``@vercel/cosmosdb-server`` (from package.json) on a free loopback port for a test module."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import PROJECT_ROOT

CLI = PROJECT_ROOT / "node_modules" / "@vercel" / "cosmosdb-server" / "lib" / "cli.js"
# The emulator does not check keys; this is the well-known public emulator key format.
EMULATOR_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def cosmos_emulator() -> Iterator[str]:
    """Yield the endpoint URL of a running emulator; stop it afterwards."""
    node = shutil.which("node")
    if node is None or not CLI.exists():
        raise RuntimeError("node and node_modules/@vercel/cosmosdb-server are required (make bootstrap)")
    port = _free_port()
    process = subprocess.Popen(
        [node, str(CLI), "-p", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None:
                    output = process.stdout.read() if process.stdout else ''
                    raise RuntimeError(f"cosmosdb-server exited: {output}") from None
                time.sleep(0.1)
        else:
            raise RuntimeError("cosmosdb-server did not start")
        yield f"https://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
