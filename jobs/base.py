"""What every job is: a function of (session, clock, outbox, board) that returns a report, plus its trigger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.base import Clock
from handlers.board_rules import BoardConfig, EveryDay, WorkingCalendar, board_config
from jobs.triggers import WorkingDayTrigger
from store.models import Board
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

    def trigger(self, board: Board) -> WorkingDayTrigger:
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
    def of(cls, board: Board, clock: Clock) -> BoardDay:
        config = board_config(board)
        now = clock.now()
        return cls(now=now, today=now.astimezone(ZoneInfo(board.timezone)).date(), config=config,
                   calendar=WorkingCalendar(config.holidays))
