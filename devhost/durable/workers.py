"""The threads that drive durable work: one orchestration dispatcher (replays never run on HTTP
threads) and an activity pool of ``durableTask.maxConcurrentActivityFunctions`` workers, which run
each activity in this process or hand it to a worker process (``devhost.durable.activities``)."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from core.db.database import Database
from devhost.durable.activities import WorkerProcesses, execute_activity
from devhost.durable.engine import Engine
from devhost.durable.store import DurableStore

log = logging.getLogger("devhost.durable")


class Wake:
    """A loop's wake-up call that is never lost. The loop ``clear``s it before it looks for work and
    ``sleep``s when it found none; a ``set`` that comes in between (work arrived after the loop looked)
    makes that sleep return at once instead of after its whole timeout."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._due = False

    def set(self) -> None:
        with self._condition:
            self._due = True
            self._condition.notify_all()

    def clear(self) -> None:
        with self._condition:
            self._due = False

    def sleep(self, timeout: float, stop: threading.Event) -> None:
        with self._condition:
            if not (self._due or stop.is_set()):
                self._condition.wait(timeout)


class DurableWorkers:
    def __init__(
        self,
        database: Database,
        engine: Engine,
        store: DurableStore,
        max_activities: int,
        processes: WorkerProcesses | None = None,
    ) -> None:
        self.database = database
        self.engine = engine
        self.store = store
        self.max_activities = max(1, max_activities)
        self.owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._orchestration_wake = Wake()
        self._activity_wake = Wake()
        self._inflight = 0
        self._inflight_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(self.max_activities, thread_name_prefix="devhost-activity")
        self._processes = processes  # None: activities run on the pool's threads in this process
        self._results: queue.Queue[tuple[dict[str, Any], dict[str, Any]]] = queue.Queue()
        # Earliest time each instance may replay again (see _orchestration_pass).
        self._not_before: dict[str, float] = {}
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        with self.database.connection() as conn:
            released = self.store.release_claims(conn)
            conn.commit()
        if released:
            log.info("re-running activities claimed by a previous devhost", extra={"activities": released})
        for target, name in (
            (self._orchestration_loop, "devhost-orchestrations"),
            (self._activity_loop, "devhost-activity-dispatch"),
            (self._result_loop, "devhost-activity-results"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self.wake_orchestrations()
        self.wake_activities()
        orchestrations, dispatch, results = self._threads
        orchestrations.join(timeout=10)
        dispatch.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)  # queued claims re-run at the next start
        if self._processes is not None:
            self._processes.stop()
        results.join(timeout=10)  # drains what finished

    def wake_orchestrations(self) -> None:
        self._orchestration_wake.set()

    def wake_activities(self) -> None:
        self._activity_wake.set()

    # -- orchestrations ---------------------------------------------------------------------------
    def _orchestration_loop(self) -> None:
        while not self._stop.is_set():
            self._orchestration_wake.clear()
            try:
                worked = self._orchestration_pass()
            except Exception:  # noqa: BLE001 - keep the dispatcher alive; the episode rolled back
                log.exception("orchestration dispatcher error")
                worked = False
            if worked:
                continue
            # Sleep until the next event is due: a throttled instance's replay time, or the next
            # visible inbox event of an instance that is not throttled (a throttled one's events are
            # visible already: counting them would wake this loop every few milliseconds while a
            # fan-out runs). New work wakes the loop sooner (wake_orchestrations).
            timeout = 0.5
            now = time.monotonic()
            self._not_before = {i: at for i, at in self._not_before.items() if at > now}  # expired: not throttled
            if self._not_before:
                timeout = min(timeout, max(0.001, min(self._not_before.values()) - now))
            try:
                with self.database.connection() as conn:
                    next_at = self.store.next_visible_at(conn, exclude=list(self._not_before))
                if next_at is not None:
                    timeout = min(timeout, max(0.005, (next_at - datetime.now(UTC)).total_seconds()))
            except Exception:  # noqa: BLE001
                log.exception("could not read the next timer")
            self._orchestration_wake.sleep(timeout, self._stop)

    def _orchestration_pass(self) -> bool:
        now = time.monotonic()
        with self.database.connection() as conn:
            ready = self.store.ready_instances(conn, 100)
            # The replay throttle (below) only pays while completions are still on their way: an
            # instance with no activity or sub-orchestration left to finish replays at once.
            deferred = [i for i in ready if self._not_before.get(i, 0.0) > now]
            waiting = self.store.still_waiting(conn, deferred) if deferred else set()
            conn.commit()
        worked = False
        for instance_id in ready:
            if instance_id in waiting:
                continue
            started = time.monotonic()
            with self.database.connection() as conn:
                try:
                    result = self.engine.run_episode(conn, instance_id)
                    conn.commit()
                except Exception:
                    conn.rollback()
                    self.engine.forget(instance_id)
                    raise
            if result is not None:
                worked = True
                # Replaying costs time proportional to the history. Waiting twice that long before the
                # next replay of the same instance lets completions accumulate into larger batches, so
                # a big fan-out replays a bounded number of times instead of once per completion.
                finished = time.monotonic()
                if result.status in ("Running", "Pending"):
                    self._not_before[instance_id] = finished + 2 * (finished - started)
                else:
                    self._not_before.pop(instance_id, None)
                if result.woke_activities:
                    self.wake_activities()
        return worked

    # -- activities -------------------------------------------------------------------------------
    def _activity_loop(self) -> None:
        while not self._stop.is_set():
            self._activity_wake.clear()
            with self._inflight_lock:
                # Keep the pool fed: claim up to four times its size (queued claims run in order).
                free = 4 * self.max_activities - self._inflight
            claimed: list[dict[str, Any]] = []
            if free > 0:
                try:
                    with self.database.connection() as conn:
                        claimed = self.store.claim_work(conn, self.owner, free)
                        conn.commit()
                except Exception:  # noqa: BLE001
                    log.exception("could not claim activity work")
            for work in claimed:
                with self._inflight_lock:
                    self._inflight += 1
                self._pool.submit(self._run_activity, work)
            if not claimed:
                self._activity_wake.sleep(0.5, self._stop)

    def _run_activity(self, work: dict[str, Any]) -> None:
        try:
            self._results.put((work, self._execute(work)))
        finally:
            with self._inflight_lock:
                self._inflight -= 1
            self.wake_activities()

    def _result_loop(self) -> None:
        """Write finished activities' results in batches (one transaction per batch)."""
        while not (self._stop.is_set() and self._results.empty()):
            try:
                batch = [self._results.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < 1000:
                try:
                    batch.append(self._results.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.database.connection() as conn:
                    self.store.finish_work(conn, batch)
                    conn.commit()
                self.wake_orchestrations()
            except Exception:  # noqa: BLE001 - the claims stay; a restart runs those activities again
                log.exception("could not record activity results", extra={"activities": len(batch)})

    def _execute(self, work: dict[str, Any]) -> dict[str, Any]:
        if self._processes is not None:
            return self._processes.run(work)
        return execute_activity(self.engine.functions.activities, work)
