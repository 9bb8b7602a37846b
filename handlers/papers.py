"""Papers: an item's author (or the chair, a vice-chair or the secretariat) sends its paper, three ways, all ending
in `submit_paper`, which checks it and stores it as the item's next version:

- `/agenda paper P4` opens a form taking the file (Slack's file input), and the "Send the paper" button of the
  chase-papers reminder opens the same form;
- the message shortcut "Attach as paper…" on a message carrying a file asks which item it is for;
- `lspbot agenda paper --board … --item P4 FILE` on the command line.

A form is acknowledged at once with the checks that need no bytes (who, which item, the file's name and declared
size); the transport then downloads the file from Slack with the bot's token, counts its pages and runs
`handle_paper_fetched`, which makes every check on the bytes, stores the paper and tells the person by DM. The
checks: a PDF or a Word file by its content and its name, no larger than the board's `paper_max_mb`, for an item
that needs a paper, of a meeting that has not taken place. Refused, nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from handlers import access
from handlers import packs as pack_rules
from handlers.base import (
    Actor,
    DomainError,
    Forbidden,
    InvalidInput,
    Later,
    NotFound,
    Notifier,
    Reply,
    Request,
    UsageError,
)
from handlers.board_rules import board_config
from handlers.ids import ActionId, CallbackId
from handlers.parsing import parse_id
from handlers.plan import meeting_data, parse_plan_ref
from handlers.publication import paper_deadline
from handlers.registry import Button, Command, Form, Shortcut, Who
from store import boards, files, meetings, packs, papers
from store import plan as plan_store
from store.models import Member, Paper, PlanItem
from store.models.views import BoardView

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC = "application/msword"
TYPES = {".pdf": PDF, ".docx": DOCX, ".doc": DOC}
FILETYPES = ("pdf", "docx", "doc")  # the form's file input accepts these
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MB = 1024 * 1024
MAX_NAME = 200

TEMPLATE = "slack/paper_modal.json.j2"
FIELD_FILE, FIELD_ITEM = "paper_file", "paper_item"
FIELDS = (FIELD_FILE, FIELD_ITEM)
NARROWER = "the paper's author, the chair, a vice-chair or the secretariat"
PAGES_LATER = "pages counted when the pack is built"


# ---------------------------------------------------------------- the checks


def size_label(size: int) -> str:
    """`820 KB`, `1.5 MB`."""
    if size < MB:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / MB:.1f} MB"


def pages_label(pages: int | None) -> str:
    """`1 page`, `12 pages`, or when they could not be counted, when they will be."""
    if not pages:
        return PAGES_LATER
    return f"{pages} page" + ("s" if pages != 1 else "")


def extension_of(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def check_name(filename: str, field: str | None = None) -> str:
    """The content type a paper's name promises (.pdf, .docx, .doc); anything else refused."""
    kind = TYPES.get(extension_of(filename))
    if kind is None:
        raise InvalidInput(f"“{filename[:MAX_NAME]}” is not a PDF or a Word document (.pdf, .docx or .doc): send the "
                           "paper as one of those.", field=field)
    return kind


def check_content(filename: str, content: bytes) -> str:
    """The paper's content type, read from its bytes and its name, which must agree."""
    kind = check_name(filename)
    if not content:
        raise InvalidInput(f"“{filename[:MAX_NAME]}” is empty.")
    if kind == PDF:
        ok = content.startswith(b"%PDF-")
    elif kind == DOCX:
        ok = _is_docx(content)
    else:
        ok = content.startswith(OLE_MAGIC)
    if not ok:
        what = {PDF: "a PDF", DOCX: "a Word document (.docx)", DOC: "a Word 97–2003 document (.doc)"}[kind]
        raise InvalidInput(f"“{filename[:MAX_NAME]}” is named as {what} but its content is not one. Save it again as "
                           "a PDF or a Word document and send that.")
    return kind


def _is_docx(content: bytes) -> bool:
    if not content.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False


def check_size(board: BoardView, filename: str, size: int, field: str | None = None) -> None:
    limit = board_config(board).paper_max_mb
    if size > limit * MB:
        raise InvalidInput(f"“{filename[:MAX_NAME]}” is {size_label(size)}, larger than the {limit} MB {board.name} "
                           "accepts for a paper. Make it smaller (compress its images, or save it as PDF) and send it "
                           "again.", field=field)


def may_submit(actor: Actor, item: PlanItem) -> bool:
    """The paper's author, the chair, a vice-chair or the secretariat (and admins)."""
    if actor.manages_board:
        return True
    return actor.is_member and actor.member is not None and item.paper_author_id == actor.member.id


def check_item(board: BoardView, item: PlanItem, now: dt.datetime, field: str | None = None) -> None:
    """The item needs a paper, and its meeting has not taken place."""
    if not item.paper_required:
        raise InvalidInput(f"P{item.ref} “{item.title[:80]}” needs no paper. If it should have one, the chair or "
                           f"secretariat can ask for it with `/plan item paper P{item.ref} @author`.", field=field)
    meeting = item.meeting
    today = now.astimezone(_zone(board)).date()
    started = meeting.starts_at is not None and now >= meeting.starts_at
    if meeting.date < today or started:
        raise InvalidInput(f"The meeting of {meeting.date:%-d %B %Y} has taken place: P{item.ref}'s paper can no "
                           "longer be sent.", field=field)


def _zone(board: BoardView) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(board.timezone)


def check_actor(actor: Actor, item: PlanItem) -> None:
    if not may_submit(actor, item):
        author = f"{item.paper_author.display_name} (the paper's author)" if item.paper_author else "the paper's author"
        raise Forbidden(f"Only {author}, the chair, a vice-chair or the secretariat of {actor.board.name} can send "
                        f"the paper for P{item.ref}.")


# ---------------------------------------------------------------- storing


@dataclass
class Submitted:
    """A paper stored: the version and what the confirmation says."""

    paper: Paper
    data: dict[str, Any]


def submit_paper(*, session: Session, notify: Notifier, board: BoardView, item: PlanItem, filename: str, content: bytes,
                 pages: int | None, submitted_by: str, submitter: Member | None, actor: Actor | None,
                 now: dt.datetime) -> Submitted:
    """Check a paper and store it as the item's next version (older versions are kept). `actor` None: from the
    command line, trusted as the operator. After the meeting's pack is published the paper is late, and goes to
    `handlers.packs.paper_arrived` (a supplementary pack)."""
    filename = " ".join(filename.replace("/", "_").replace("\\", "_").split())[:MAX_NAME] or "paper"
    check_item(board, item, now)
    if actor is not None:
        check_actor(actor, item)
    kind = check_content(filename, content)
    check_size(board, filename, len(content))
    stored = files.put(session=session, content=content, content_type=kind, now=now)
    late = packs.published_main(session=session, meeting_id=item.meeting_id) is not None
    paper = papers.add_version(session=session, item=item, file=stored, filename=filename, content_type=kind,
                               pages=pages, submitted_by=submitted_by[:40],
                               submitted_by_id=submitter.id if submitter else None, now=now, late=late)
    note = pack_rules.paper_arrived(session, notify, board, item, paper, now) if late else None
    return Submitted(paper, confirmation(board, item, paper, note))


def confirmation(board: BoardView, item: PlanItem, paper: Paper, note: str | None) -> dict[str, Any]:
    return {"board": board.name, "ref": f"P{item.ref}", "title": item.title,
            "meeting": meeting_data(item.meeting, board), "filename": paper.filename, "size": size_label(paper.size),
            "pages": paper.pages, "pages_later": PAGES_LATER, "version": paper.version, "late": paper.late,
            "note": note}


# ---------------------------------------------------------------- which item


def item_by_ref(session: Session, board: BoardView, text: str) -> PlanItem:
    ref = parse_plan_ref(text)
    item = plan_store.get_item(session=session, board_id=board.id, ref=ref)
    if item is None:
        raise NotFound(f"There is no item P{ref} on the forward plan of {board.name}.")
    return item


def _item_by_id(req: Request, raw: Any, field: str | None = None) -> tuple[BoardView, PlanItem]:
    item_id = parse_id(raw)
    item = req.session.get(PlanItem, item_id) if item_id else None
    board = boards.get(session=req.session, board_id=item.board_id) if item else None
    if item is None or board is None:
        raise InvalidInput("Choose the item the paper is for.", field=field)
    return board, item


def upcoming_items(req: Request, board: BoardView, actor: Actor) -> list[PlanItem]:
    """The board's items of meetings to come that need a paper the person may send (the shortcut's choice)."""
    today = req.today(board.timezone)
    found = meetings.list_between(session=req.session, board_id=board.id, start=today)[:12]
    by_meeting = plan_store.items_for_meetings(session=req.session, meeting_ids=[m.id for m in found])
    now = req.now()
    out = []
    for meeting in found:
        if meeting.starts_at is not None and now >= meeting.starts_at:
            continue
        out += [i for i in by_meeting.get(meeting.id, []) if i.paper_required and may_submit(actor, i)]
    return out[:100]


def _deadline(board: BoardView, item: PlanItem) -> dt.date:
    return paper_deadline(item.meeting.date, board_config(board))


# ---------------------------------------------------------------- the form


def _form(req: Request, board: BoardView, items: list[PlanItem], *, file: dict[str, Any] | None) -> Reply:
    """The paper form: for one item with a file input, or (from the shortcut, the file known) a choice of items."""
    meta: dict[str, Any] = {"board": board.id}
    if len(items) == 1 and file is None:
        meta["item"] = items[0].id
    if file is not None:
        meta["file"] = {"id": file["id"], "name": file["name"][:MAX_NAME], "size": file["size"]}
    data = {
        "board": board.name,
        "items": [{"id": i.id, "ref": f"P{i.ref}", "title": i.title, "date": i.meeting.date,
                   "deadline": _deadline(board, i),
                   "versions": len(papers.versions(session=req.session, item_id=i.id))} for i in items],
        "file": {"name": file["name"], "size": size_label(int(file["size"]))} if file else None,
        "filetypes": list(FILETYPES),
        "max_mb": board_config(board).paper_max_mb,
        "metadata": json.dumps(meta),
        "fields": {"file": FIELD_FILE, "item": FIELD_ITEM},
    }
    return Reply("slack/agenda_note.json.j2", {"text": "Opening the paper form…"},
                 open_modal={"template": TEMPLATE, "data": data})


def _open_for(req: Request, board: BoardView, item: PlanItem) -> Reply:
    check_item(board, item, req.now())
    check_actor(access.actor_for(req, board), item)
    return _form(req, board, [item], file=None)


def handle_agenda_paper(req: Request) -> Reply:
    """`/agenda paper P4`: the form that takes the item's paper."""
    args = req.parsed.args
    if len(args) != 1:
        raise UsageError("Which item is the paper for? Give its reference on the forward plan.",
                         examples=["/agenda paper P4"])
    item = item_by_ref(req.session, req.board, args[0].value)
    return _open_for(req, req.board, item)


def handle_paper_upload_open(req: Request) -> Reply:
    """"Send the paper" on a reminder: the same form, for the item the button names."""
    board, item = _item_by_id(req, req.values.get("value"))
    return _open_for(req, board, item)


def handle_paper_attach(req: Request) -> Reply:
    """The message shortcut "Attach as paper…": the form asking which item the message's file is for."""
    attached = [f for f in req.values.get("message_files") or [] if isinstance(f, dict) and f.get("id")]
    if not attached:
        raise UsageError("That message carries no file. Use “Attach as paper…” on a message with the paper (a PDF or "
                         "a Word document) attached.")
    file = next((f for f in attached if extension_of(str(f.get("name") or "")) in TYPES), attached[0])
    name = str(file.get("name") or file.get("title") or "paper")
    check_name(name)
    board = access.resolve_board(req)
    actor = access.actor_for(req, board)
    access.require_member(actor)
    size = _whole(file.get("size"))
    check_size(board, name, size)
    items = upcoming_items(req, board, actor)
    if not items:
        raise NotFound(f"No item to come on {board.name}'s forward plan needs a paper from you.")
    return _form(req, board, items, file={"id": str(file["id"]), "name": name, "size": size})


def _submission(req: Request) -> tuple[BoardView, PlanItem, dict[str, Any]]:
    """The item and the file (id, name, size) a submitted paper form names, checked as far as they go without the
    file's bytes."""
    meta = _metadata(req)
    board, item = _item_by_id(req, meta.get("item") or req.values.get(FIELD_ITEM), FIELD_ITEM)
    if meta.get("board") is not None and parse_id(meta.get("board")) != board.id:
        raise InvalidInput("Choose one of the board's items.", field=FIELD_ITEM)
    chosen = req.values.get(FIELD_FILE)
    given = chosen[0] if isinstance(chosen, list) and chosen else meta.get("file")
    if not isinstance(given, dict) or not given.get("id"):
        raise InvalidInput("Choose the file of the paper (a PDF or a Word document).", field=FIELD_FILE)
    name, size = str(given.get("name") or "paper")[:MAX_NAME], _whole(given.get("size"))
    check_item(board, item, req.now(), FIELD_ITEM)
    check_actor(access.actor_for(req, board), item)
    check_name(name, FIELD_FILE)
    check_size(board, name, size, FIELD_FILE)
    return board, item, {"id": str(given["id"]), "name": name, "size": size}


def _whole(raw: Any) -> int:
    """A file's size as Slack gave it (a whole number), 0 if it did not."""
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else 0


def _metadata(req: Request) -> dict[str, Any]:
    try:
        meta = json.loads(req.values.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def handle_paper_form(req: Request) -> Reply:
    """The paper form submitted: checked as far as it can be before the file is downloaded (a refusal stays on the
    form); after the ack the transport fetches the file and runs `handle_paper_fetched` with the form's values."""
    board, item, file = _submission(req)
    return Reply("slack/agenda_note.json.j2", {"text": f"Receiving {file['name']} for P{item.ref}…"},
                 later=[Later(handle_paper_fetched, dict(req.values), files=[file])])


def handle_paper_fetched(req: Request) -> Reply:
    """After the ack: the file downloaded (`values["fetched"]`: name, content, pages) or the reason it could not be
    (`values["fetch_error"]`). Stores the paper and tells the person by DM, or tells them why not."""
    try:
        board, item, file = _submission(req)
        if req.values.get("fetch_error"):
            raise InvalidInput(f"I could not fetch {file['name']} from Slack ({req.values['fetch_error']}), so "
                               "nothing was stored. Please try again.")
        fetched = (req.values.get("fetched") or [None])[0]
        if not isinstance(fetched, dict):
            raise InvalidInput(f"I could not fetch {file['name']} from Slack, so nothing was stored. Please try again.")
        member = boards.get_member(session=req.session, slack_user_id=req.user_id)
        done = submit_paper(session=req.session, notify=req.notify, board=board, item=item,
                            filename=str(fetched.get("name") or file["name"]), content=fetched["content"],
                            pages=fetched.get("pages"), submitted_by=req.user_id, submitter=member,
                            actor=access.actor_for(req, board), now=req.now())
    except DomainError as refused:
        data = {"title": refused.title, "message": refused.message + " Nothing was stored.",
                "examples": refused.examples}
        req.notify.to_user(req.user_id, "slack/error.json.j2", data)
        return Reply("slack/error.json.j2", data)
    req.notify.to_user(req.user_id, "slack/paper_received.json.j2", done.data)
    return Reply("slack/paper_received.json.j2", done.data)


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/agenda", ("paper",), handle_agenda_paper, who=Who.READERS, doing="send papers", narrower=NARROWER,
            parsed=True, usage="/agenda paper P4",
            summary="send an item's paper (PDF or Word) through a form; a new version replaces the old in the pack"),
)
BUTTONS = (
    Button(ActionId.PAPER_UPLOAD_OPEN, handle_paper_upload_open,
           "Send the paper: the paper form, from the author's reminder", who=Who.READERS, narrower=NARROWER),
)
FORMS = (
    Form(CallbackId.PAPER_UPLOAD, handle_paper_form, "send a paper", default_field=FIELD_FILE, fields=FIELDS,
         who=Who.READERS, narrower=NARROWER),
)
SHORTCUTS = (
    Shortcut(CallbackId.PAPER_ATTACH, handle_paper_attach,
             "Attach as paper…: the message's file as the paper of an item to come (asks which)"),
)
