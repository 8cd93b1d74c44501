"""The scan orchestrator driven step by step: a sliding window of batches, pause and resume, cancel.

The generator is the real one; the context stands in for the Durable runtime (it hands out task
tokens, and the test decides which in-flight batch completes next and what the world looks like):
the host runs the ``WORKERS`` oldest scheduled batches, the oldest completes first, and a batch that
starts while the scan is paused reports itself deferred, as ``pipeline.scan_assets`` does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from orchestrations.scan import BATCH_SIZE, WINDOW, scan_orchestrator

WORKERS = WINDOW // 2  # host.json maxConcurrentActivityFunctions


@dataclass(eq=False)
class Call:
    name: str
    input: Any
    result: Any = None
    started: bool = False


@dataclass
class Context:
    calls: list[Call] = field(default_factory=list)
    custom_status: Any = None
    continued_with: Any = None

    def get_input(self) -> dict[str, str]:
        return {"scan_id": "scan-1"}

    def set_custom_status(self, status: Any) -> None:
        self.custom_status = status

    def call_activity(self, name: str, input_: Any) -> Call:
        self.calls.append(Call(name, input_))
        return self.calls[-1]

    def call_activity_with_retry(self, name: str, retry: Any, input_: Any) -> Call:
        return self.call_activity(name, input_)

    def task_any(self, tasks: list[Call]) -> tuple[str, list[Call]]:
        return ("any", list(tasks))

    def wait_for_external_event(self, name: str) -> tuple[str, str]:
        return ("event", name)

    def continue_as_new(self, input_: Any) -> None:
        self.continued_with = input_


@dataclass
class World:
    """The scan as the activities see it; ``script`` changes it after the n-th completed batch."""

    assets: int
    status: str = "running"
    pause_seq: int = 0
    script: dict[int, str] = field(default_factory=dict)
    resumes: list[int] = field(default_factory=list)  # values of the resume events, in order
    completed: int = 0
    max_in_flight: int = 0
    scheduled_while_paused: int = 0
    waited_for_resume: int = 0
    deferred: int = 0
    done: list[str] = field(default_factory=list)
    rediscover: bool = False  # files joined the scan after its discovery: scan_finish asks for another round


def run(world: World) -> tuple[Any, Context]:
    context = Context()
    generator = scan_orchestrator(context)
    pending = [f"db.public.t{i:03d}" for i in range(world.assets)]
    value = next(generator)
    try:
        while True:
            if isinstance(value, Call):  # an activity awaited alone
                if value.name == "scan_discover":
                    value.result = {"pending": pending, "total": len(pending), "skipped": 0}
                elif value.name == "scan_checkpoint":
                    value.result = {"status": world.status, "pause_seq": world.pause_seq}
                elif value.name == "scan_finish":
                    value.result = {"rediscover": True} if world.rediscover else {"assets_done": world.assets}
                else:
                    raise AssertionError(f"unexpected {value.name}")
                value = generator.send(value.result)
            elif value[0] == "any":  # the host runs the oldest batches; the oldest completes
                in_flight = value[1]
                world.max_in_flight = max(world.max_in_flight, len(in_flight))
                for call in in_flight[:WORKERS]:
                    call.started = call.started or world.status == "running"
                finished = in_flight[0]
                if not finished.started:  # it starts now, while the scan is paused: deferred
                    world.deferred += 1
                    finished.result = {"done": 0, "failed": 0, "status": world.status, "pause_seq": world.pause_seq}
                    finished.result["deferred"] = True
                    value = generator.send(finished)
                    continue
                world.completed += 1
                world.done.extend(finished.input["assets"])
                change = world.script.get(world.completed)
                if change == "pause":
                    world.status, world.pause_seq = "paused", world.pause_seq + 1
                elif change in ("cancelled", "running"):
                    world.status = change
                finished.result = {
                    "done": len(finished.input["assets"]),
                    "failed": 0,
                    "status": world.status,
                    "pause_seq": world.pause_seq,
                }
                value = generator.send(finished)
            else:  # waiting for "resume"
                world.waited_for_resume += 1
                resumed_at = world.resumes.pop(0)
                if resumed_at >= world.pause_seq:
                    world.status = "running"
                value = generator.send(resumed_at)
            if world.status == "paused":
                batches = [c for c in context.calls if c.name == "scan_assets"]
                world.scheduled_while_paused = max(world.scheduled_while_paused, len(batches))
    except StopIteration as stop:
        return stop.value, context


def batches_of(context: Context) -> list[list[str]]:
    return [c.input["assets"] for c in context.calls if c.name == "scan_assets"]


def names(count: int) -> list[str]:
    return [f"db.public.t{i:03d}" for i in range(count)]


def test_every_batch_runs_once_with_at_most_a_window_in_flight():
    world = World(assets=503)
    output, context = run(world)
    assert output == {"scan_id": "scan-1", "status": "completed", "assets_done": 503}
    batches = batches_of(context)
    assert [a for b in batches for a in b] == names(503) and world.done == names(503)
    assert max(len(b) for b in batches) == BATCH_SIZE and len(batches) == 51
    assert world.max_in_flight == WINDOW
    assert [c.name for c in context.calls if c.name != "scan_assets"] == [
        "scan_discover",
        "scan_checkpoint",
        "scan_finish",
    ]
    assert context.custom_status["done"] == 503 and context.custom_status["phase"] == "done"


def test_a_pause_lets_running_batches_finish_defers_the_others_and_a_resume_continues():
    # The 3rd batch to complete sees the pause; a stale resume (from pause 0) is ignored.
    world = World(assets=300, script={3: "pause"}, resumes=[0, 1])
    output, context = run(world)
    assert output["status"] == "completed"
    assert sorted(world.done) == names(300) and len(world.done) == 300  # every asset once
    # Batches scheduled before the pause was seen: the first window plus one per completion (2).
    assert world.scheduled_while_paused == WINDOW + 2
    # Of those, the ones no worker had started were deferred and ran again after the resume.
    assert world.deferred == WINDOW + 2 - WORKERS - 2
    assert len(batches_of(context)) == 30 + world.deferred
    assert world.waited_for_resume == 2
    assert [c.name for c in context.calls].count("scan_checkpoint") == 2  # at the start and after resuming


@pytest.mark.parametrize("when", [1, 5])
def test_a_cancelled_scan_schedules_no_more_batches_and_does_not_finish(when):
    world = World(assets=300, script={when: "cancelled"})
    output, context = run(world)
    assert output["status"] == "cancelled"
    assert len(batches_of(context)) == WINDOW + when - 1
    assert "scan_finish" not in [c.name for c in context.calls]


def test_files_that_landed_after_discovery_make_the_saga_continue_as_new_with_another_round():
    world = World(assets=25, rediscover=True)
    output, context = run(world)
    assert output is None and context.continued_with == {"scan_id": "scan-1"}
    assert sorted(world.done) == names(25)
    assert [c.name for c in context.calls if c.name != "scan_assets"] == [
        "scan_discover",
        "scan_checkpoint",
        "scan_finish",
    ]
