"""The board's configuration: one typed attribute per setting, defaults and stored values of that type."""

from __future__ import annotations

import dataclasses
import typing

from handlers.board_rules import SETTINGS, BoardConfig, board_config
from store.models import Board


def test_every_setting_is_a_typed_attribute_of_the_config() -> None:
    hints = typing.get_type_hints(BoardConfig)
    assert [f.name for f in dataclasses.fields(BoardConfig)] == list(SETTINGS)
    for key, spec in SETTINGS.items():
        assert isinstance(spec.default, hints[key]), key
        assert isinstance(spec.parse(str(spec.default)), hints[key]), key


def test_a_board_reads_its_stored_settings_over_the_defaults() -> None:
    config = board_config(Board(settings={"chase_time": "8.30", "chase_lead_days": "5", "digest_day": "fri"}))
    assert (config.chase_time, config.chase_lead_days, config.digest_day) == ("08:30", 5, "friday")
    assert config.time_of("chase_time").isoformat() == "08:30:00" and config.digest_weekday == 4
    assert config.year_start_month == 4 and config.quarter_months == [4, 7, 10, 1]
    assert config.holidays == "GB-ENG"
