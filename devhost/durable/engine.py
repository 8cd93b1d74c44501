"""One orchestration episode: deliver new events, replay the orchestrator through the SDK's own
protocol (history in → actions out), and turn new actions into scheduled work — in one transaction.

Task ids. The SDK never sends task ids: it numbers tasks with a sequence counter in the order they
are first yielded (activities, timers, sub-orchestrations; external events are matched by name), and
retry tasks take hidden ids (a timer when an attempt fails, a reschedule when that timer fires).
devhost mirrors the counter in ``engine_state.next_id``. To keep the mirror exact, a retry-related
event (a failed retry attempt, a retry timer firing) is only ever delivered FIRST in a batch, so its
hidden id is allocated before any task the orchestrator yields in the same episode.
"""

from __future__ import annotations

import importlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from devhost.durable.history import ActionType, EventType, event, iso, utc_now
from devhost.durable.store import DurableStore, InstanceExists

log = logging.getLogger("devhost.durable")

MAX_BATCH = 20_000
_OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:"
_ID_CONSUMING = {
    ActionType.CALL_ACTIVITY,
    ActionType.CALL_ACTIVITY_WITH_RETRY,
    ActionType.CALL_SUB_ORCHESTRATOR,
    ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY,
    ActionType.CREATE_TIMER,
    ActionType.CALL_HTTP,
    ActionType.CALL_ENTITY,
}


@dataclass
class FunctionIndex:
    """Orchestrator and activity functions by the names the Durable extension uses."""

    orchestrators: dict[str, Any] = field(default_factory=dict)
    activities: dict[str, tuple[Any, str]] = field(default_factory=dict)

    @classmethod
    def from_functions(cls, functions: list[Any]) -> FunctionIndex:
        index = cls()
        for function in functions:
            trigger = function.get_trigger()
            kind = trigger.get_binding_name()
            if kind == "orchestrationTrigger":
                name = getattr(trigger, "orchestration", None) or function.get_function_name()
                index.orchestrators[name] = function.get_user_function()
            elif kind == "activityTrigger":
                name = getattr(trigger, "activity", None) or function.get_function_name()
                index.activities[name] = (function.get_user_function(), trigger.name)
        return index


def flatten_actions(actions: list[Any]) -> list[dict[str, Any]]:
    """Atomic actions in yield order (compound WhenAll/WhenAny actions opened depth-first)."""
    flat: list[dict[str, Any]] = []

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                visit(child)
        elif node.get("actionType") in (ActionType.WHEN_ALL, ActionType.WHEN_ANY):
            visit(node.get("compoundActions", []))
        else:
            flat.append(node)

    visit(actions)
    return flat


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def install_fast_timestamp_parser() -> None:
    """Give the SDK's history parser a fast path for the ISO-8601 timestamps devhost writes.

    The SDK parses every history event's Timestamp with ``dateutil.parser.parse`` (about 0.2 ms each
    here), which made replaying a 5,000-activity fan-out spend most of its time parsing dates. devhost
    only ever writes ``YYYY-MM-DDTHH:MM:SS.mmmZ``; ``datetime.fromisoformat`` returns the identical
    aware datetime for those, and anything else still goes to dateutil.
    """
    # The package re-exports the class under the module's name; import_module returns the module.
    module = importlib.import_module("azure.durable_functions.models.history.HistoryEvent")

    original = getattr(module, "_dateutil_parse", module.dt_parse)

    def parse(value: str, *args: Any, **kwargs: Any) -> datetime:
        if not args and not kwargs and isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        return original(value, *args, **kwargs)

    module._dateutil_parse = original  # type: ignore[attr-defined]
    module.dt_parse = parse  # type: ignore[attr-defined]


def new_engine_state() -> dict[str, Any]:
    return {"next_id": 0, "seen": 0, "retries": {}, "retry_timers": {}}


@dataclass
class EpisodeResult:
    instance_id: str
    status: str
    woke_activities: bool = False
    touched_instances: list[str] = field(default_factory=list)
    # Activity work scheduled in this episode, inserted in one statement (a fan-out of thousands
    # used to insert row by row, and the instance stayed locked while it did).
    work: list[tuple[str, int, str, str | None]] = field(default_factory=list)


class Engine:
    def __init__(self, store: DurableStore, functions: FunctionIndex) -> None:
        install_fast_timestamp_parser()
        self.store = store
        self.functions = functions
        # instance id -> (execution id, history); the database is the truth, this saves re-reading it.
        self._history_cache: dict[str, tuple[str, list[dict[str, Any]]]] = {}

    # -- starting ---------------------------------------------------------------------------------
    def start(
        self,
        conn: psycopg.Connection,
        name: str,
        instance_id: str | None,
        input_json: str | None,
        parent: tuple[str, int] | None = None,
    ) -> str:
        instance_id = instance_id or uuid.uuid4().hex
        execution_id = uuid.uuid4().hex
        start_event = event(
            EventType.EXECUTION_STARTED,
            utc_now(),
            Name=name,
            Input=input_json,
            Version="",
            OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        )
        self.store.create_instance(
            conn, instance_id, name, input_json, execution_id=execution_id, parent=parent, start_event=start_event
        )
        self._history_cache.pop(instance_id, None)
        return instance_id

    def forget(self, instance_id: str) -> None:
        self._history_cache.pop(instance_id, None)

    # -- one episode ------------------------------------------------------------------------------
    def run_episode(self, conn: psycopg.Connection, instance_id: str) -> EpisodeResult | None:
        """Deliver the instance's ready events and persist the outcome; None when there is nothing to
        do or another worker holds the instance."""
        instance = self.store.get(conn, instance_id, skip_locked=True)
        if instance is None or instance["status"] not in ("Pending", "Running"):
            return None
        inbox = self.store.ready_inbox(conn, instance_id, MAX_BATCH)
        if not inbox:
            return None
        state = dict(instance["engine_state"] or {}) or new_engine_state()
        history = self._load_history(conn, instance)
        batch = self._select_batch(inbox, state, fresh=not history)
        now = utc_now()
        result = EpisodeResult(instance_id, instance["status"])

        delivered = [event(EventType.ORCHESTRATOR_STARTED, now)]
        for row in batch:
            delivered.append({**row["event"], "IsPlayed": False})
        produced: list[dict[str, Any]] = []  # events this episode adds after the delivered ones

        first = batch[0]["event"]
        self._allocate_retry_ids(conn, instance, state, first, now, produced, result)

        replay_history = history + delivered
        name = instance["name"]
        orchestrator = self.functions.orchestrators.get(name)
        outcome: dict[str, Any] | None = None
        error: str | None = None
        if orchestrator is None:
            error = f"The orchestrator function '{name}' doesn't exist."
        else:
            context = {
                "history": replay_history,
                "instanceId": instance_id,
                "isReplaying": False,
                "parentInstanceId": instance["parent_instance_id"],
                "input": instance["input"],
                "upperSchemaVersion": 1,
                "upperSchemaVersionNew": 2,
            }
            try:
                outcome = json.loads(orchestrator(json.dumps(context)))
            except Exception as exc:  # noqa: BLE001 - an orchestrator failure fails the instance, not devhost
                error = str(exc).split(_OUT_OF_PROC_MARKER, 1)[0] or type(exc).__name__

        status = "Running"
        updates: dict[str, Any] = {}
        if outcome is not None:
            if "customStatus" in outcome:
                updates["custom_status"] = json.dumps(outcome["customStatus"])
            try:
                continue_input = self._schedule_new_actions(conn, instance, state, outcome, now, produced, result)
            except _Unsupported as exc:
                error = str(exc)
                continue_input = None
            # Before a failure or a continue-as-new below drops the instance's work. (Without an
            # outcome the instance fails: work a retry scheduled would be dropped at once.)
            self.store.add_work(conn, result.work)
            if error is None and outcome.get("isDone"):
                if continue_input is not None:
                    self._continue_as_new(conn, instance, continue_input, batch, now)
                    result.status = "Running"
                    return result
                status = "Completed"
                output_json = json.dumps(outcome.get("output"))
                updates["output"] = output_json
                produced.append(
                    event(EventType.EXECUTION_COMPLETED, now, OrchestrationStatus="Completed", Result=output_json)
                )
                self._notify_parent(conn, instance, completed=True, payload=output_json, result=result)
        if error is not None:
            status = "Failed"
            message = f"Orchestrator function '{name}' failed: {error}"
            updates["output"] = json.dumps(message)
            produced.append(event(EventType.EXECUTION_FAILED, now, Reason=message))
            self.store.drop_work(conn, instance_id)
            self._notify_parent(conn, instance, completed=False, payload=message, result=result)
            log.warning("orchestration failed", extra={"instance_id": instance_id, "orchestrator": name})

        produced.append(event(EventType.ORCHESTRATOR_COMPLETED, now))
        new_events = delivered + produced
        self.store.append_history(conn, instance_id, len(history), new_events)
        self.store.consume(conn, [row["id"] for row in batch])
        self.store.update(conn, instance_id, status=status, engine_state=state, **updates)
        for item in new_events:
            item["IsPlayed"] = True
        history.extend(new_events)
        self._history_cache[instance_id] = (instance["execution_id"], history)
        result.status = status
        return result

    # -- pieces -----------------------------------------------------------------------------------
    def _load_history(self, conn: psycopg.Connection, instance: dict[str, Any]) -> list[dict[str, Any]]:
        cached = self._history_cache.get(instance["instance_id"])
        if cached is not None and cached[0] == instance["execution_id"]:
            return cached[1]
        history = self.store.history(conn, instance["instance_id"])
        for item in history:
            item["IsPlayed"] = True
        self._history_cache[instance["instance_id"]] = (instance["execution_id"], history)
        return history

    @staticmethod
    def _is_retry_event(item: dict[str, Any], state: dict[str, Any]) -> bool:
        kind = item["EventType"]
        if kind in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
            return str(item.get("TaskScheduledId")) in state["retries"]
        if kind == EventType.TIMER_FIRED:
            return str(item.get("TimerId")) in state["retry_timers"]
        return False

    def _select_batch(self, inbox: list[dict[str, Any]], state: dict[str, Any], fresh: bool) -> list[dict]:
        if fresh:
            # A new execution starts with ExecutionStarted, whatever else was queued before it.
            start = next((r for r in inbox if r["event"]["EventType"] == EventType.EXECUTION_STARTED), None)
            if start is None:
                return inbox[:1]
            rest = [r for r in inbox if r is not start and r["event"]["EventType"] != EventType.EXECUTION_STARTED]
            inbox = [start, *rest]
        batch = [inbox[0]]
        for row in inbox[1:]:
            if self._is_retry_event(row["event"], state):
                break  # a retry-related event may only open a batch
            batch.append(row)
        return batch

    def _allocate_retry_ids(self, conn, instance, state, first, now, produced, result) -> None:
        if not self._is_retry_event(first, state):
            return
        if first["EventType"] == EventType.TIMER_FIRED:
            info = state["retry_timers"].pop(str(first["TimerId"]))
            if info["attempt"] < info["max_attempts"]:
                retry_id = state["next_id"]
                state["next_id"] += 1
                info["attempt"] += 1
                state["retries"][str(retry_id)] = info
                self._schedule_call(
                    conn,
                    instance,
                    retry_id,
                    info["kind"],
                    info["name"],
                    info["input"],
                    info.get("instance_id"),
                    now,
                    produced,
                    result,
                    attempt=info["attempt"],
                )
            return
        info = state["retries"].pop(str(first["TaskScheduledId"]))
        timer_id = state["next_id"]
        state["next_id"] += 1
        fire_at = now + timedelta(milliseconds=info["interval_ms"])
        produced.append(event(EventType.TIMER_CREATED, now, timer_id, FireAt=iso(fire_at)))
        state["retry_timers"][str(timer_id)] = info
        self.store.enqueue(
            conn,
            instance["instance_id"],
            event(EventType.TIMER_FIRED, fire_at, TimerId=timer_id, FireAt=iso(fire_at)),
            visible_at=fire_at,
            dedupe_key=f"timer:{timer_id}",
        )

    def _schedule_new_actions(self, conn, instance, state, outcome, now, produced, result) -> str | None:
        actions = flatten_actions(outcome.get("actions") or [])
        new_actions = actions[state["seen"] :]
        state["seen"] = len(actions)
        continue_input: str | None = None
        for action in new_actions:
            kind = action.get("actionType")
            if kind == ActionType.CONTINUE_AS_NEW:
                continue_input = action.get("input") if action.get("input") is not None else "null"
                continue
            if kind not in _ID_CONSUMING:
                continue  # WaitForExternalEvent: matched by name when the event arrives
            task_id = state["next_id"]
            state["next_id"] += 1
            if kind in (ActionType.CALL_HTTP, ActionType.CALL_ENTITY):
                raise _Unsupported(f"action type {ActionType(kind).name} is not supported by devhost")
            if kind == ActionType.CREATE_TIMER:
                fire_at = _parse_time(action["fireAt"])
                produced.append(event(EventType.TIMER_CREATED, now, task_id, FireAt=action["fireAt"]))
                self.store.enqueue(
                    conn,
                    instance["instance_id"],
                    event(EventType.TIMER_FIRED, fire_at, TimerId=task_id, FireAt=action["fireAt"]),
                    visible_at=fire_at,
                    dedupe_key=f"timer:{task_id}",
                )
                continue
            is_activity = kind in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY)
            call_kind = "activity" if is_activity else "suborchestration"
            if kind in (ActionType.CALL_ACTIVITY_WITH_RETRY, ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY):
                options = action.get("retryOptions") or {}
                state["retries"][str(task_id)] = {
                    "kind": call_kind,
                    "name": action["functionName"],
                    "input": action.get("input"),
                    "instance_id": action.get("instanceId"),
                    "attempt": 1,
                    "max_attempts": int(options.get("maxNumberOfAttempts", 1)),
                    "interval_ms": int(options.get("firstRetryIntervalInMilliseconds", 1000)),
                }
            self._schedule_call(
                conn,
                instance,
                task_id,
                call_kind,
                action["functionName"],
                action.get("input"),
                action.get("instanceId"),
                now,
                produced,
                result,
            )
        return continue_input

    def _schedule_call(
        self, conn, instance, task_id, kind, name, input_json, child_id, now, produced, result, attempt: int = 1
    ) -> None:
        instance_id = instance["instance_id"]
        if kind == "activity":
            produced.append(event(EventType.TASK_SCHEDULED, now, task_id, Name=name, Input=input_json))
            if name not in self.functions.activities:
                reason = f"The activity function '{name}' doesn't exist, is disabled, or is not an activity function."
                self.store.enqueue(
                    conn,
                    instance_id,
                    event(EventType.TASK_FAILED, now, TaskScheduledId=task_id, Reason=reason, Details=None),
                    dedupe_key=f"task:{task_id}",
                )
            else:
                result.work.append((instance_id, task_id, name, input_json))
                result.woke_activities = True
            return
        child = child_id or f"{instance_id}:{task_id}" + (f":{attempt}" if attempt > 1 else "")
        produced.append(
            event(EventType.SUB_ORCHESTRATION_CREATED, now, task_id, Name=name, InstanceId=child, Input=input_json)
        )
        failure: str | None = None
        if name not in self.functions.orchestrators:
            failure = f"The orchestrator function '{name}' doesn't exist."
        else:
            try:
                self.start(conn, name, child, input_json, parent=(instance_id, task_id))
                result.touched_instances.append(child)
            except InstanceExists:
                failure = f"An orchestration with instance id '{child}' is already running."
        if failure is not None:
            self.store.enqueue(
                conn,
                instance_id,
                event(EventType.SUB_ORCHESTRATION_FAILED, now, TaskScheduledId=task_id, Reason=failure, Details=None),
                dedupe_key=f"task:{task_id}",
            )

    def _notify_parent(self, conn, instance, *, completed: bool, payload: str, result: EpisodeResult) -> None:
        parent_id = instance["parent_instance_id"]
        if parent_id is None:
            return
        task_id = instance["parent_task_id"]
        now = utc_now()
        if completed:
            item = event(EventType.SUB_ORCHESTRATION_COMPLETED, now, TaskScheduledId=task_id, Result=payload)
        else:
            item = event(EventType.SUB_ORCHESTRATION_FAILED, now, TaskScheduledId=task_id, Reason=payload, Details=None)
        self.store.enqueue(conn, parent_id, item, dedupe_key=f"task:{task_id}")
        result.touched_instances.append(parent_id)

    def _continue_as_new(self, conn, instance, input_json: str, batch, now) -> None:
        instance_id = instance["instance_id"]
        self.store.consume(conn, [row["id"] for row in batch])
        self.store.clear_history(conn, instance_id)
        self.store.drop_work(conn, instance_id)
        # Pending timers of the old execution never fire into the new one.
        conn.execute(
            "DELETE FROM devhost_durable_inbox WHERE hub=%s AND instance_id=%s"
            " AND (event->>'EventType')::int = ANY(%s)",
            (
                self.store.hub,
                instance_id,
                [int(EventType.TIMER_FIRED), int(EventType.TASK_COMPLETED), int(EventType.TASK_FAILED)],
            ),
        )
        execution_id = uuid.uuid4().hex
        self.store.enqueue(
            conn,
            instance_id,
            event(
                EventType.EXECUTION_STARTED,
                now,
                Name=instance["name"],
                Input=input_json,
                Version="",
                OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
            ),
        )
        self.store.update(
            conn,
            instance_id,
            status="Running",
            input=input_json,
            execution_id=execution_id,
            engine_state=new_engine_state(),
            output=None,
        )
        self._history_cache.pop(instance_id, None)


class _Unsupported(Exception):
    pass
