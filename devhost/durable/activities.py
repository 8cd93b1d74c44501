"""Running one activity: in the host process, or in one of ``FUNCTIONS_WORKER_PROCESS_COUNT`` worker
processes as the Python worker does in Azure.

The Python language worker runs one process per ``FUNCTIONS_WORKER_PROCESS_COUNT`` (1 to 10, default
1) and the host spreads invocations across them, so CPU-bound Python code can use more than one core
despite the GIL. devhost does the same for activity functions (the CPU-heavy part of a saga): with a
count above 1, each activity runs in one of that many worker processes (started with ``spawn``), each
of which imports the app once (``load_app``), keeps it warm between calls and runs several calls at
once on its own threads; a call goes to the worker with the fewest calls in flight, and
``durableTask.maxConcurrentActivityFunctions`` still bounds the calls in flight over all of them.
Orchestrator replays, HTTP, Service Bus, blob and timer functions stay in the host process. Inputs
and results cross the process boundary as the JSON the durable extension stores anyway.

A worker process exits by itself when the host process is gone (``kill -9`` included: its end of
the pipe closes), so a killed devhost leaves no orphans; the activities it was running are re-run by
the next start (at-least-once, as in Azure). A worker that dies mid-call fails the calls it was
running (TaskFailed, so retry policies apply) and is replaced at the next call.
"""

from __future__ import annotations

import inspect
import itertools
import json
import logging
import multiprocessing
import os
import threading
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from devhost.durable.history import EventType, event, utc_now
from devhost.worker_loop import awaited, run_async

log = logging.getLogger("devhost.durable")

PROCESS_COUNT_SETTING = "FUNCTIONS_WORKER_PROCESS_COUNT"
MAX_PROCESSES = 10  # the Python worker's limit


def worker_process_count(environ: Any = None) -> int:
    """``FUNCTIONS_WORKER_PROCESS_COUNT`` from the environment (1 when unset); outside 1..10 is an error."""
    raw = (os.environ if environ is None else environ).get(PROCESS_COUNT_SETTING, "").strip()
    if not raw:
        return 1
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_PROCESSES:
        raise ValueError(f"{PROCESS_COUNT_SETTING} must be an integer from 1 to {MAX_PROCESSES}, got {raw!r}")
    return count


def execute_activity(activities: dict[str, tuple[Any, str]], work: dict[str, Any]) -> dict[str, Any]:
    """Call the activity ``work`` names with its JSON input; the TaskCompleted or TaskFailed event."""
    name = work["name"]
    function, input_name = activities[name]
    task_id = work["task_id"]
    try:
        value = json.loads(work["input"]) if work["input"] is not None else None
        result = function(**{input_name: value})
        if inspect.isawaitable(result):
            result = run_async(awaited(result))
        payload = json.dumps(result)  # a non-JSON result fails the task, as in Azure
        return event(EventType.TASK_COMPLETED, utc_now(), TaskScheduledId=task_id, Result=payload)
    except Exception as exc:  # noqa: BLE001 - an activity failure is a TaskFailed for the orchestrator
        details = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        log.info("activity failed", extra={"activity": name, "error_type": type(exc).__name__})
        return failed_event(task_id, f"Activity function '{name}' failed: {exc}", details)


def failed_event(task_id: int, reason: str, details: str) -> dict[str, Any]:
    return event(EventType.TASK_FAILED, utc_now(), TaskScheduledId=task_id, Reason=reason, Details=details)


# -- inside a worker process ------------------------------------------------------------------------
def _worker_main(conn: Connection, app_dir: str, database_url: str, threads: int) -> None:
    """A worker process: load the app once, then run the calls the host sends on ``threads`` threads
    until the host says stop (``None``) or goes away (the pipe closes: exit at once)."""
    activities: dict[str, tuple[Any, str]] = {}
    load_error = ""
    try:
        # The host's database, also when it is the embedded server the host started (a worker must
        # not start or join one of its own).
        os.environ["DATAWAVE_POSTGRES_URL"] = database_url
        from devhost.app_loader import load_app
        from devhost.durable.engine import FunctionIndex
        from devhost.runtime import prepare

        prepare(Path(app_dir), migrate=False)
        activities = FunctionIndex.from_functions(load_app(Path(app_dir)).functions).activities
    except Exception as exc:  # noqa: BLE001 - every call this worker gets fails with the reason
        load_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    send_lock = threading.Lock()

    def run(call_id: int, work: dict[str, Any]) -> None:
        if load_error:
            result = failed_event(
                work["task_id"],
                f"Activity function '{work['name']}' failed: the worker could not load the app",
                load_error,
            )
        else:
            result = execute_activity(activities, work)
        with send_lock:
            conn.send((call_id, result))

    pool = ThreadPoolExecutor(threads, thread_name_prefix="devhost-worker")
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the host is gone (killed or crashed): so is this worker
            os._exit(0)
        if message is None:
            break
        pool.submit(run, *message)
    pool.shutdown(wait=True)
    conn.close()


# -- in the host ----------------------------------------------------------------------------------
class _Worker:
    def __init__(self, context: Any, app_dir: Path, database_url: str, threads: int) -> None:
        host_end, worker_end = context.Pipe()
        self.process = context.Process(
            target=_worker_main,
            args=(worker_end, str(app_dir), database_url, threads),
            name="devhost-activity-worker",
            daemon=True,
        )
        self.process.start()
        worker_end.close()
        self.conn = host_end
        self.lock = threading.Lock()
        self.pending: dict[int, tuple[Future[dict[str, Any]], dict[str, Any]]] = {}
        self.broken = False
        threading.Thread(target=self._read, name="devhost-worker-results", daemon=True).start()

    def call(self, call_id: int, work: dict[str, Any]) -> Future[dict[str, Any]]:
        future: Future[dict[str, Any]] = Future()
        with self.lock:
            if self.broken:
                future.set_result(_worker_exited(work))
                return future
            self.pending[call_id] = (future, work)
            try:
                self.conn.send((call_id, work))
            except OSError:  # it died before its reader noticed
                del self.pending[call_id]
                future.set_result(_worker_exited(work))
        return future

    def load(self) -> int:
        return len(self.pending)

    def _read(self) -> None:
        while True:
            try:
                call_id, result = self.conn.recv()
            except (EOFError, OSError):
                break
            with self.lock:
                future, _ = self.pending.pop(call_id)
            future.set_result(result)
        with self.lock:  # the worker died: what it was running fails (retry policies apply)
            self.broken = True
            lost, self.pending = list(self.pending.values()), {}
        for future, work in lost:
            log.warning("activity worker process exited", extra={"activity": work["name"]})
            future.set_result(_worker_exited(work))

    def stop(self, timeout: float) -> None:
        with self.lock:
            if not self.broken:
                try:
                    self.conn.send(None)
                except OSError:
                    pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


def _worker_exited(work: dict[str, Any]) -> dict[str, Any]:
    reason = f"Activity function '{work['name']}' failed: its worker process exited"
    return failed_event(work["task_id"], reason, "worker process exited")


class WorkerProcesses:
    """``count`` worker processes, started on first use; each call goes to the least busy one (each
    runs up to ``threads`` calls at once, as the Python worker's thread pool does)."""

    def __init__(self, app_dir: Path, count: int, database_url: str, threads: int) -> None:
        self.app_dir = Path(app_dir)
        self.count = count
        self.database_url = database_url
        self.threads = max(1, threads)
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._calls = itertools.count()

    def _pick(self) -> _Worker:
        with self._lock:
            self._workers = [worker for worker in self._workers if not worker.broken]
            while len(self._workers) < self.count:  # first use, or replacing a worker that died
                self._workers.append(_Worker(self._context, self.app_dir, self.database_url, self.threads))
            return min(self._workers, key=_Worker.load)

    def run(self, work: dict[str, Any]) -> dict[str, Any]:
        try:
            worker = self._pick()
        except Exception as exc:  # noqa: BLE001 - e.g. no process could be started: the call fails, not the host
            log.exception("could not start an activity worker process")
            reason = f"Activity function '{work['name']}' failed: no worker process could be started"
            return failed_event(work["task_id"], reason, f"{type(exc).__name__}: {exc}")
        return worker.call(next(self._calls), work).result()

    def stop(self, timeout: float = 30.0) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop(timeout)
