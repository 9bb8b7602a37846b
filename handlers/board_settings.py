"""`/lsp board set <key> <value>` (admins, chair) and `/lsp board settings`: the per-board timings and cadences
of the scheduled jobs (their types, ranges and defaults are in handlers.board_rules)."""

from __future__ import annotations

import calendar
from typing import Any

from handlers.base import InvalidInput, Reply, Request, UsageError
from handlers.board_rules import SETTINGS, board_config
from store import audit, boards
from store import performance as perf_store
from store.models.views import BoardView


def handle_board_set(req: Request) -> Reply:
    """`/lsp board set <key> <value> [board:"Name"]` (admins and the chair)."""
    parsed, board = req.parsed, req.board
    if len(parsed.args) < 2:
        raise UsageError("Name a setting and its new value.", examples=[
            "/lsp board set chase_lead_days 5", "/lsp board set chase_time 08:30", "/lsp board settings"])
    key = parsed.args[0].value.lower().replace("-", "_")
    spec = SETTINGS.get(key)
    if spec is None:
        raise InvalidInput(f"`{key}` is not a board setting. `/lsp board settings` lists them.",
                           examples=sorted(SETTINGS)[:4])
    raw = " ".join(a.value for a in parsed.args[1:])
    value = spec.default if raw.lower() == "default" else spec.parse(raw)
    if key == "year_start_month" and value != board_config(board).year_start_month:
        _refuse_year_change_with_returns(req, board, int(value))
    board = boards.for_change(session=req.session, board=board)
    before = dict(board.settings or {})
    after = dict(before)
    if value == spec.default:
        after.pop(key, None)
    else:
        after[key] = value
    board.settings = after  # a new dict, so the JSON column is written
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="board", entity_id=board.id,
                 operation="settings", before={key: before.get(key)}, after={key: after.get(key)})
    return Reply("slack/reminder_settings.json.j2", dict(_page(req, board), changed=key, settings=_rows(board)))


def _refuse_year_change_with_returns(req: Request, board: BoardView, month: int) -> None:
    """A quarterly return is stored under its quarter's label (`2019-Q2`), read with the board's start month:
    moving the start month would move every stored return to three other months, so it is refused while
    the board has any."""
    count = perf_store.count_returns(session=req.session, board_id=board.id)
    if not count:
        return
    current = calendar.month_name[board_config(board).year_start_month]
    returns = f"{count} quarterly return" + ("s" if count != 1 else "")
    raise InvalidInput(
        f"{board.name} already holds {returns}, each filed under a quarter of a year that starts in {current}. "
        f"With the year starting in {calendar.month_name[month]}, every one of them would count for a different "
        "three months, so the start month can only change on a board with no quarterly returns.")


def handle_board_settings(req: Request) -> Reply:
    """`/lsp board settings`: every job setting, its value and default (members)."""
    board = req.board
    return Reply("slack/reminder_settings.json.j2", dict(_page(req, board), changed=None, settings=_rows(board)))


def _page(req: Request, board: BoardView) -> dict[str, Any]:
    """The board's name and its pages' address (on LSPBOT_PUBLIC_URL; `configured` False: on the default)."""
    links = req.notify.links
    return {"board": board.name, "page": links.board(board.slug), "calendar": links.public_calendar(board.slug),
            "public": board_config(board).public,
            "configured": links.configured}


def _rows(board: BoardView) -> list[dict[str, Any]]:
    config = board_config(board)
    return [{"key": key, "value": _shown(config.value_of(key)), "default": _shown(spec.default),
             "changed": config.value_of(key) != spec.default, "meaning": spec.meaning}
            for key, spec in SETTINGS.items()]


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
