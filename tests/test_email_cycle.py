"""A board with members in Slack and a partner by email alone runs its whole cycle, every message to her going
through the outbox to a real SMTP server and every answer of hers made from an email's link, on the bot's web app
served by waitress: her address confirmed, an action given and chased, marked done; the request for updates, her
organisation's update and her apologies; her quarterly return; the agenda and its pack (which the others read in
the channel); the minutes. Each email is read back with the `email` package; the database, the audit and the next
agenda show what she did, as from Slack."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import Runtime, run_command, run_later
from bot.services.scheduler import run_job
from bot.services.sender import OutboxSender, build_sender
from bot.slack.api import make_client
from bot.slack.app import create_app
from bot.slack.web import make_wsgi
from handlers.agenda_compile import compile_agenda
from jobs.registry import JOBS
from store import db, meetings
from store.models import (
    Action, ActionStatus, Attendance, AuditRecord, Board, Meeting, Member, PartnerUpdate, PerformanceItem,
    QuarterlyReturn,
)
from tests.support.answer_site import serving
from tests.support.bolt import Inline
from tests.support.fake_slack import FakeSlack
from tests.support.fake_smtp import FakeSmtp, Received
from tests.support.settings import ADMIN, BOT_TOKEN, LONDON
from tests.support.slack_requests import HttpResult, http

CHANNEL = "CCYCLE01"
CHAIR, SECRETARY, BOB = "UCYCHAIR", "UCYSECR", "UCYBOB"
JANE, JANE_NAME = "jane.smith@nhs.net", "Jane Smith"
MAIL_FROM = "LSP Secretariat <lsp@ealing.gov.uk>"
NEXT = dt.date(2019, 9, 12)
LINK = re.compile(r"https?://[^\s\"<>]+/a/[A-Za-z0-9_.\-]+")
FIELDS = re.compile(r'<input type="hidden" name="(nonce|csrf|do)" value="([^"]*)">')


@dataclass
class Cycle:
    runtime: Runtime
    clock: FixedClock
    sender: OutboxSender
    smtp: FakeSmtp
    fake_slack: FakeSlack

    def run(self, user: str, command: str, text: str) -> None:
        outcome = run_command(self.runtime, command, user_id=user, channel_id=CHANNEL, text=text)
        assert outcome.ok, (command, text, outcome.payload.get("text"))
        if outcome.later:
            run_later(self.runtime, user, CHANNEL, outcome.later)
        self.deliver()

    def at(self, when: dt.datetime) -> None:
        self.clock.set(when)

    def job(self, job_id: str, when: dt.datetime) -> None:
        self.at(when)
        with db.session_scope(self.runtime.sessions) as s:
            board_id = s.scalars(select(Board.id).where(Board.channel_id == CHANNEL)).one()
        run_job(self.runtime, JOBS[job_id], board_id, when, how="manual")
        self.deliver()

    def deliver(self) -> None:
        self.sender.drain()

    def mail(self, subject_has: str) -> Received:
        """The newest email to Jane whose subject has these words; the rest are checked on the way."""
        found = [r for r in self.smtp.to(JANE) if subject_has.lower() in str(r.message["Subject"]).lower()]
        assert found, (subject_has, [str(r.message["Subject"]) for r in self.smtp.to(JANE)])
        return found[-1]

    def one(self, stmt: object) -> list[object]:
        with db.session_scope(self.runtime.sessions) as s:
            rows = list(s.scalars(stmt))  # type: ignore[call-overload]
            s.expunge_all()
            return rows


def well_formed(received: Received) -> None:
    """One recipient, hers; From the secretariat; both parts; no script; links the same in both."""
    message = received.message
    assert received.recipients == [JANE]
    assert JANE in str(message["To"]) and message["Cc"] is None
    assert message["From"] == MAIL_FROM and message["Message-ID"]
    assert received.text.strip() and "<html" in received.html.lower()
    assert "<script" not in received.html.lower()
    assert set(LINK.findall(received.text)) <= set(LINK.findall(received.html.replace("&amp;", "&")))


def answer(cycle: Cycle, received: Received, form: dict[str, str], *, do: str | None = None,
           field: str | None = None) -> HttpResult:
    """Open the email's answer link whose page has the form (the one for `do`, or with a `field`), check the GET
    changed nothing, and send that form."""
    before = len(cycle.one(select(AuditRecord)))
    for url in LINK.findall(received.text):
        page = http("GET", url)
        assert page.status == 200, page.body[:500]
        forms = page.body.decode().split("<form")[1:]
        chosen = next((f for f in forms if (do is None or f'name="do" value="{do}"' in f)
                       and (field is None or f'name="{field}"' in f)), None)
        if chosen is not None:
            break
    else:
        raise AssertionError(f"no link in the email leads to that form: {received.text}")
    assert len(cycle.one(select(AuditRecord))) == before, "opening a link changed something"
    fields = dict(FIELDS.findall(chosen))
    done = http("POST", url, urllib.parse.urlencode({**fields, **form}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status in (200, 303), done.body[:800]
    cycle.deliver()
    return done


@pytest.fixture
def cycle(runtime: Runtime, clock: FixedClock, fake_slack: FakeSlack, smtp: FakeSmtp) -> Iterator[Cycle]:
    bolt = create_app(runtime, client=make_client(BOT_TOKEN, fake_slack.url, timeout=2), listener_executor=Inline())
    with serving(make_wsgi(bolt, runtime)) as base_url:
        runtime.settings = dataclasses.replace(runtime.settings, smtp_url=smtp.url, mail_from=MAIL_FROM,
                                               mail_domain_interval=0, slack_api_url=fake_slack.url + "/",
                                               public_url=base_url, public_url_set=True)
        yield Cycle(runtime, clock, build_sender(runtime, pacer_interval=0.0), smtp, fake_slack)


def test_a_partner_by_email_runs_the_whole_cycle(cycle: Cycle) -> None:
    c = cycle
    c.run(ADMIN, "/lsp", f'board create "Cycle Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    c.run(CHAIR, "/lsp", f'member add <@{SECRETARY}|sec> org:"LB Ealing" role:secretariat')
    c.run(CHAIR, "/lsp", f'member add <@{BOB}|bob> org:"Metropolitan Police"')
    c.run(CHAIR, "/lsp", f'member add email:{JANE} name:"{JANE_NAME}" org:"Ealing CCG"')
    c.run(CHAIR, "/plan", f"meeting add {NEXT.isoformat()} 10:00")
    with db.session_scope(c.runtime.sessions) as s:  # yesterday's meeting, whose actions the next one reviews
        board_id = s.scalars(select(Board.id).where(Board.channel_id == CHANNEL)).one()
        meetings.create(session=s, board_id=board_id, date=dt.date(2019, 7, 15), venue="Perceval House",
                        starts_at=dt.datetime(2019, 7, 15, 10, 0, tzinfo=LONDON), now=c.clock.now())

    # her address: nothing but its confirmation goes to it until she follows the link
    confirmation = c.mail("confirm")
    well_formed(confirmation)
    assert len(c.smtp.to(JANE)) == 1
    answer(c, confirmation, {})
    [jane] = c.one(select(Member).where(Member.email == JANE))
    assert isinstance(jane, Member) and jane.email_confirmed_at is not None
    c.run(CHAIR, "/lsp", f'project add "Skills pathway" lead:@"{JANE_NAME}"')

    # an action given to her by her name, and its chaser once overdue, both by email
    c.run(CHAIR, "/action", f'add Draft the skills report @"{JANE_NAME}" by 2019-08-01')
    given = c.mail("action")
    well_formed(given)
    assert "Draft the skills report" in given.text and "Draft the skills report" in given.html
    c.job("chase-actions", dt.datetime(2019, 8, 5, 9, 0, tzinfo=LONDON))
    chaser = c.mail("reminder")
    well_formed(chaser)
    assert "overdue" in chaser.text
    answer(c, chaser, {"note": "Sent to the board on 5 August"}, do="done")
    [action] = c.one(select(Action).where(Action.owner_id == jane.id))
    assert isinstance(action, Action) and action.status == ActionStatus.DONE
    closing = c.one(select(AuditRecord).where(AuditRecord.entity == "action", AuditRecord.entity_id == action.id,
                                              AuditRecord.operation == "done"))
    assert [r.actor for r in closing] == [jane.slack_user_id]  # type: ignore[attr-defined]

    # the request for updates: her organisation's update, and her apologies, each from its link
    c.job("request-updates", dt.datetime(2019, 9, 5, 9, 0, tzinfo=LONDON))
    request = c.mail("update")
    well_formed(request)
    links = LINK.findall(request.text)
    assert len(links) >= 2, request.text
    answer(c, request, {"text": "Ealing CCG: winter plan agreed; flu clinics from October."}, field="text")
    answer(c, request, {"reply": "apologies"}, field="reply")
    updates = c.one(select(PartnerUpdate))
    assert any("winter plan agreed" in u.text for u in updates)  # type: ignore[attr-defined]
    replies = c.one(select(Attendance).where(Attendance.member_id == jane.id))
    assert [r.reply for r in replies] == ["apologies"]  # type: ignore[attr-defined]

    # the agenda and its pack, which the others read in the channel, reach her by email
    c.at(dt.datetime(2019, 9, 5, 11, 0, tzinfo=LONDON))
    c.run(CHAIR, "/agenda", f"pack publish {NEXT.isoformat()}")
    files = [name for r in c.smtp.to(JANE) for name, _, _ in r.attachments]
    assert any(name.endswith(".pdf") for name in files), files  # the public pack: no confidential item, no members'
    assert any(name.endswith(".docx") for name in files), files  # the published agenda's Word version
    published = c.mail("agenda")
    well_formed(published)
    with db.session_scope(c.runtime.sessions) as s:
        board = s.scalars(select(Board).where(Board.channel_id == CHANNEL)).one()
        meeting = s.scalars(select(Meeting).where(Meeting.board_id == board.id, Meeting.date == NEXT)).one()
        shown = compile_agenda(s, board, meeting, dt.date(2019, 9, 5)).snapshot()
    assert shown["actions"][str(action.ref)]["status"] == "done"  # type: ignore[attr-defined]
    assert shown["actions"][str(action.ref)]["note"] == "Sent to the board on 5 August"  # type: ignore[attr-defined]
    assert "winter plan agreed" in shown["updates"]["Ealing CCG"]

    # the meeting, then its minutes by email
    c.at(dt.datetime(2019, 9, 12, 10, 0, tzinfo=LONDON))
    c.run(SECRETARY, "/meeting", "start")
    c.at(dt.datetime(2019, 9, 12, 11, 30, tzinfo=LONDON))
    c.run(SECRETARY, "/meeting", "end")
    c.run(SECRETARY, "/meeting", f"minutes circulate {NEXT.isoformat()}")
    minutes = c.mail("minutes")
    well_formed(minutes)

    # her quarterly return, from its link
    c.job("quarterly-reminders", dt.datetime(2019, 10, 1, 9, 0, tzinfo=LONDON))
    asked = c.mail("quarter")
    well_formed(asked)
    [project] = c.one(select(PerformanceItem.id).where(PerformanceItem.name == "Skills pathway"))
    answer(c, asked, {f"rag-{project}": "amber",
                      f"commentary-{project}": "Two cohorts started; the third waits on funding."},
           field=f"rag-{project}")
    returns = c.one(select(QuarterlyReturn))
    assert any(r.rag.value == "amber" for r in returns)  # type: ignore[attr-defined]

    # every email went to her alone, once each
    ids = [str(r.message["Message-ID"]) for r in c.smtp.to(JANE)]
    assert len(ids) == len(set(ids))
