"""The Durable extension's HTTP management API under ``/runtime/webhooks/durabletask/``.

The real ``DurableOrchestrationClient`` talks to it (through the client binding's ``rpcBaseUrl``) and
so do the URLs of ``create_check_status_response``. Request bodies from the SDK are JSON-encoded
twice (the SDK dumps the input, then aiohttp dumps that string); plain JSON bodies work too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from core.db.database import Database
from devhost.durable.engine import Engine
from devhost.durable.history import EventType, event, iso, public_event, utc_now
from devhost.durable.store import TERMINAL, DurableStore, InstanceExists, json_or_none

log = logging.getLogger("devhost.durable")

PREFIX = "/runtime/webhooks/durabletask/"
Reply = tuple[int, dict[str, str], bytes]


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(payload).encode()


def _input_json(body: bytes) -> str | None:
    """The orchestration input as JSON text, from a double-encoded (SDK) or plain JSON body."""
    if not body.strip():
        return None
    parsed = json.loads(body)
    if isinstance(parsed, str):
        try:
            json.loads(parsed)
            return parsed
        except ValueError:
            return json.dumps(parsed)
    return json.dumps(parsed)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class ManagementApi:
    def __init__(
        self,
        database: Database,
        engine: Engine,
        store: DurableStore,
        base_url: Callable[[], str],
        on_change: Callable[[], None],
    ) -> None:
        self.database = database
        self.engine = engine
        self.store = store
        self.base_url = base_url
        self.on_change = on_change

    # -- URLs and the client binding --------------------------------------------------------------
    def _query(self) -> str:
        return f"taskHub={quote(self.store.hub)}&connection=Storage"

    def management_urls(self, instance_id: str) -> dict[str, str]:
        root = f"{self.base_url()}{PREFIX}instances/{quote(instance_id, safe='')}"
        query = self._query()
        return {
            "id": instance_id,
            "purgeHistoryDeleteUri": f"{root}?{query}",
            "restartPostUri": f"{root}/restart?{query}",
            "sendEventPostUri": f"{root}/raiseEvent/{{eventName}}?{query}",
            "statusQueryGetUri": f"{root}?{query}",
            "terminatePostUri": f"{root}/terminate?reason={{text}}&{query}",
            "rewindPostUri": f"{root}/rewind?reason={{text}}&{query}",
            "suspendPostUri": f"{root}/suspend?reason={{text}}&{query}",
            "resumePostUri": f"{root}/resume?reason={{text}}&{query}",
        }

    def client_binding(self, _binding: Any = None) -> str:
        """The JSON the extension gives a ``durable_client_input`` parameter."""
        base = f"{self.base_url()}{PREFIX}"
        urls = self.management_urls("INSTANCEID")
        create = f"{base}orchestrators/{{functionName}}[/{{instanceId}}]"
        wait = "timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}"
        return json.dumps(
            {
                "taskHubName": self.store.hub,
                "creationUrls": {
                    "createNewInstancePostUri": f"{create}?{self._query()}",
                    "createAndWaitOnNewInstancePostUri": f"{create}?{wait}&{self._query()}",
                },
                "managementUrls": urls,
                "baseUrl": base.rstrip("/"),
                "requiredQueryStringParameters": self._query(),
                "rpcBaseUrl": base,
                "httpBaseUrl": "",
                "maxGrpcMessageSizeInBytes": 0,
                "grpcHttpClientTimeout": "00:01:40",
            }
        )

    # -- dispatch ---------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(raw_path)
        path = parts.path[len(PREFIX) :]
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            return self._route(method, [unquote(p) for p in path.split("/")], query, body)
        except ValueError as exc:
            return _json(400, {"ExceptionMessage": f"bad request: {exc}"})
        except Exception:  # noqa: BLE001 - like the host: an error payload, the trace in the log
            log.exception("durable management API error")
            return _json(500, {"ExceptionMessage": "internal error in devhost's durable extension"})

    def _route(self, method: str, segments: list[str], query: dict[str, str], body: bytes) -> Reply:
        head = segments[0] if segments else ""
        if head == "orchestrators" and method == "POST" and len(segments) in (2, 3):
            return self._start(segments[1], segments[2] if len(segments) == 3 and segments[2] else None, body)
        if head == "instances":
            instance_id = segments[1] if len(segments) > 1 and segments[1] else None
            if instance_id is None:
                if method == "GET":
                    return self._list(query)
                if method == "DELETE":
                    return self._purge_by(query)
            elif len(segments) == 2:
                if method == "GET":
                    return self._status(instance_id, query)
                if method == "DELETE":
                    return self._purge(instance_id)
            elif method == "POST":
                operation = segments[2]
                if operation == "raiseEvent" and len(segments) == 4:
                    return self._raise_event(instance_id, segments[3], body)
                if operation in ("terminate", "suspend", "resume"):
                    return self._change_state(instance_id, operation, query.get("reason", ""))
                if operation == "restart":
                    return self._restart(instance_id, query.get("restartWithNewInstanceId", "true") != "false")
                if operation == "rewind":
                    return _json(501, {"ExceptionMessage": "rewind is not supported by devhost"})
        return _json(404, {"ExceptionMessage": f"no durable API at {method} /{'/'.join(segments)}"})

    # -- operations -------------------------------------------------------------------------------
    def _start(self, name: str, instance_id: str | None, body: bytes) -> Reply:
        if name not in self.engine.functions.orchestrators:
            return _json(
                400,
                {
                    "ExceptionMessage": f"The function '{name}' doesn't exist, is disabled, or is not "
                    "an orchestrator function."
                },
            )
        input_json = _input_json(body)
        with self.database.connection() as conn:
            try:
                instance_id = self.engine.start(conn, name, instance_id, input_json)
            except InstanceExists:
                return _json(409, {"ExceptionMessage": f"An instance with ID '{instance_id}' already exists."})
            conn.commit()
        self.on_change()
        urls = self.management_urls(instance_id)
        return _json(202, urls, {"Location": urls["statusQueryGetUri"]})

    def _status_payload(
        self, row: dict[str, Any], show_input: bool, history: list[dict] | None, show_output: bool
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "name": row["name"],
            "instanceId": row["instance_id"],
            "runtimeStatus": row["status"],
            "customStatus": json_or_none(row["custom_status"]),
            "output": json_or_none(row["output"]),
            "createdTime": iso(row["created_at"]),
            "lastUpdatedTime": iso(row["updated_at"]),
        }
        if show_input:
            payload["input"] = json_or_none(row["input"])
        if history is not None:
            payload["historyEvents"] = [public_event(e, show_output) for e in history]
        return payload

    def _status(self, instance_id: str, query: dict[str, str]) -> Reply:
        show_history = query.get("showHistory", "false").lower() == "true"
        with self.database.connection() as conn:
            row = self.store.get(conn, instance_id)
            history = self.store.history(conn, instance_id) if row and show_history else None
        if row is None:
            return _json(404, {"ExceptionMessage": f"No instance with ID '{instance_id}' found."})
        payload = self._status_payload(
            row,
            query.get("showInput", "true").lower() != "false",
            history,
            query.get("showHistoryOutput", "false").lower() == "true",
        )
        status = {"Completed": 200, "Failed": 400, "Terminated": 400}.get(row["status"], 202)
        return _json(status, payload)

    def _filters(self, query: dict[str, str]) -> dict[str, Any]:
        statuses = [s for s in query.get("runtimeStatus", "").split(",") if s]
        return {
            "statuses": statuses or None,
            "created_from": _parse_time(query["createdTimeFrom"]) if query.get("createdTimeFrom") else None,
            "created_to": _parse_time(query["createdTimeTo"]) if query.get("createdTimeTo") else None,
            "prefix": query.get("instanceIdPrefix") or None,
        }

    def _list(self, query: dict[str, str]) -> Reply:
        limit = int(query.get("top", "1000"))
        with self.database.connection() as conn:
            rows = self.store.list(conn, limit=limit, **self._filters(query))
        show_input = query.get("showInput", "false").lower() == "true"
        return _json(200, [self._status_payload(r, show_input, None, False) for r in rows])

    def _raise_event(self, instance_id: str, name: str, body: bytes) -> Reply:
        data = _input_json(body)
        with self.database.connection() as conn:
            row = self.store.get(conn, instance_id)
            if row is None:
                return _json(404, {"ExceptionMessage": f"No instance with ID '{instance_id}' found."})
            if row["status"] in TERMINAL:
                return _json(410, {"ExceptionMessage": f"Instance '{instance_id}' is {row['status']}."})
            self.store.enqueue(conn, instance_id, event(EventType.EVENT_RAISED, utc_now(), Name=name, Input=data))
            conn.commit()
        self.on_change()
        return 202, {"Content-Type": "application/json"}, b""

    def _change_state(self, instance_id: str, operation: str, reason: str) -> Reply:
        with self.database.connection() as conn:
            row = self.store.get(conn, instance_id, lock=True)
            if row is None:
                return _json(404, {"ExceptionMessage": f"No instance with ID '{instance_id}' found."})
            if row["status"] in TERMINAL:
                return _json(410, {"ExceptionMessage": f"Instance '{instance_id}' is {row['status']}."})
            if operation == "terminate":
                self._terminate(conn, row, reason)
            elif operation == "suspend" and row["status"] != "Suspended":
                self.store.update(conn, instance_id, status="Suspended")
            elif operation == "resume" and row["status"] == "Suspended":
                has_history = bool(self.store.history(conn, instance_id))
                self.store.update(conn, instance_id, status="Running" if has_history else "Pending")
            conn.commit()
        self.on_change()
        return 202, {"Content-Type": "application/json"}, b""

    def _terminate(self, conn: Any, row: dict[str, Any], reason: str) -> None:
        instance_id = row["instance_id"]
        now = utc_now()
        history = self.store.history(conn, instance_id)
        self.store.append_history(
            conn, instance_id, len(history), [event(EventType.EXECUTION_TERMINATED, now, Input=json.dumps(reason))]
        )
        conn.execute("DELETE FROM devhost_durable_inbox WHERE hub=%s AND instance_id=%s", (self.store.hub, instance_id))
        self.store.drop_work(conn, instance_id)
        self.store.update(conn, instance_id, status="Terminated", output=json.dumps(reason))
        self.engine.forget(instance_id)
        if row["parent_instance_id"]:
            self.store.enqueue(
                conn,
                row["parent_instance_id"],
                event(
                    EventType.SUB_ORCHESTRATION_FAILED,
                    now,
                    TaskScheduledId=row["parent_task_id"],
                    Reason=f"Sub-orchestration '{instance_id}' was terminated: {reason}",
                    Details=None,
                ),
                dedupe_key=f"task:{row['parent_task_id']}",
            )

    def _restart(self, instance_id: str, new_id: bool) -> Reply:
        with self.database.connection() as conn:
            row = self.store.get(conn, instance_id)
            if row is None:
                return _json(404, {"ExceptionMessage": f"No instance with ID '{instance_id}' found."})
            try:
                started = self.engine.start(conn, row["name"], None if new_id else instance_id, row["input"])
            except InstanceExists:
                return _json(409, {"ExceptionMessage": f"Instance '{instance_id}' is still running."})
            conn.commit()
        self.on_change()
        urls = self.management_urls(started)
        return _json(202, urls, {"Location": urls["statusQueryGetUri"]})

    def _purge(self, instance_id: str) -> Reply:
        with self.database.connection() as conn:
            row = self.store.get(conn, instance_id, lock=True)
            if row is None:
                return _json(404, {"instancesDeleted": 0})
            if row["status"] not in TERMINAL:
                return _json(
                    409,
                    {
                        "ExceptionMessage": f"Instance '{instance_id}' is {row['status']}; "
                        "only completed, failed or terminated instances are purged."
                    },
                )
            self.store.delete_instance(conn, instance_id)
            conn.commit()
        self.engine.forget(instance_id)
        return _json(200, {"instancesDeleted": 1})

    def _purge_by(self, query: dict[str, str]) -> Reply:
        filters = self._filters(query)
        if filters["created_from"] is None:
            raise ValueError("createdTimeFrom is required")
        statuses = [s for s in (filters["statuses"] or list(TERMINAL)) if s in TERMINAL]
        filters["statuses"] = statuses
        deleted = 0
        with self.database.connection() as conn:
            for row in self.store.list(conn, limit=100_000, **filters):
                deleted += self.store.delete_instance(conn, row["instance_id"])
                self.engine.forget(row["instance_id"])
            conn.commit()
        if deleted == 0:
            return _json(404, {"instancesDeleted": 0})
        return _json(200, {"instancesDeleted": deleted})
