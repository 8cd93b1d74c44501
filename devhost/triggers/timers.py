"""Timer triggers: NCRONTAB schedules (six fields, seconds first) or ``hh:mm:ss`` intervals,
``run_on_startup``, and ``use_monitor`` (the last and next run are kept, so an occurrence missed
while devhost was down runs once at start with ``past_due`` set)."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.functions.timer import TimerRequest

from core.db.database import Database
from devhost.triggers.invoke import NO_BINDINGS, InputBindings, invoke, triggers_of

log = logging.getLogger("devhost.timers")

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}
_FIELDS = (
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("weekday", 0, 6, _DAYS),
)


class InvalidSchedule(ValueError):
    pass


def _values(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    result: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise InvalidSchedule(f"bad step in {text!r}")
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _number(a, names), _number(b, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise InvalidSchedule(f"{text!r} is outside {low}-{high}")
        result.update(range(start, end + 1, step))
    return frozenset(result)


def _number(text: str, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise InvalidSchedule(f"{text!r} is not a number")
    value = int(text)
    return 0 if names is _DAYS and value == 7 else value


@dataclass(frozen=True)
class Schedule:
    """A parsed NCRONTAB expression or a fixed interval."""

    fields: tuple[frozenset[int], ...] | None = None
    interval: timedelta | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        text = text.strip()
        if re.fullmatch(r"\d{1,2}:\d{2}:\d{2}", text):
            hours, minutes, seconds = (int(x) for x in text.split(":"))
            interval = timedelta(hours=hours, minutes=minutes, seconds=seconds)
            if interval <= timedelta(0):
                raise InvalidSchedule("an interval must be positive")
            return cls(interval=interval)
        parts = text.split()
        if len(parts) != 6:
            raise InvalidSchedule(f"NCRONTAB needs six fields (second minute hour day month weekday): {text!r}")
        return cls(
            fields=tuple(_values(p, lo, hi, names) for p, (_, lo, hi, names) in zip(parts, _FIELDS, strict=True))
        )

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after ``moment`` (UTC)."""
        if self.interval is not None:
            return moment + self.interval
        assert self.fields is not None
        seconds, minutes, hours, days, months, weekdays = self.fields
        t = moment.replace(microsecond=0) + timedelta(seconds=1)
        for _ in range(400_000):
            if t.year > moment.year + 8:  # leap days repeat within 8 years; later means never
                break
            if t.month not in months:
                t = (t.replace(day=1, hour=0, minute=0, second=0) + timedelta(days=32)).replace(day=1)
                continue
            if t.day not in days or (t.weekday() + 1) % 7 not in weekdays:
                t = t.replace(hour=0, minute=0, second=0) + timedelta(days=1)
                continue
            if t.hour not in hours:
                t = t.replace(minute=0, second=0) + timedelta(hours=1)
                continue
            if t.minute not in minutes:
                t = t.replace(second=0) + timedelta(minutes=1)
                continue
            if t.second not in seconds:
                t += timedelta(seconds=1)
                continue
            return t
        raise InvalidSchedule("the schedule never fires")


class TimerTriggers:
    def __init__(self, database: Database, functions: list[Any], inputs: InputBindings = NO_BINDINGS) -> None:
        self.database = database
        self.inputs = inputs
        self.timers = [(f, Schedule.parse(f.get_trigger().schedule)) for f in triggers_of(functions, "timerTrigger")]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for function, schedule in self.timers:
            thread = threading.Thread(
                target=self._run,
                args=(function, schedule),
                daemon=True,
                name=f"devhost-timer-{function.get_function_name()}",
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _status(self, name: str) -> dict[str, Any] | None:
        with self.database.connection() as conn:
            return conn.execute("SELECT * FROM devhost_timer_status WHERE function_name = %s", (name,)).fetchone()

    def _save(self, name: str, last_run: datetime | None, next_run: datetime) -> None:
        with self.database.connection() as conn:
            conn.execute(
                "INSERT INTO devhost_timer_status (function_name, last_run, next_run) VALUES (%s, %s, %s)"
                " ON CONFLICT (function_name) DO UPDATE SET last_run = EXCLUDED.last_run,"
                " next_run = EXCLUDED.next_run, updated_at = now()",
                (name, last_run, next_run),
            )
            conn.commit()

    def _run(self, function: Any, schedule: Schedule) -> None:
        trigger = function.get_trigger()
        name = function.get_function_name()
        use_monitor = trigger.use_monitor is not False
        now = datetime.now(UTC)
        status = self._status(name) if use_monitor else None
        last_run = status["last_run"] if status else None
        if trigger.run_on_startup:
            self._fire(function, schedule, past_due=False, last=last_run)
            last_run = datetime.now(UTC)
        elif status is not None and status["next_run"] < now:
            # An occurrence was missed while devhost was not running: run it once, late.
            self._fire(function, schedule, past_due=True, last=last_run)
            last_run = datetime.now(UTC)
        next_run = schedule.next_after(datetime.now(UTC))
        if use_monitor:
            self._save(name, last_run, next_run)
        while not self._stop.is_set():
            delay = (next_run - datetime.now(UTC)).total_seconds()
            if delay > 0 and self._stop.wait(min(delay, 1.0)):
                return
            if datetime.now(UTC) < next_run:
                continue
            past_due = (datetime.now(UTC) - next_run) > timedelta(seconds=5)
            self._fire(function, schedule, past_due=past_due, last=last_run)
            last_run = next_run
            next_run = schedule.next_after(max(next_run, datetime.now(UTC)))
            if use_monitor:
                self._save(name, last_run, next_run)

    def _fire(self, function: Any, schedule: Schedule, *, past_due: bool, last: datetime | None) -> None:
        trigger = function.get_trigger()
        request = TimerRequest(
            past_due=past_due,
            schedule_status={"Last": last.isoformat() if last else None, "LastUpdated": None, "Next": None},
            schedule={"AdjustForDST": True},
        )
        try:
            invoke(function, self.inputs, **{trigger.name: request})
        except Exception:  # noqa: BLE001 - like the host: logged, the schedule goes on
            log.exception("timer function failed", extra={"function": function.get_function_name()})
