"""A small Durable Functions app that devhost's tests host with ``--app``."""

import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    payload = json.loads(body) if body else None
    instance_id = req.params.get("id")
    started = await client.start_new(req.route_params["name"], instance_id, payload)
    return client.create_check_status_response(req, started)


@app.route(route="client/{op}/{instance_id}", methods=["POST", "GET"])
@app.durable_client_input(client_name="client")
async def client_op(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    op, instance_id = req.route_params["op"], req.route_params["instance_id"]
    if op == "status":
        status = await client.get_status(instance_id, show_history=True, show_input=True)
        # The extension names the history "historyEvents"; the SDK keeps it as an extra attribute.
        payload = {**status.to_json(), "historyEvents": getattr(status, "historyEvents", None)}
        return func.HttpResponse(json.dumps(payload, default=str), mimetype="application/json")
    if op == "raise":
        await client.raise_event(instance_id, req.params["event"], json.loads(req.get_body() or b"null"))
    elif op == "terminate":
        await client.terminate(instance_id, "stopped by test")
    elif op == "suspend":
        await client.suspend(instance_id, "paused by test")
    elif op == "resume":
        await client.resume(instance_id, "resumed by test")
    elif op == "purge":
        result = await client.purge_instance_history(instance_id)
        return func.HttpResponse(json.dumps({"deleted": result.instances_deleted}), mimetype="application/json")
    elif op in ("list", "purge_by"):  # here instance_id is an id prefix (list only)
        since = datetime.fromisoformat(req.params["from"])
        until = datetime.fromisoformat(req.params["to"]) if req.params.get("to") else None
        statuses = [df.OrchestrationRuntimeStatus(s) for s in req.params.get("status", "").split(",") if s]
        if op == "purge_by":
            result = await client.purge_instance_history_by(since, until, statuses or None)
            return func.HttpResponse(json.dumps({"deleted": result.instances_deleted}), mimetype="application/json")
        found = await client.get_status_by(since, until, statuses or None, instance_id)
        payload = sorted([s.instance_id, s.runtime_status.value] for s in found)
        return func.HttpResponse(json.dumps(payload), mimetype="application/json")
    return func.HttpResponse(status_code=204)


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    count = context.get_input()
    results = yield context.task_all([context.call_activity("double", i) for i in range(count)])
    context.set_custom_status({"done": len(results)})
    return sum(results)


@app.orchestration_trigger(context_name="context")
def slow_fan_out(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    tasks = [
        context.call_activity("slow_double", {"value": i, "marker_dir": spec["marker_dir"], "delay": spec["delay"]})
        for i in range(spec["count"])
    ]
    results = yield context.task_all(tasks)
    return sum(results)


@app.orchestration_trigger(context_name="context")
def retry_flow(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=3)
    spec = context.get_input()
    tasks = [
        context.call_activity_with_retry("flaky", options, {"key": f"{spec['run']}-{i}", "fail": spec["fail"]})
        for i in range(spec["count"])
    ]
    results = yield context.task_all(tasks)
    return results


@app.orchestration_trigger(context_name="context")
def trap(context: df.DurableOrchestrationContext):
    """Retried and plain activities fanned out together, then a second stage yielded after them."""
    spec = context.get_input()
    options = df.RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=3)
    tasks = []
    for i, fails in enumerate(spec["fails"]):
        key = f"{spec['run']}-{i}"
        if i % 3 == 2:
            tasks.append(context.call_activity("double", i))
        else:
            tasks.append(context.call_activity_with_retry("flaky", options, {"key": key, "fail": fails}))
    first = yield context.task_all(tasks)
    second = yield context.task_all([context.call_activity("double", len(first)), context.call_activity("double", 1)])
    return [first, second]


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    first = yield context.call_sub_orchestrator("fan_out", 3)
    second = yield context.call_sub_orchestrator("fan_out", 4, instance_id=f"{context.instance_id}-child")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def timer_then_event(context: df.DurableOrchestrationContext):
    yield context.create_timer(context.current_utc_datetime + timedelta(milliseconds=300))
    context.set_custom_status("waiting")
    approval = yield context.wait_for_external_event("approval")
    return {"approval": approval, "guid": str(context.new_guid())}


@app.orchestration_trigger(context_name="context")
def early_event(context: df.DurableOrchestrationContext):
    yield context.create_timer(context.current_utc_datetime + timedelta(milliseconds=400))
    value = yield context.wait_for_external_event("ping")
    return value


@app.orchestration_trigger(context_name="context")
def race(context: df.DurableOrchestrationContext):
    timeout = context.create_timer(context.current_utc_datetime + timedelta(seconds=30))
    event = context.wait_for_external_event("go")
    winner = yield context.task_any([timeout, event])
    if winner == event:
        timeout.cancel()
        return "event"
    return "timeout"


@app.orchestration_trigger(context_name="context")
def counter(context: df.DurableOrchestrationContext):
    value = context.get_input()
    if value < 3:
        context.continue_as_new(value + 1)
        return None
    return value


@app.orchestration_trigger(context_name="context")
def explode(context: df.DurableOrchestrationContext):
    yield context.call_activity("double", 1)
    raise ValueError("orchestrator blew up on purpose")


@app.orchestration_trigger(context_name="context")
def bad_output(context: df.DurableOrchestrationContext):
    yield context.call_activity("double", 1)
    return {1, 2, 3}


@app.orchestration_trigger(context_name="context")
def hold_replay(context: df.DurableOrchestrationContext):
    """Blocks its first replay until the test creates ``release`` in the folder it names (20 s at most)."""
    folder = Path(context.get_input())
    (folder / "replaying").touch()
    deadline = time.monotonic() + 20
    while not (folder / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    value = yield context.call_activity("double", 21)
    return value


@app.orchestration_trigger(context_name="context")
def activity_failure(context: df.DurableOrchestrationContext):
    try:
        yield context.call_activity("always_fails", "x")
    except Exception as exc:  # noqa: BLE001 - the fixture reports the failure it caught
        return f"caught: {exc}"
    return "no failure"


@app.orchestration_trigger(context_name="context")
def sub_retry(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=2)
    try:
        yield context.call_sub_orchestrator_with_retry("explode", options)
    except Exception:  # noqa: BLE001
        return "sub-orchestration failed after retries"
    return "unexpected"


@app.activity_trigger(input_name="value")
def double(value: int) -> int:
    return value * 2


@app.activity_trigger(input_name="spec")
def slow_double(spec: dict) -> int:
    started = time.time()
    time.sleep(spec["delay"])
    marker = Path(spec["marker_dir"]) / f"{spec['value']}-{os.getpid()}-{time.monotonic_ns()}"
    marker.write_text(f"{started} {time.time()}")
    return spec["value"] * 2


_attempts: dict = {}


@app.activity_trigger(input_name="spec")
def flaky(spec: dict) -> str:
    _attempts[spec["key"]] = _attempts.get(spec["key"], 0) + 1
    if _attempts[spec["key"]] <= spec["fail"]:
        raise RuntimeError(f"attempt {_attempts[spec['key']]} of {spec['key']} fails")
    return f"{spec['key']}@{_attempts[spec['key']]}"


@app.activity_trigger(input_name="value")
def always_fails(value: str) -> str:
    raise RuntimeError(f"cannot process {value}")
