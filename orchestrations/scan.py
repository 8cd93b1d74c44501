"""The scan saga: discover → batches of assets (sample, profile, classify, catalog) with a bounded
number in flight → finish; on failure, compensate by marking the scan failed (partial results are kept).

Deterministic: no I/O and no clock here; everything that reads the world is an activity. Batches run
in a sliding window: up to ``WINDOW`` are scheduled, twice as many as the host runs at once, so a
worker that finishes a batch starts the next queued one at once (no wave waits for its slowest batch,
no worker waits for an orchestrator replay); each completion makes room for the next batch. Pause
is a flag the API sets in the database: a batch that starts while the scan is paused does nothing
and reports itself deferred (it is scheduled again after the resume), a running batch finishes, and
every batch reports the scan's status as it ends, so once one reports ``paused`` no new batch is
scheduled; when none is left in flight the orchestrator waits for the ``resume`` event carrying the
pause's sequence number (a stale resume from an earlier pause is ignored), then checks the status
again (``scan_checkpoint``). Cancel terminates the instance. Files landing in a storage source while
it is scanned join the scan (core/scans/triggers.py): when ``scan_finish`` finds one that the last
discovery round did not see, it answers ``rediscover`` and the saga continues as new with another round.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

ORCHESTRATOR = "scan_orchestrator"
BATCH_SIZE = 10  # assets per activity call
WINDOW = 16  # activity calls scheduled at once: 2 x host.json maxConcurrentActivityFunctions
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)


def scan_orchestrator(context: df.DurableOrchestrationContext) -> Any:
    scan_id = context.get_input()["scan_id"]
    progress = {"phase": "discovering", "total": 0, "done": 0, "failed": 0, "skipped": 0}
    context.set_custom_status(progress)
    try:
        plan = yield context.call_activity_with_retry("scan_discover", RETRY, scan_id)
        pending: list[str] = plan["pending"]
        progress.update(phase="scanning", total=plan["total"], skipped=plan["skipped"])
        progress.update(done=plan.get("done", 0), failed=plan.get("failed", 0))  # earlier rounds' results
        context.set_custom_status(dict(progress))
        queue = [pending[i : i + BATCH_SIZE] for i in range(0, len(pending), BATCH_SIZE)]
        state = yield context.call_activity("scan_checkpoint", scan_id)
        in_flight: list[tuple[Any, list[str]]] = []
        while queue or in_flight:
            while state["status"] == "running" and queue and len(in_flight) < WINDOW:
                batch = queue.pop(0)
                task = context.call_activity_with_retry("scan_assets", RETRY, {"scan_id": scan_id, "assets": batch})
                in_flight.append((task, batch))
            if in_flight:
                finished = yield context.task_any([task for task, _ in in_flight])
                position = next(i for i, (task, _) in enumerate(in_flight) if task is finished)
                _, batch = in_flight.pop(position)
                result = finished.result
                if result.get("deferred"):  # it started while the scan was paused: run it after the resume
                    queue.insert(0, batch)
                progress["done"] += result["done"]
                progress["failed"] += result["failed"]
                context.set_custom_status(dict(progress))
                state = {"status": result["status"], "pause_seq": result["pause_seq"]}
                continue
            # Nothing in flight and nothing may start: paused, or no longer running.
            if state["status"] != "paused":
                return {"scan_id": scan_id, "status": state["status"], **progress}
            context.set_custom_status({**progress, "phase": "paused"})
            while True:
                resumed_at = yield context.wait_for_external_event("resume")
                if isinstance(resumed_at, int) and resumed_at >= state["pause_seq"]:
                    break
            context.set_custom_status(dict(progress))
            state = yield context.call_activity("scan_checkpoint", scan_id)
        progress["phase"] = "finishing"
        context.set_custom_status(dict(progress))
        summary = yield context.call_activity_with_retry("scan_finish", RETRY, scan_id)
        if summary.get("rediscover"):
            # Files joined the scan after its discovery listed the source: discover again, in a fresh
            # execution of the same instance (bounded history); only new or changed assets are pending.
            context.continue_as_new({"scan_id": scan_id})
            return None
        context.set_custom_status({**progress, "phase": "done"})
        return {"scan_id": scan_id, "status": "completed", **summary}
    except Exception as exc:
        yield context.call_activity("scan_fail", {"scan_id": scan_id, "error": str(exc)[:1000]})
        raise


def register(bp: df.Blueprint) -> None:
    bp.orchestration_trigger(context_name="context", orchestration=ORCHESTRATOR)(scan_orchestrator)
