"""History events in the shape the Durable extension sends to the Python SDK."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any


class EventType(IntEnum):
    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


class ActionType(IntEnum):
    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    WHEN_ANY = 11
    WHEN_ALL = 12


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 with milliseconds and ``Z``, as the extension writes timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def event(kind: EventType, moment: datetime, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    return {"EventType": int(kind), "EventId": event_id, "IsPlayed": False, "Timestamp": iso(moment), **fields}


EVENT_NAMES = {int(e): "".join(part.capitalize() for part in e.name.split("_")) for e in EventType}
EVENT_NAMES[int(EventType.SUB_ORCHESTRATION_CREATED)] = "SubOrchestrationInstanceCreated"
EVENT_NAMES[int(EventType.SUB_ORCHESTRATION_COMPLETED)] = "SubOrchestrationInstanceCompleted"
EVENT_NAMES[int(EventType.SUB_ORCHESTRATION_FAILED)] = "SubOrchestrationInstanceFailed"


def public_event(raw: dict[str, Any], show_output: bool) -> dict[str, Any]:
    """An event as the status API shows it in ``historyEvents``."""
    shown = {"EventType": EVENT_NAMES.get(raw["EventType"], str(raw["EventType"])), "Timestamp": raw["Timestamp"]}
    for key in ("Name", "TaskScheduledId", "TimerId", "FireAt", "Reason", "InstanceId"):
        if raw.get(key) is not None:
            shown[key] = raw[key]
    if raw.get("EventId", -1) >= 0:
        shown["EventId"] = raw["EventId"]
    if show_output and raw.get("Result") is not None:
        shown["Result"] = raw["Result"]
    return shown
