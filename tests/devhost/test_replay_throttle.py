"""The replay throttle waits only while an instance still has completions on their way
(``DurableStore.still_waiting``): unfinished activities or active sub-orchestrations."""

from __future__ import annotations

from core.db.database import Database
from devhost.app_loader import load_app
from devhost.durable.activities import execute_activity
from devhost.durable.engine import Engine, FunctionIndex
from devhost.durable.store import DurableStore
from tests.devhost.conftest import DURABLE_APP


def test_an_instance_waits_for_its_activities_and_its_active_children(database_url):
    functions = FunctionIndex.from_functions(load_app(DURABLE_APP).functions)
    store = DurableStore("throttle")
    engine = Engine(store, functions)
    database = Database(database_url, max_size=1)
    try:
        with database.connection() as conn:
            fan_out = engine.start(conn, "fan_out", None, "3")
            parent = engine.start(conn, "parent", None, None)
            engine.run_episode(conn, fan_out)
            engine.run_episode(conn, parent)  # starts its first child
            conn.commit()
            assert store.still_waiting(conn, [fan_out, parent]) == {fan_out, parent}

            work = store.claim_work(conn, "test", 10)
            assert {w["instance_id"] for w in work} == {fan_out}
            store.finish_work(conn, [(w, execute_activity(functions.activities, w)) for w in work[:2]])
            assert store.still_waiting(conn, [fan_out]) == {fan_out}  # one activity left
            store.finish_work(conn, [(w, execute_activity(functions.activities, w)) for w in work[2:]])
            assert store.still_waiting(conn, [fan_out, parent]) == {parent}  # the child is still active

            child = f"{parent}:0"
            engine.run_episode(conn, child)  # the child schedules its activities: the parent still waits
            assert store.still_waiting(conn, [parent]) == {parent}
            store.update(conn, child, status="Completed")
            assert store.still_waiting(conn, [fan_out, parent, child]) == {child}  # its own activities
            conn.rollback()
    finally:
        database.close()
