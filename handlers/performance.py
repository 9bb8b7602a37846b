"""Outcomes and projects a board tracks (`/lsp outcome|project ...`) and their quarterly returns
(`/update quarterly ...` and the quarterly-return form)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from handlers import access, forms, mentions
from handlers.actions import resolve_member
from handlers.base import Conflict, Forbidden, InvalidInput, NotFound, Reply, Request, Token, UsageError
from handlers.dates import DateParseError, parse_date
from handlers.ids import ActionId, CallbackId
from handlers.organisations import NEW_ORG, organisation_named
from handlers.parsing import check_text, opens_quote, parse_id, tokenize
from handlers.registry import Button, Command, Form, Option, Topic, Who
from store import audit, boards
from store import performance as perf_store
from store.models import PerformanceItem, PerformanceKind, Rag
from store.models.views import BoardView, MemberView
from store.quarters import EXAMPLES as QUARTER_EXAMPLES
from store.quarters import Quarter, year_start_month

RAG_NAMES = {"red": Rag.RED, "amber": Rag.AMBER, "green": Rag.GREEN}
FIELD_ITEM, FIELD_RAG, FIELD_COMMENTARY = "return_item", "return_rag", "return_commentary"
_MILESTONE_DATE = re.compile(r"^(?P<text>.*?)\s+(?:by|due)\s+(?P<date>[^,;]+)$", re.I)
LSP_TOPICS = ("outcome", "outcomes", "project", "projects")


def lsp_examples() -> list[str]:
    return [
        '/lsp outcome add "People have good jobs" lead:"LB Ealing"',
        '/lsp project add "Southall joined-up approach" lead:@janpal "Partners mapped by 30 September 2019"',
        "/lsp outcome list",
        "/lsp project list",
    ]


def current_quarter(req: Request, board: BoardView) -> Quarter:
    """The quarter in progress today (its returns are not due until it has ended)."""
    return Quarter.containing(req.today(board.timezone), year_start_month(board.settings))


def reporting_quarter(req: Request, board: BoardView) -> Quarter:
    """The quarter a return, the report and the reminders mean by default: the last one complete
    (on 16 July 2019, Q1 2019/20, April-June)."""
    return Quarter.reported_on(req.today(board.timezone), year_start_month(board.settings))


def parse_quarter(raw: str, board: BoardView, shown: Callable[[str], str] = str) -> Quarter:
    """A quarter of the board's reporting year; refused with examples, each written as `shown` makes it (a
    whole command, so that it works as shown)."""
    try:
        return Quarter.parse(raw, year_start_month(board.settings))
    except ValueError:
        raise InvalidInput(f"I couldn't read “{raw}” as a quarter.", examples=[shown(q) for q in QUARTER_EXAMPLES],
                           field="quarter") from None


def lead_label(item: PerformanceItem) -> str:
    """`LB Ealing`, or `Janpal Basran (Southall Community Alliance)`."""
    if item.lead_member is not None:
        org = item.lead_member.organisation_on(item.board_id)
        return f"{item.lead_member.display_name} ({org.name})" if org else item.lead_member.display_name
    return item.lead_organisation.name if item.lead_organisation else "no lead"


def lead_fields(item: PerformanceItem) -> dict[str, Any]:
    """Template data for an item's lead: the label, and for a project its member's Slack id and organisation."""
    member = item.lead_member
    return {
        "lead": lead_label(item),
        "lead_id": member.slack_user_id if member else None,
        "lead_org": org.name if member and (org := member.organisation_on(item.board_id)) else None,
    }


# ---------------------------------------------------------------- outcomes and projects


def _milestones(req: Request, board: BoardView, texts: list[str]) -> list[dict[str, Any]]:
    """Each milestone's text, and its date when it ends in `by <date>`."""
    today = req.today(board.timezone)
    out = []
    for text in texts:
        text = check_text(text, "milestone")
        due = None
        if m := _MILESTONE_DATE.match(text):
            try:
                due = parse_date(m.group("date"), today).isoformat()
                text = m.group("text").strip()
            except DateParseError:
                due = None
        out.append({"text": text, "due": due})
    return out


def handle_outcome_add(req: Request) -> Reply:
    """`/lsp outcome add "<name>" lead:"<organisation>"`."""
    return handle_item_add(req, PerformanceKind.OUTCOME)


def handle_project_add(req: Request) -> Reply:
    """`/lsp project add "<name>" lead:@member ["milestone" ...]`."""
    return handle_item_add(req, PerformanceKind.PROJECT)


def handle_outcome_list(req: Request) -> Reply:
    return handle_item_list(req, PerformanceKind.OUTCOME)


def handle_project_list(req: Request) -> Reply:
    return handle_item_list(req, PerformanceKind.PROJECT)


def handle_item_add(req: Request, kind: PerformanceKind) -> Reply:
    """Start tracking an outcome (lead: an organisation) or a project (lead: a member, with milestones)."""
    parsed, board = req.parsed, req.board
    if not parsed.args:
        raise UsageError(f"Name the {kind.value}.", examples=lsp_examples()[:2])
    if parsed.args[0].quoted:
        name, milestone_texts = parsed.args[0].value, _milestone_texts(parsed.args[1:])
    else:
        name, milestone_texts = " ".join(a.value for a in parsed.args), []
    name = " ".join(check_text(name, f"{kind.value} name").split())
    if len(name) > 300:
        raise InvalidInput(f"An {kind.value} name can be at most 300 characters.")
    lead = parsed.options.get("lead")
    if not lead:
        example = 'lead:"LB Ealing"' if kind == PerformanceKind.OUTCOME else "lead:@janpal"
        raise UsageError(f"Who leads “{name}”?", examples=[f'/lsp {kind.value} add "{name}" {example}'])
    if kind == PerformanceKind.OUTCOME and milestone_texts:
        raise UsageError("Milestones belong to projects; an outcome has a name and a lead organisation.",
                         examples=lsp_examples()[:1])
    if perf_store.get_item_by_name(session=req.session, board_id=board.id, name=name):
        raise Conflict(f"{board.name} already tracks “{name}”.", title="Already tracked")
    milestones = _milestones(req, board, milestone_texts)
    lead_org = lead_member = None
    if kind == PerformanceKind.OUTCOME:
        lead_org = organisation_named(req, check_text(lead, "lead organisation"), field="lead", option="lead")
    else:
        lead_member = resolve_member(req, board, parsed.options.get("lead", ""))
    item = perf_store.create_item(session=req.session, board_id=board.id, kind=kind, name=name, created_by=req.user_id,
                                  now=req.now(), lead_organisation=lead_org, lead_member=lead_member,
                                  milestones=milestones)
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="performance_item", entity_id=item.id,
                 operation="create", after={"kind": kind.value, "name": name, "lead": lead_label(item),
                                            "milestones": milestones})
    return Reply("slack/report_item_added.json.j2", {
        "board": board.name, "kind": kind.value, "name": name, "milestones": milestones, **lead_fields(item),
    })


def _milestone_texts(tokens: list[Any]) -> list[str]:
    """Quoted strings are one milestone each; unquoted words run together, split at `;`."""
    out: list[str] = []
    words: list[str] = []

    def flush() -> None:
        out.extend(p.strip() for p in " ".join(words).split(";") if p.strip())
        words.clear()

    for tok in tokens:
        if tok.quoted:
            flush()
            out.append(tok.value)
        else:
            words.append(tok.raw)
    flush()
    return out


def handle_item_list(req: Request, kind: PerformanceKind) -> Reply:
    """The board's outcomes or projects with their leads and their RAG for the last quarter complete."""
    board = req.board
    quarter = reporting_quarter(req, board)
    items = perf_store.list_items(session=req.session, board_id=board.id, kind=kind)
    returns = perf_store.returns_for(session=req.session, board_id=board.id, quarters=[quarter.label])
    return Reply("slack/report_items.json.j2", {
        "board": board.name, "kind": kind.value, "quarter": quarter.title,
        "items": [
            {"name": i.name, **lead_fields(i), "milestones": i.milestones or [],
             "rag": returns[(i.id, quarter.label)].rag.value if (i.id, quarter.label) in returns else None}
            for i in items
        ],
    })


def handle_project_lead(req: Request) -> Reply:
    """`/lsp project lead "<project>" @member`: a project's new lead (told by DM)."""
    return _change_lead(req, PerformanceKind.PROJECT)


def handle_outcome_lead(req: Request) -> Reply:
    """`/lsp outcome lead "<outcome>" "<organisation>"`: the organisation that now leads an outcome."""
    return _change_lead(req, PerformanceKind.OUTCOME)


def _change_lead(req: Request, kind: PerformanceKind) -> Reply:
    parsed, board = req.parsed, req.board
    example = ('/lsp outcome lead "People have good jobs" "LB Ealing"' if kind == PerformanceKind.OUTCOME
               else '/lsp project lead "Southall joined-up approach" @janpal')
    if len(parsed.args) != 2:
        raise UsageError(f"Name the {kind.value} (in quotes) and its new lead.", examples=[example])
    name, lead = parsed.args[0].value, parsed.args[1]
    items = [i for i in perf_store.find_items(session=req.session, board_id=board.id, name=name) if i.kind == kind]
    if not items:
        known = [i.name for i in perf_store.list_items(session=req.session, board_id=board.id, kind=kind)]
        raise NotFound(f"{board.name} tracks no {kind.value} called “{name}”.",
                       examples=[f'/lsp {kind.value} lead "{n}" …' for n in known[:5]] or [f"/lsp {kind.value} add"])
    if len(items) > 1:
        raise UsageError(f"“{name}” could be any of: " + "; ".join(f"“{i.name}”" for i in items)
                         + ". Give the full name in quotes.", examples=[example])
    item = items[0]
    before = lead_label(item)
    if kind == PerformanceKind.PROJECT:
        member = resolve_member(req, board, lead.raw)
        if item.lead_member_id == member.id:
            raise Conflict(f"{member.display_name} already leads “{item.name}”.")
        item.lead_member_id, item.lead_member = member.id, member
        if member.slack_user_id != req.user_id:
            req.notify.to_user(member.slack_user_id, "slack/member_note.json.j2", {
                "text": f"You now lead the project “{item.name}” on {board.name}.", "items": [],
                "hint": "Its quarterly returns come to you: `/update quarterly` sends one."})
    else:
        org = organisation_named(req, check_text(lead.value, "lead organisation"), field="lead", option="lead")
        if item.lead_organisation_id == org.id and item.lead_member_id is None:
            raise Conflict(f"{org.name} already leads “{item.name}”.")
        item.lead_organisation_id, item.lead_organisation = org.id, org
        item.lead_member_id, item.lead_member = None, None
    req.session.flush()
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="performance_item", entity_id=item.id,
                 operation="lead", before={"lead": before}, after={"lead": lead_label(item)})
    return Reply("slack/member_note.json.j2", {
        "text": f"{lead_label(item)} now leads the {kind.value} “{item.name}” on {board.name} (was {before}).",
        "items": [], "hint": "Its quarterly returns go to the new lead."})


# ---------------------------------------------------------------- quarterly returns


def _take_options(text: str, names: tuple[str, ...]) -> tuple[list[Token], dict[str, str], str]:
    """Tokens that are not options, the options, and the text with the options and first token cut out."""
    tokens = tokenize(text)
    options: dict[str, str] = {}
    args: list[Token] = []
    cuts: list[tuple[int, int]] = []
    absorbed = 0
    for i, tok in enumerate(tokens):
        if absorbed:
            absorbed -= 1
            continue
        key, sep, value = tok.raw.partition(":")
        if sep and key.lower() in names and not opens_quote(tok.raw):
            options[key.lower()] = tokenize(value)[0].value if value.strip() else ""
            end = tok.end
            if key.lower() == "quarter" and value.strip() and not opens_quote(value):
                # `quarter:Q2 2019`, `quarter:2019/20 Q2`: the words that complete a quarter belong to it, unquoted.
                absorbed = _quarter_words(options["quarter"], tokens[i + 1:])
                if absorbed:
                    options["quarter"] = " ".join([options["quarter"], *(t.value for t in tokens[i + 1:i + 1 + absorbed])])
                    end = tokens[i + absorbed].end
            cuts.append((tok.start, end))
        else:
            if not args:
                cuts.append((tok.start, tok.end))
            args.append(tok)
    remainder, last = [], 0
    for start, end in sorted(cuts):
        remainder.append(text[last:start])
        last = end
    remainder.append(text[last:])
    return args, options, re.sub(r"[ \t]{2,}", " ", "".join(remainder)).strip()


def _quarter_words(value: str, following: list[Token]) -> int:
    """How many of the unquoted words after an unquoted `quarter:` value complete a quarter with it (0, 1 or 2)."""
    for n in (2, 1):
        words = following[:n]
        if len(words) == n and not any(t.quoted for t in words):
            try:
                Quarter.parse(" ".join([value, *(t.value for t in words)]))
            except ValueError:
                continue
            return n
    return 0


def find_item(req: Request, board: BoardView, name: str) -> PerformanceItem:
    """The outcome or project a member named: exactly, or by a part of its name that fits only one."""
    found = perf_store.find_items(session=req.session, board_id=board.id, name=name)
    if len(found) == 1:
        return found[0]
    known = [i.name for i in perf_store.list_items(session=req.session, board_id=board.id)]
    if not found:
        if not known:
            raise NotFound(f"{board.name} tracks no outcomes or projects yet. "
                           "The chair or secretariat adds them with `/lsp outcome add` and `/lsp project add`.")
        raise NotFound(f"{board.name} tracks no outcome or project called “{name}”.",
                       examples=[f'/update quarterly "{n}" rag:green <commentary>' for n in known[:5]],
                       field=FIELD_ITEM)
    raise UsageError(f"“{name}” could be any of: " + "; ".join(f"“{i.name}”" for i in found)
                     + ". Give the full name in quotes.", field=FIELD_ITEM)


def parse_rag(raw: str | None) -> Rag:
    if not raw:
        raise InvalidInput("Give a RAG status: `rag:red`, `rag:amber` or `rag:green`.", field=FIELD_RAG)
    rag = RAG_NAMES.get(raw.strip().lower())
    if rag is None:
        raise InvalidInput(f"The RAG status must be red, amber or green; “{raw}” is none of them.", field=FIELD_RAG)
    return rag


def handle_quarterly_return(req: Request) -> Reply:
    """`/update quarterly "<outcome or project>" rag:<red|amber|green> <commentary> [quarter:2019-Q1]`: the return
    for the last quarter complete unless a quarter is named."""
    args, options, commentary = _take_options(req.rest, ("rag", "quarter"))
    board, actor = req.board, req.actor
    member = access.require_member(actor)
    if not args and not options.get("rag"):
        return open_return_modal(req, board, member, actor.manages_board)
    if not args:
        raise UsageError("Which outcome or project is this return for?",
                         examples=['/update quarterly "Southall" rag:amber Venue agreed; partners mapped'])
    item = find_item(req, board, args[0].value)
    rag = parse_rag(options.get("rag"))
    said = commentary or "Two of three milestones met"
    quarter = (parse_quarter(options["quarter"], board,
                             lambda q: f'/update quarterly "{item.name}" rag:{rag.value} {said} quarter:{q}')
               if options.get("quarter") else reporting_quarter(req, board))
    if not commentary:
        raise UsageError(f"Add a line of commentary on “{item.name}” after the RAG status.",
                         examples=[f'/update quarterly "{item.name}" rag:{rag.value} Two of three milestones met'])
    commentary = mentions.typed_text(req.session, commentary, "commentary")
    return submit_return(req, board, member, actor.manages_board, item, quarter, rag, commentary)


def submit_return(req: Request, board: BoardView, member: MemberView, manages: bool, item: PerformanceItem,
                  quarter: Quarter, rag: Rag, commentary: str) -> Reply:
    """Store a return (the command and the form both come here)."""
    if not manages and not perf_store.may_return(session=req.session, item=item, member=member):
        raise Forbidden(f"Only the lead of “{item.name}”, {lead_label(item)}, the chair, the vice-chair or the "
                        "secretariat can send its quarterly return.")
    if quarter > current_quarter(req, board):
        raise InvalidInput(f"{quarter.title} has not started yet.", field="quarter")
    entry, previous = perf_store.submit_return(session=req.session, item=item, quarter=quarter.label, rag=rag,
                                               commentary=commentary, author=member, now=req.now())
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="quarterly_return", entity_id=entry.id,
                 operation="resubmit" if previous else "submit",
                 before={"rag": previous.rag.value, "commentary": previous.commentary} if previous else None,
                 after={"item": item.name, "quarter": quarter.label, "rag": rag.value, "commentary": commentary})
    return Reply("slack/update_return_saved.json.j2", {
        "board": board.name, "item": item.name, "kind": item.kind.value, "quarter": quarter.title, "rag": rag.value,
        "commentary": commentary,
        "replaced": {"rag": previous.rag.value, "author_id": previous.author_slack_id} if previous else None,
    })


# ---------------------------------------------------------------- the quarterly-return form


def open_return_modal(req: Request, board: BoardView, member: MemberView, manages: bool,
                      message: tuple[str, str] | None = None) -> Reply:
    """The return form: the items the member answers for (all of them for the chair and secretariat), a RAG picker.

    `message` is the (channel, ts) of the reminder in the member's DM whose button opened it: once a return is
    sent, that reminder shows which of their items are in."""
    items = [i for i in perf_store.list_items(session=req.session, board_id=board.id)
             if manages or perf_store.may_return(session=req.session, item=i, member=member)]
    if not items:
        raise Forbidden(f"You lead no outcome or project on {board.name}, so there is no quarterly return for you.")
    quarter = reporting_quarter(req, board)
    data = {
        "board": board.name, "quarter": quarter.title,
        "items": [{"id": str(i.id), "name": i.name, "kind": i.kind.value} for i in items[:100]],
        "fields": {"item": FIELD_ITEM, "rag": FIELD_RAG, "commentary": FIELD_COMMENTARY},
        "metadata": json.dumps({"board_id": board.id, "quarter": quarter.label,
                                **({"channel": message[0], "ts": message[1]} if message else {})}),
    }
    return Reply("slack/update_return_modal_fallback.json.j2", data,
                 open_modal={"template": "slack/update_return_modal.json.j2", "data": data})


def _board_and_member(req: Request, board_id: Any) -> tuple[BoardView, MemberView, bool]:
    board_id = parse_id(board_id)
    found = boards.get(session=req.session, board_id=board_id) if board_id else None
    board = found if found is not None else access.resolve_board(req)
    actor = access.actor_for(req, board)
    return board, access.require_member(actor), actor.manages_board


def handle_return_button(req: Request) -> Reply:
    """The quarterly reminder's button: its value is the board id."""
    board, member, manages = _board_and_member(req, req.values.get("value"))
    channel, ts = str(req.values.get("channel_id") or ""), str(req.values.get("message_ts") or "")
    # Only a reminder in the member's own DM is redrawn; the board channel's notice is everyone's.
    message = (channel, ts) if channel.startswith("D") and ts else None
    return open_return_modal(req, board, member, manages, message)


def handle_return_modal_submit(req: Request) -> Reply:
    """The form's submission; the confirmation goes to the sender's DM."""
    meta = forms.metadata(req)
    board, member, manages = _board_and_member(req, meta.get("board_id"))
    item_id = parse_id(req.values.get(FIELD_ITEM))
    item = perf_store.get_item(session=req.session, item_id=item_id) if item_id else None
    if item is None or item.board_id != board.id:
        raise InvalidInput("Choose the outcome or project this return is for.", field=FIELD_ITEM)
    rag = parse_rag(req.values.get(FIELD_RAG))
    commentary = (req.values.get(FIELD_COMMENTARY) or "").strip()
    if not commentary:
        raise InvalidInput("Add a line of commentary.", field=FIELD_COMMENTARY)
    commentary = mentions.typed_text(req.session, commentary, "commentary")
    quarter = parse_quarter(meta["quarter"], board) if meta.get("quarter") else reporting_quarter(req, board)
    reply = submit_return(req, board, member, manages, item, quarter, rag, commentary)
    req.notify.to_user(req.user_id, reply.template, reply.data)
    if isinstance(meta.get("channel"), str) and isinstance(meta.get("ts"), str) and meta["channel"] and meta["ts"]:
        _show_returns_sent(req, board, member, quarter, (meta["channel"], meta["ts"]))
    return reply


def _show_returns_sent(req: Request, board: BoardView, member: MemberView, quarter: Quarter,
                       message: tuple[str, str]) -> None:
    """Redraw the member's quarterly reminder: each item they answer for, in or still to send."""
    returns = perf_store.returns_for(session=req.session, board_id=board.id, quarters=[quarter.label])
    items = [{"name": i.name, "rag": returns[(i.id, quarter.label)].rag.value if (i.id, quarter.label) in returns
              else None} for i in perf_store.list_items(session=req.session, board_id=board.id)
             if perf_store.may_return(session=req.session, item=i, member=member)]
    req.notify.update_message(message[0], message[1], "slack/reminder_quarterly_sent.json.j2", {
        "board": board.name, "board_id": board.id, "quarter": quarter.title, "items": items})


def previous_quarters(quarter: Quarter, count: int = 3) -> list[Quarter]:
    """The quarter and the `count` before it, oldest first."""
    return [*quarter.previous(count), quarter]


# ---------------------------------------------------------------- declarations

TOPIC = Topic("report", "Outcomes, projects and reports",
              aliases=("reports", "outcome", "outcomes", "project", "projects", "quarterly"))

COMMANDS = (
    Command("/lsp", ("outcome", "add"), handle_outcome_add, aliases=(("outcomes", "add"),), who=Who.MANAGERS,
            doing="add outcomes", parsed=True, options=(Option("lead"), NEW_ORG), topic="report",
            usage='/lsp outcome add "<name>" lead:"<organisation>"', summary="track a Borough Plan outcome",
            examples=('/lsp outcome add "People have good jobs" lead:"LB Ealing"',)),
    Command("/lsp", ("outcome", "list"), handle_outcome_list, topic="report",
            aliases=(("outcome",), ("outcomes",), ("outcome", "ls"), ("outcomes", "list"), ("outcomes", "ls")),
            usage="/lsp outcome list", summary="the outcomes, their leads and last quarter's RAG"),
    Command("/lsp", ("project", "add"), handle_project_add, aliases=(("projects", "add"),), who=Who.MANAGERS,
            doing="add projects", parsed=True, options=(Option("lead"),), topic="report",
            usage='/lsp project add "<name>" lead:@member ["milestone" ...]', summary="track an LSP project",
            examples=('/lsp project add "Southall joined-up approach" lead:@janpal "Partners mapped by 30 September 2019"',)),
    Command("/lsp", ("outcome", "lead"), handle_outcome_lead, aliases=(("outcomes", "lead"),), who=Who.MANAGERS,
            doing="change an outcome's lead", parsed=True, topic="report", options=(NEW_ORG,),
            usage='/lsp outcome lead "<outcome>" "<organisation>"', summary="change the organisation leading an outcome",
            examples=('/lsp outcome lead "People have good jobs" "Ealing PCT"',)),
    Command("/lsp", ("project", "lead"), handle_project_lead, aliases=(("projects", "lead"),), who=Who.MANAGERS,
            doing="change a project's lead", parsed=True, topic="report",
            usage='/lsp project lead "<project>" @member', summary="change a project's lead (they are told)",
            examples=('/lsp project lead "Southall joined-up approach" @janpal',)),
    Command("/lsp", ("project", "list"), handle_project_list, topic="report",
            aliases=(("project",), ("projects",), ("project", "ls"), ("projects", "list"), ("projects", "ls")),
            usage="/lsp project list", summary="the projects, their leads, milestones and last quarter's RAG"),
)


# ---------------------------------------------------------------- declarations

_LEADS = "the lead of the outcome or project, or the chair, vice-chair or secretariat"

BUTTONS = (
    Button(ActionId.QUARTERLY_RETURN_OPEN, handle_return_button, "open the quarterly-return form", who=Who.MEMBERS,
           narrower=_LEADS),
)
FORMS = (
    Form(CallbackId.QUARTERLY_RETURN, handle_return_modal_submit, "a quarterly return with its RAG status",
         default_field=FIELD_COMMENTARY, fields=(FIELD_ITEM, FIELD_RAG, FIELD_COMMENTARY), who=Who.MEMBERS,
         narrower=_LEADS, opened_by="/update quarterly"),
)
