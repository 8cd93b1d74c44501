"""The scan saga: discover → fan out batches of assets (sample, profile, classify, catalog) in waves
→ fan in → finish; on failure, compensate by marking the scan failed (partial results are kept).

Deterministic: no I/O and no clock here; everything that reads the world is an activity. Pause is a
flag the API sets in the database: between waves the orchestrator reads it (``scan_checkpoint``) and,
when paused, waits for the ``resume`` event carrying the pause's sequence number (a stale resume from
an earlier pause is ignored). Cancel terminates the instance.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

ORCHESTRATOR = "scan_orchestrator"
BATCH_SIZE = 10  # assets per activity call
WAVE_SIZE = 8  # activity calls in flight at once (host.json maxConcurrentActivityFunctions)
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)


def scan_orchestrator(context: df.DurableOrchestrationContext) -> Any:
    scan_id = context.get_input()["scan_id"]
    progress = {"phase": "discovering", "total": 0, "done": 0, "failed": 0, "skipped": 0}
    context.set_custom_status(progress)
    try:
        plan = yield context.call_activity_with_retry("scan_discover", RETRY, scan_id)
        pending: list[str] = plan["pending"]
        progress.update(phase="scanning", total=plan["total"], skipped=plan["skipped"])
        context.set_custom_status(dict(progress))
        batches = [pending[i : i + BATCH_SIZE] for i in range(0, len(pending), BATCH_SIZE)]
        index = 0
        while index < len(batches):
            state = yield context.call_activity("scan_checkpoint", scan_id)
            if state["status"] == "paused":
                context.set_custom_status({**progress, "phase": "paused"})
                while True:
                    resumed_at = yield context.wait_for_external_event("resume")
                    if isinstance(resumed_at, int) and resumed_at >= state["pause_seq"]:
                        break
                context.set_custom_status(dict(progress))
                continue
            if state["status"] != "running":
                return {"scan_id": scan_id, "status": state["status"], **progress}
            wave = batches[index : index + WAVE_SIZE]
            results = yield context.task_all(
                [
                    context.call_activity_with_retry("scan_assets", RETRY, {"scan_id": scan_id, "assets": b})
                    for b in wave
                ]
            )
            progress["done"] += sum(r["done"] for r in results)
            progress["failed"] += sum(r["failed"] for r in results)
            index += WAVE_SIZE
            context.set_custom_status(dict(progress))
        progress["phase"] = "finishing"
        context.set_custom_status(dict(progress))
        summary = yield context.call_activity_with_retry("scan_finish", RETRY, scan_id)
        context.set_custom_status({**progress, "phase": "done"})
        return {"scan_id": scan_id, "status": "completed", **summary}
    except Exception as exc:
        yield context.call_activity("scan_fail", {"scan_id": scan_id, "error": str(exc)[:1000]})
        raise


def register(bp: df.Blueprint) -> None:
    bp.orchestration_trigger(context_name="context", orchestration=ORCHESTRATOR)(scan_orchestrator)
