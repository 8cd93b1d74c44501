"""Idempotent consumption against the real embedded PostgreSQL: claim, result, release on rollback,
and a concurrent delivery of the same id waiting for the first one."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from core.db.database import Database
from core.db.unit_of_work import UnitOfWork
from core.events.consumers import claim, record_result


@pytest.fixture(scope="module")
def database(database_url):
    db = Database(database_url, max_size=4)
    yield db
    db.close()


def test_a_new_message_is_claimed_and_a_redelivery_gets_the_stored_result(database):
    message = uuid.uuid4().hex
    with UnitOfWork(database) as uow:
        assert claim(uow, "test-consumer", message) is None
        record_result(uow, "test-consumer", message, {"done": 1})
        uow.commit()
    with UnitOfWork(database) as uow:
        assert claim(uow, "test-consumer", message) == {"done": 1}
        assert claim(uow, "other-consumer", message) is None  # ids are per consumer


def test_a_rolled_back_claim_is_released_for_the_redelivery(database):
    message = uuid.uuid4().hex
    with UnitOfWork(database) as uow:
        assert claim(uow, "test-consumer", message) is None
        uow.rollback()  # the handler failed: its effects and its claim go together
    with UnitOfWork(database) as uow:
        assert claim(uow, "test-consumer", message) is None


def _a_claim_waits_on_a_lock(url: str) -> bool:
    deadline = time.monotonic() + 10
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'INSERT INTO consumed_messages%%'"
            ).fetchone()[0]
            if waiting:
                return True
            time.sleep(0.05)
    return False


def test_a_concurrent_delivery_waits_for_the_first_and_then_sees_it_handled(database, database_url):
    message = uuid.uuid4().hex
    seen: list[object] = []
    first_claimed, second_started = threading.Event(), threading.Event()

    def second() -> None:
        first_claimed.wait(10)
        with UnitOfWork(database) as uow:
            second_started.set()
            seen.append(claim(uow, "test-consumer", message))  # blocks on the first's row lock

    worker = threading.Thread(target=second)
    worker.start()
    with UnitOfWork(database) as uow:
        assert claim(uow, "test-consumer", message) is None
        first_claimed.set()
        second_started.wait(10)
        assert _a_claim_waits_on_a_lock(database_url)  # the first delivery holds the claim
        record_result(uow, "test-consumer", message, {"scan_id": "s-1"})
        uow.commit()
    worker.join(10)
    assert seen == [{"scan_id": "s-1"}]
