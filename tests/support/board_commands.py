"""A board's slash commands run in-process through `run_command` (the edge `lspbot serve` uses), as one person in
the board's channel: the answer's text, with a check that it was accepted or refused. Test modules extend it with
what they look at."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import FixedClock
from bot.runtime import Outcome, Runtime, run_command
from tests.support.slack_requests import blocks_text


@dataclass
class BoardCommands:
    runtime: Runtime
    clock: FixedClock
    channel: str
    board_id: int = 0

    def run(self, user: str, command: str, text: str) -> Outcome:
        return run_command(self.runtime, command, user_id=user, channel_id=self.channel, text=text)

    def ok(self, user: str, command: str, text: str) -> str:
        outcome = self.run(user, command, text)
        assert outcome.ok, blocks_text(outcome.payload)
        return blocks_text(outcome.payload)

    def refused(self, user: str, command: str, text: str) -> str:
        outcome = self.run(user, command, text)
        assert not outcome.ok, blocks_text(outcome.payload)
        return blocks_text(outcome.payload)
