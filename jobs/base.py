"""What every job is: a function of (session, clock, outbox, board) that returns a report, plus its trigger."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.base import Clock
from handlers.board_rules import BoardConfig, EveryDay, WorkingCalendar, board_config
from jobs.triggers import WorkingDayTrigger
from store.models import Board
from store.models.views import BoardView
from store.outbox import Outbox


@dataclass
class JobReport:
    """What a run did, for logs, `lspbot jobs run` and the demo."""

    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


JobFunction = Callable[[Session, Clock, Outbox, Board], JobReport]


@dataclass(frozen=True)
class Job:
    """A scheduled job: stable id, the function, and the board setting holding its time of day."""

    id: str
    run: JobFunction
    time_setting: str
    description: str
    every_day: bool = False  # weekends and holidays too (housekeeping that tells nobody anything)

    def trigger(self, board: BoardView) -> WorkingDayTrigger:
        """Working days (or every day) at the board's configured time, in the board's zone."""
        config = board_config(board)
        calendar = EveryDay() if self.every_day else WorkingCalendar(config.holidays)
        return WorkingDayTrigger(config.time_of(self.time_setting), board.timezone, calendar)


@dataclass(frozen=True)
class BoardDay:
    """The moment a job runs as, seen from one board: its local date, calendar and settings."""

    now: dt.datetime
    today: dt.date
    config: BoardConfig
    calendar: WorkingCalendar

    @classmethod
    def of(cls, board: BoardView, clock: Clock) -> BoardDay:
        config = board_config(board)
        now = clock.now()
        return cls(now=now, today=now.astimezone(ZoneInfo(board.timezone)).date(), config=config,
                   calendar=WorkingCalendar(config.holidays))


_pause_lock = threading.Lock()
_pauses = [0, False]  # blocks under way in collector_paused; whether the collector was on when the first began


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while the block runs (for the whole process; blocks may nest or run
    in several threads at once, and it is on again when the last ends, if it was on before the first began).

    For a job that builds a hundred thousand rows, dictionaries and messages in one go, the collector's passes over
    everything alive, started again and again by the objects being made, cost more than the work itself (the chase
    job's blocks of buttons took three times as long). Reference counting still frees what the block drops; only
    garbage in cycles waits until it ends."""
    with _pause_lock:
        if _pauses[0] == 0:
            _pauses[1] = gc.isenabled()
            gc.disable()
        _pauses[0] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses[0] -= 1
            if _pauses[0] == 0 and _pauses[1]:
                gc.enable()
