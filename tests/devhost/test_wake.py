"""The durable dispatcher's loops never miss a wake-up: work that arrives after a loop looked for work
and before it sleeps (the activity that ends a scan, its finishing activity) is picked up at once,
not after the loop's sleep timeout."""

from __future__ import annotations

import threading

from devhost.durable.workers import Wake

LONG = 60.0  # a sleep that, if it happened, would outlast the test's join timeouts


def _sleeper(wake: Wake, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=wake.sleep, args=(LONG, stop), daemon=True)
    thread.start()
    return thread


def test_a_wake_between_looking_and_sleeping_is_not_lost():
    wake, stop = Wake(), threading.Event()
    wake.clear()  # the loop is about to look for work
    wake.set()  # work arrives while it looks (it found none)
    sleeper = _sleeper(wake, stop)
    sleeper.join(timeout=10)
    assert not sleeper.is_alive()  # the sleep returned without waiting for its timeout


def test_a_loop_with_nothing_to_do_sleeps_until_woken():
    wake, stop = Wake(), threading.Event()
    wake.clear()
    sleeper = _sleeper(wake, stop)
    sleeper.join(timeout=0.3)
    assert sleeper.is_alive()  # nothing due: it sleeps
    wake.set()
    sleeper.join(timeout=10)
    assert not sleeper.is_alive()


def test_a_stopping_loop_does_not_sleep():
    wake, stop = Wake(), threading.Event()
    wake.clear()
    stop.set()
    sleeper = _sleeper(wake, stop)
    sleeper.join(timeout=10)
    assert not sleeper.is_alive()
