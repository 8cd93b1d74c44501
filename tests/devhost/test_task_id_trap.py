"""Regression for the task-id trap: the SDK numbers tasks itself (retry tasks take hidden ids), so the
engine must deliver events in batches whose task ids it can still predict. Completions arrive in a
shuffled order and in random batch sizes, over 200 seeds; every run must return the same output."""

from __future__ import annotations

import json
import random
from collections import defaultdict

import pytest

from core.db.database import Database
from devhost.app_loader import load_app
from devhost.durable.engine import Engine, FunctionIndex
from devhost.durable.history import EventType, event, utc_now
from devhost.durable.store import DurableStore
from tests.devhost.conftest import DURABLE_APP

SEEDS = range(200)
ITEMS = 9


@pytest.fixture(scope="module")
def database(database_url):
    db = Database(database_url, max_size=2)
    yield db
    db.close()


@pytest.fixture(scope="module")
def functions():
    return FunctionIndex.from_functions(load_app(DURABLE_APP).functions)


def _outcome(work: dict, attempts: dict) -> dict:
    spec = json.loads(work["input"])
    if work["name"] == "double":
        return event(EventType.TASK_COMPLETED, utc_now(), TaskScheduledId=work["task_id"], Result=json.dumps(spec * 2))
    attempts[spec["key"]] += 1
    if attempts[spec["key"]] <= spec["fail"]:
        return event(EventType.TASK_FAILED, utc_now(), TaskScheduledId=work["task_id"], Reason="flaky", Details="")
    return event(
        EventType.TASK_COMPLETED,
        utc_now(),
        TaskScheduledId=work["task_id"],
        Result=json.dumps(f"{spec['key']}@{attempts[spec['key']]}"),
    )


def _expected(run: str, fails: list[int]) -> list:
    first = [i * 2 if i % 3 == 2 else f"{run}-{i}@{fails[i] + 1}" for i in range(len(fails))]
    return [first, [len(fails) * 2, 2]]


def _run(database: Database, functions: FunctionIndex, seed: int) -> tuple[str, object, object, str]:
    rng = random.Random(seed)
    store = DurableStore(f"trap-{seed}")
    engine = Engine(store, functions)
    fails = [rng.choice([0, 0, 1, 2]) for _ in range(ITEMS)]
    run = f"s{seed}"
    attempts: dict[str, int] = defaultdict(int)
    with database.connection() as conn:
        instance_id = engine.start(conn, "trap", None, json.dumps({"run": run, "fails": fails}))
        conn.commit()
        waiting: list[tuple[dict, dict]] = []
        for _ in range(500):
            engine.run_episode(conn, instance_id)
            conn.commit()
            status = store.get(conn, instance_id)["status"]
            if status not in ("Pending", "Running"):
                break
            waiting += [(w, _outcome(w, attempts)) for w in store.claim_work(conn, "trap-test", 1000)]
            rng.shuffle(waiting)
            delivered = rng.randint(1, len(waiting)) if waiting else 0
            store.finish_work(conn, waiting[:delivered])
            waiting = waiting[delivered:]
            # Retry timers fire at once: time is not what this test is about.
            conn.execute("UPDATE devhost_durable_inbox SET visible_at = now() WHERE hub = %s", (store.hub,))
            conn.commit()
        row = store.get(conn, instance_id)
        output = json.loads(row["output"]) if row["output"] else None
        return row["status"], output, _expected(run, fails), instance_id


def test_shuffled_completions_with_retries_always_give_the_right_output(database, functions):
    wrong = []
    for seed in SEEDS:
        status, output, expected, _ = _run(database, functions, seed)
        if status != "Completed" or output != expected:
            wrong.append((seed, status, output))
    assert wrong == []


def test_each_completion_is_recorded_once_in_history(database, functions):
    *_, instance_id = _run(database, functions, 7)
    with database.connection() as conn:
        rows = conn.execute(
            "SELECT (event->>'TaskScheduledId')::int AS task, count(*) AS n FROM devhost_durable_history"
            " WHERE instance_id = %s AND (event->>'EventType')::int IN (5, 6) GROUP BY 1",
            (instance_id,),
        ).fetchall()
    assert rows and all(row["n"] == 1 for row in rows)
