"""Email through the outbox to a real SMTP server: one message to one person, temporary and permanent refusals, a
dropped connection, pacing per mail domain, STARTTLS and logins, a restart mid-send; and a Slack DM that fails for
good reaching its person by email, with the secretariat told once."""

from __future__ import annotations

import datetime as dt
import signal
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.clock import FixedClock
from bot.email.smtp import TIMEOUT, SmtpDelivery, message_id, parse_smtp_url
from bot.runtime import Runtime, build_runtime, run_command
from bot.services.deliveries import NOT_SET_UP
from bot.services.sender import OutboxSender, build_sender
from handlers.ids import ActionId
from handlers.links import Answer
from store import db
from store import files as files_store
from store import meetings as meetings_store
from store import packs as packs_store
from store import outbox as outbox_store
from store.models import Board, Member, OutboxMessage, OutboxStatus
from store.outbox import LARGE_FILE
from tests.support.delivery import SimulatedTime, drain_with_time
from tests.support.fake_slack import FakeSlack
from tests.support.fake_smtp import FakeSmtp
from tests.support.server import run_lspbot, start_server
from tests.support.settings import ADMIN, lspbot_env, settings_for
from tests.support.slack_requests import blocks_text
from tests.support.waiting import wait_until

MAIL_FROM = "LSP Secretariat <lsp@ealing.gov.uk>"


def email_payload(subject: str, **extra: Any) -> dict[str, Any]:
    """An email's outbox payload (bot.email.compose's contract)."""
    return {"_method": "email", "subject": subject, "text": f"{subject}: the plain text.",
            "html": f"<p>{subject}: <b>the HTML</b>.</p>", "headers": {}, "attachments": [],
            "to_name": "Jane Smith", "member": "mail:00000000aa", **extra}


def queue_emails(runtime: Runtime, emails: list[tuple[str, dict[str, Any]]], prefix: str = "mail") -> list[int]:
    """Queue (address, payload) emails through the store, keyed by their subjects; their ids."""
    with db.session_scope(runtime.sessions) as session:
        for address, payload in emails:
            outbox_store.enqueue(session=session, key=f"{prefix}:{payload['subject']}", target_kind=outbox_store.EMAIL,
                                 target=address, payload=payload, now=runtime.clock.now())
        return outbox_store.ids_for_keys(session=session, keys=[f"{prefix}:{p['subject']}" for _, p in emails])


def mail_sender(runtime: Runtime, url: str, clock: FixedClock, *, interval: float = 0.0,
                simulated: SimulatedTime | None = None, timeout: float = TIMEOUT, **kwargs: Any) -> OutboxSender:
    """The outbox sender with the SMTP delivery of `url` (LSPBOT_SMTP_URL)."""
    timing = dict(monotonic=simulated.monotonic, sleep=simulated.sleep) if simulated else {}
    delivery = SmtpDelivery(parse_smtp_url(url), MAIL_FROM, domain_interval=interval, now=clock.now,
                            timeout=timeout, **timing)
    return OutboxSender(runtime.sessions, delivery, clock, **timing, **kwargs)


def rows(runtime: Runtime) -> dict[str, OutboxMessage]:
    with db.session_scope(runtime.sessions) as session:
        return {m.key: m for m in outbox_store.list_messages(session=session)}


def test_an_email_goes_to_its_one_person_with_both_parts_and_its_attachments(runtime, clock, smtp: FakeSmtp):
    with db.session_scope(runtime.sessions) as session:
        stored = files_store.put(session=session, content=b"%PDF-1.4 the pack", content_type="application/pdf",
                                 now=clock.now())
        file_id = stored.id
    payload = email_payload("Agenda pack for 15 July", headers={"List-Unsubscribe": "<https://lsp.example.org/u/x>"},
                            attachments=[{"filename": "minutes.docx", "content_hex": b"PK minutes".hex(),
                                          "mimetype": "application/vnd.openxmlformats-officedocument."
                                                      "wordprocessingml.document"},
                                         {"filename": "pack.pdf", "mimetype": "application/pdf", "_file_id": file_id}])
    [row_id] = queue_emails(runtime, [("jane.smith@nhs.net", payload)])
    assert mail_sender(runtime, smtp.url, clock).drain() == 1
    [got] = smtp.to("jane.smith@nhs.net")
    assert got.recipients == ["jane.smith@nhs.net"] and got.mail_from == "lsp@ealing.gov.uk"
    message = got.message
    assert message["From"] == MAIL_FROM and message["To"] == "Jane Smith <jane.smith@nhs.net>"
    assert message["Cc"] is None and message["Bcc"] is None
    assert message["Subject"] == "Agenda pack for 15 July"
    assert message["Date"].datetime == clock.now()
    assert message["Message-ID"] == message_id(row_id, "jane.smith@nhs.net", MAIL_FROM)
    assert message["Message-ID"].endswith("@ealing.gov.uk>")
    assert message["List-Unsubscribe"] == "<https://lsp.example.org/u/x>"
    assert got.text.strip() == "Agenda pack for 15 July: the plain text."
    assert got.html.strip() == "<p>Agenda pack for 15 July: <b>the HTML</b>.</p>"
    assert got.attachments == [
        ("minutes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK minutes"),
        ("pack.pdf", "application/pdf", b"%PDF-1.4 the pack")]
    assert rows(runtime)["mail:Agenda pack for 15 July"].status == OutboxStatus.SENT


def test_a_payload_cannot_add_anyone_to_to_or_cc(runtime, clock, smtp: FakeSmtp):
    queue_emails(runtime, [("jane.smith@nhs.net", email_payload("Sneaky", headers={"Cc": "someone@else.org"})),
                           ("bob@met.police.uk", email_payload("Broken", headers={"X-Note": "two\r\nBcc: x@y.org"}))])
    mail_sender(runtime, smtp.url, clock).drain()
    assert smtp.messages() == []
    failed = rows(runtime)
    assert failed["mail:Sneaky"].status == OutboxStatus.FAILED and "Cc" in failed["mail:Sneaky"].last_error
    assert failed["mail:Broken"].status == OutboxStatus.FAILED


def test_a_temporary_refusal_is_tried_again_and_delivered_once(runtime, clock, smtp: FakeSmtp):
    [row_id] = queue_emails(runtime, [("jane.smith@nhs.net", email_payload("Your actions"))])
    smtp.refuse_next("451 4.3.0 try later")
    sender = mail_sender(runtime, smtp.url, clock)
    sender.drain()
    row = rows(runtime)["mail:Your actions"]
    assert row.status == OutboxStatus.PENDING and row.last_error == "SMTP 451 4.3.0 try later"
    assert row.next_attempt_at > clock.now()  # the sender's backoff
    drain_with_time(sender, runtime, clock)
    [got] = smtp.to("jane.smith@nhs.net")
    assert got.message["Message-ID"] == message_id(row_id, "jane.smith@nhs.net", MAIL_FROM)
    row = rows(runtime)["mail:Your actions"]
    assert row.status == OutboxStatus.SENT and row.attempts == 2


def test_a_permanent_refusal_fails_with_the_servers_reason_shown_by_lspbot_outbox(runtime, clock, smtp: FakeSmtp,
                                                                                   database, fake_slack_server):
    queue_emails(runtime, [("nobody@nhs.net", email_payload("Chaser")), ("jane.smith@nhs.net", email_payload("Next"))])
    smtp.refuse_next("550 5.1.1 no such user")
    drain_with_time(mail_sender(runtime, smtp.url, clock), runtime, clock)
    row = rows(runtime)["mail:Chaser"]
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert row.last_error == "SMTP 550 5.1.1 no such user"
    assert [r.message["Subject"] for r in smtp.messages()] == ["Next"]
    listing = run_lspbot(["outbox", "list", "--status", "failed"], lspbot_env(database.url, fake_slack_server.url))
    assert listing.returncode == 0, listing.stderr
    assert "1 failed" in listing.stdout
    line = next(x for x in listing.stdout.splitlines() if "mail:Chaser" in x)
    assert "nobody@nhs.net" in line and "failed" in line
    assert "error: SMTP 550 5.1.1 no such user" in listing.stdout


def test_a_dropped_connection_is_tried_again_and_delivered_once(runtime, clock, smtp: FakeSmtp):
    queue_emails(runtime, [("jane.smith@nhs.net", email_payload("Dropped")),
                           ("jane.smith@nhs.net", email_payload("After it"))])
    smtp.drop_next()
    sender = mail_sender(runtime, smtp.url, clock)
    sender.drain()
    row = rows(runtime)["mail:Dropped"]
    assert row.status == OutboxStatus.PENDING and "closed the connection" in row.last_error
    drain_with_time(sender, runtime, clock)
    assert [r.message["Subject"] for r in smtp.to("jane.smith@nhs.net")] == ["Dropped", "After it"]  # in order


def test_a_refused_connection_is_tried_again(runtime, clock, smtp: FakeSmtp):
    queue_emails(runtime, [("jane.smith@nhs.net", email_payload("Nobody home"))])
    closed = FakeSmtp().start()
    closed.stop()  # a port where nothing listens
    mail_sender(runtime, closed.url, clock).drain()
    row = rows(runtime)["mail:Nobody home"]
    assert row.status == OutboxStatus.PENDING and "could not be reached" in row.last_error
    drain_with_time(mail_sender(runtime, smtp.url, clock), runtime, clock)
    assert len(smtp.to("jane.smith@nhs.net")) == 1


def test_a_server_too_slow_is_cut_off_and_tried_again(runtime, clock, smtp: FakeSmtp):
    queue_emails(runtime, [("jane.smith@nhs.net", email_payload("Slow"))])
    smtp.delay = 2.0
    sender = mail_sender(runtime, smtp.url, clock, timeout=0.5)
    assert sender.delivery.worst_case("email", "jane.smith@nhs.net", {}) == 0.5
    sender.drain()
    row = rows(runtime)["mail:Slow"]
    assert row.status == OutboxStatus.PENDING and row.last_error == "the mail server took longer than 0.5 s"
    # This server drops a message whose sender left before its answer (a real one may deliver it all the same:
    # the one message in flight that can go twice), so it arrives once, when tried again.
    smtp.delay = 0.0
    drain_with_time(sender, runtime, clock)
    assert [r.message["Subject"] for r in smtp.messages()] == ["Slow"]


def test_a_kept_connection_serves_the_next_email_and_a_closed_one_is_replaced(runtime, clock, smtp: FakeSmtp):
    queue_emails(runtime, [(f"p{i}@nhs.net", email_payload(f"kept-{i}")) for i in range(3)])
    sender = mail_sender(runtime, smtp.url, clock)
    sender.drain()
    delivery = sender.delivery
    kept = delivery._connection
    assert kept is not None and len(smtp.messages()) == 3
    kept.sock.close()  # the server, or the network, ended it while it was idle
    queue_emails(runtime, [("p9@nhs.net", email_payload("after-close"))])
    sender.drain()
    assert [r.message["Subject"] for r in smtp.messages()][-1] == "after-close"
    assert rows(runtime)["mail:after-close"].attempts == 1  # a new connection, not a failure


def test_emails_to_one_domain_are_paced_and_other_domains_go_meanwhile(runtime, clock, smtp: FakeSmtp):
    simulated = SimulatedTime(clock)
    emails = [(f"p{i}@nhs.net", email_payload(f"nhs-{i}")) for i in range(3)] + \
        [(f"p{i}@met.police.uk", email_payload(f"met-{i}")) for i in range(2)]
    ids = queue_emails(runtime, emails)
    started = simulated.monotonic()
    sent_at: dict[str, list[float]] = defaultdict(list)
    targets = {row_id: address for row_id, (address, _) in zip(ids, emails, strict=True)}
    sender = mail_sender(runtime, smtp.url, clock, interval=10.0, simulated=simulated,
                         on_sent=lambda i: sent_at[targets[i].split("@")[1]].append(simulated.monotonic() - started))
    outcome = sender.deliver_all(ids, timeout=300, sleep=simulated.sleep)
    assert (outcome.sent, outcome.failed, outcome.pending) == (5, [], 0)
    assert len(smtp.messages()) == 5
    for domain, times in sent_at.items():
        assert all(b - a >= 10.0 for a, b in zip(times, times[1:], strict=False)), (domain, times)
    assert sent_at["met.police.uk"][0] < sent_at["nhs.net"][1]  # not held up behind the other domain's pace
    assert max(sent_at["nhs.net"]) < 25  # the two domains side by side, about 20 s, not 40


def test_starttls_required_refuses_a_server_without_it(runtime, clock, smtp: FakeSmtp, database):
    queue_emails(runtime, [("jane.smith@nhs.net", email_payload("Private"))])
    mail_sender(runtime, smtp.url + "?starttls=required", clock).drain()
    row = rows(runtime)["mail:Private"]
    assert row.status == OutboxStatus.PENDING  # a setting to put right, not the message's fault: tried again
    assert "does not offer STARTTLS" in row.last_error and "?starttls=required" in row.last_error
    assert smtp.messages() == []
    from bot.cli.doctor import FAIL, diagnose

    found = {f.what: f for f in diagnose(settings_for(database.url, LSPBOT_SMTP_URL=smtp.url + "?starttls=required",
                                                      LSPBOT_MAIL_FROM=MAIL_FROM))}
    assert found["email"].status == FAIL and "does not offer STARTTLS" in found["email"].said


def test_a_login_with_the_user_and_password_of_the_url(runtime, clock, database):
    server = FakeSmtp(auth=("lsp@ealing", "p@ss:w/rd")).start()
    try:
        url = f"smtp://lsp%40ealing:p%40ss%3Aw%2Frd@127.0.0.1:{server.port}"
        assert parse_smtp_url(url).user == "lsp@ealing" and parse_smtp_url(url).password == "p@ss:w/rd"
        queue_emails(runtime, [("jane.smith@nhs.net", email_payload("Logged in"))])
        mail_sender(runtime, url, clock).drain()
        assert [r.message["Subject"] for r in server.messages()] == ["Logged in"]
        wrong = f"smtp://lsp%40ealing:guess@127.0.0.1:{server.port}"
        queue_emails(runtime, [("jane.smith@nhs.net", email_payload("Wrong password"))])
        mail_sender(runtime, wrong, clock).drain()
        row = rows(runtime)["mail:Wrong password"]
        assert row.status == OutboxStatus.PENDING and "refused lspbot's login: SMTP 535" in row.last_error
        from bot.cli.doctor import FAIL, OK, WARN, diagnose

        def doctor(smtp_url: str) -> tuple[str, str]:
            f = next(f for f in diagnose(settings_for(database.url, LSPBOT_SMTP_URL=smtp_url,
                                                      LSPBOT_MAIL_FROM=MAIL_FROM)) if f.what == "email")
            return f.status, f.said

        status, said = doctor(url)
        assert status == WARN and "logged in as lsp@ealing" in said and "not encrypted" in said
        assert "p@ss" not in said
        assert doctor(wrong)[0] == FAIL and "login was refused" in doctor(wrong)[1]
        assert doctor(f"smtp://127.0.0.1:{server.port}")[0] == OK  # no login asked for: none tried
    finally:
        server.stop()


def test_smtp_urls():
    assert parse_smtp_url("smtp://mail.council.gov.uk") == parse_smtp_url("smtp://mail.council.gov.uk:25")
    assert parse_smtp_url("smtp://u:p@mail.council.gov.uk").port == 587
    assert parse_smtp_url("smtps://u:p@mail.council.gov.uk").port == 465 and parse_smtp_url("smtps://h").tls
    assert parse_smtp_url("smtp://h:2525?starttls=required").starttls_required
    assert str(parse_smtp_url("smtp://u:secret@h:2525")) == "smtp://u@h:2525"
    for bad in ("http://h", "smtp://h?tls=yes", "smtps://h?starttls=required", "smtp://h:99999"):
        with pytest.raises(ValueError):
            parse_smtp_url(bad)


def test_an_email_without_a_mail_server_fails_saying_how_to_set_it_up(runtime, clock, fake_slack: FakeSlack):
    queue_emails(runtime, [("jane.smith@nhs.net", email_payload("Nowhere to go"))])
    build_sender(runtime, pacer_interval=0.0).drain()
    row = rows(runtime)["mail:Nowhere to go"]
    assert row.status == OutboxStatus.FAILED and row.last_error == NOT_SET_UP


def test_serve_killed_mid_send_and_started_again_loses_nothing_and_sends_nothing_twice(database, clock, fake_slack,
                                                                                      smtp: FakeSmtp, tmp_path):
    runtime = build_runtime(settings_for(database.url), clock=clock, migrate=False)
    extra = dict(LSPBOT_SMTP_URL=smtp.url, LSPBOT_MAIL_FROM=MAIL_FROM, LSPBOT_MAIL_DOMAIN_INTERVAL="0")
    try:
        subjects = [f"restart-{i:02d}" for i in range(16)]
        queue_emails(runtime, [(f"p{i}@nhs.net", email_payload(s)) for i, s in enumerate(subjects)])
        smtp.delay = 0.2  # each message takes a moment, so the kill lands mid-drain
        first = start_server(database.url, fake_slack.url, migrate=False, log_path=tmp_path / "first.log", **extra)
        wait_until(lambda: len(smtp.messages()) >= 4, timeout=30, what="the first emails")
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        assert len(smtp.messages()) < len(subjects), "the kill came too late to test anything"
        smtp.delay = 0.0
        second = start_server(database.url, fake_slack.url, migrate=False, log_path=tmp_path / "second.log", **extra)
        try:
            wait_until(lambda: {r.message["Subject"] for r in smtp.messages()} == set(subjects), timeout=40,
                       what="every email")
            wait_until(lambda: all(r.status == OutboxStatus.SENT for r in rows(runtime).values()), timeout=10,
                       what="every email marked sent")
        finally:
            second.stop()
    finally:
        runtime.close()
    got = [r.message["Subject"] for r in smtp.messages()]
    assert len(got) - len(set(got)) <= 1, f"{len(got) - len(set(got))} emails went twice"  # at most the one in flight
    assert "Traceback" not in (tmp_path / "second.log").read_text()


# ------------------------------------------------------------------ a Slack DM that fails for good

CHANNEL, CHAIR, SECRETARY, ALICE, BOB = "CMAILB", "UMCHAIR", "UMSEC", "UMALICE", "UMBOB"


@pytest.fixture
def board_runtime(database, clock, fake_slack: FakeSlack, smtp: FakeSmtp) -> Runtime:
    """A board with a chair, a secretary, Alice (a confirmed address) and Bob (none), in-process, with SMTP set
    up; their welcome DMs delivered, and Alice's and Bob's DM channels not known yet."""
    runtime = build_runtime(settings_for(database.url, SLACK_API_URL=fake_slack.url, LSPBOT_SMTP_URL=smtp.url,
                                         LSPBOT_MAIL_FROM=MAIL_FROM, LSPBOT_MAIL_DOMAIN_INTERVAL="0"),
                            clock=clock, migrate=False)
    for user, text in ((ADMIN, f'board create "Mail Board" chair:<@{CHAIR}|chair> org:"LB Ealing"'),
                       (CHAIR, f'member add <@{SECRETARY}|Sam Secretary> org:"LB Ealing" role:secretariat'),
                       (CHAIR, f'member add <@{ALICE}|Alice Ames> org:"Ealing PCT"'),
                       (CHAIR, f'member add <@{BOB}|Bob Brown> org:"Metropolitan Police"')):
        assert run_command(runtime, "/lsp", user_id=user, channel_id=CHANNEL, text=text).ok
    build_sender(runtime, pacer_interval=0.0).drain()
    with db.session_scope(runtime.sessions) as session:
        session.execute(update(Member).where(Member.slack_user_id == ALICE)
                        .values(display_name="Alice Ames", email="alice.ames@nhs.net", email_confirmed_at=clock.now()))
        session.execute(update(Member).where(Member.slack_user_id == BOB).values(display_name="Bob Brown"))
        session.execute(update(Member).where(Member.slack_user_id.in_([ALICE, BOB])).values(dm_channel_id=None))
    fake_slack.reset()
    yield runtime
    runtime.close()


def dm(runtime: Runtime, user: str, key: str, text: str) -> None:
    """A DM as a job queues it: its text, and a Done button for action 7."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
              {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Done"},
                                                "action_id": ActionId.ACTION_DONE.value, "value": "7"}]}]
    with db.session_scope(runtime.sessions) as session:
        outbox_store.enqueue(session=session, key=key, target_kind="user", target=user, now=runtime.clock.now(),
                             payload={"text": text, "blocks": blocks})


def member(runtime: Runtime, user: str) -> Member:
    with db.session_scope(runtime.sessions) as session:
        found = session.scalar(select(Member).where(Member.slack_user_id == user))
        session.expunge(found)
        return found


def test_a_member_slack_cannot_dm_gets_the_message_by_email_and_the_secretariat_is_told_once(
        board_runtime: Runtime, clock, fake_slack: FakeSlack, smtp: FakeSmtp):
    runtime = board_runtime
    dm(runtime, ALICE, "chase:alice:1", "Action #3 is due on Friday")
    fake_slack.fail_next("conversations.open", error="user_not_found")
    drain_with_time(build_sender(runtime, pacer_interval=0.0), runtime, clock)

    [email] = smtp.to("alice.ames@nhs.net")
    assert email.message["To"] == "Alice Ames <alice.ames@nhs.net>" and "*Action #3 is due on Friday*" in email.text
    assert email.message["Subject"] == "Action #3 is due on Friday"
    link = next(word for word in email.text.split() if "/a/" in word).strip("<>()[]")
    answer = runtime.links.read_answer(link.rsplit("/a/", 1)[1], clock.now)  # her own signed answer link
    assert (answer.kind, answer.member_id, answer.object_id) == (Answer.ACTION, member(runtime, ALICE).id, 7)
    failed = rows(runtime)
    assert failed["chase:alice:1"].status == OutboxStatus.FAILED
    assert failed["chase:alice:1"].last_error == "user_not_found (sent by email to alice.ames@nhs.net instead)"
    assert failed["chase:alice:1:email"].status == OutboxStatus.SENT
    alice = member(runtime, ALICE)
    assert alice.dm_failed_at == clock.now()
    assert alice.dm_failed_reason == "user_not_found"

    told = [c for c in fake_slack.messages() if c.params["channel"] == "D" + SECRETARY[1:]]
    assert len(told) == 1
    said = blocks_text(told[0].params)
    assert "Alice Ames" in said and "Mail Board" in said and "alice.ames@nhs.net" in said
    assert "goes there by email" in said and "user_not_found" in said
    assert not [c for c in fake_slack.messages() if c.params["channel"] == "D" + CHAIR[1:]]  # the secretariat's

    # A second DM that fails: by email again, and no second word to the secretariat.
    fake_slack.reset()
    dm(runtime, ALICE, "chase:alice:2", "Action #4 is overdue")
    fake_slack.fail_next("conversations.open", error="invalid_user_combination")
    drain_with_time(build_sender(runtime, pacer_interval=0.0), runtime, clock)
    assert [r.message["Subject"] for r in smtp.to("alice.ames@nhs.net")] == ["Action #3 is due on Friday",
                                                                            "Action #4 is overdue"]
    assert fake_slack.messages() == []
    assert member(runtime, ALICE).dm_failed_reason == "user_not_found"  # the first reason stays


def test_a_member_slack_cannot_dm_without_an_address_is_named_to_the_secretariat(
        board_runtime: Runtime, clock, fake_slack: FakeSlack, smtp: FakeSmtp):
    runtime = board_runtime
    dm(runtime, BOB, "chase:bob:1", "Action #5 is due")
    fake_slack.fail_next("conversations.open", error="user_disabled")
    drain_with_time(build_sender(runtime, pacer_interval=0.0), runtime, clock)
    assert smtp.messages() == []
    row = rows(runtime)["chase:bob:1"]
    assert row.status == OutboxStatus.FAILED and row.last_error == "user_disabled"
    assert "chase:bob:1:email" not in rows(runtime)
    [told] = [c for c in fake_slack.messages() if c.params["channel"] == "D" + SECRETARY[1:]]
    said = blocks_text(told.params)
    assert "Bob Brown" in said and "deactivated" in said and "no email address" in said
    assert '/lsp member email @"Bob Brown" their.name@example.org' in said
    assert member(runtime, BOB).dm_failed_reason == "user_disabled"


def test_a_dm_failing_for_another_reason_changes_nothing(board_runtime: Runtime, clock, fake_slack: FakeSlack,
                                                        smtp: FakeSmtp):
    runtime = board_runtime
    dm(runtime, ALICE, "note:alice", "Hello")
    fake_slack.fail_next("conversations.open", error="missing_scope")
    drain_with_time(build_sender(runtime, pacer_interval=0.0), runtime, clock)
    assert rows(runtime)["note:alice"].last_error == "missing_scope"
    assert smtp.messages() == [] and fake_slack.messages() == []
    assert member(runtime, ALICE).dm_failed_at is None


def test_a_file_slack_cannot_put_in_a_dm_goes_as_an_attachment(board_runtime: Runtime, clock, fake_slack: FakeSlack,
                                                              smtp: FakeSmtp):
    runtime = board_runtime
    with db.session_scope(runtime.sessions) as session:
        stored = files_store.put(session=session, content=b"%PDF-1.4 pack", content_type="application/pdf",
                                 now=clock.now())
        runtime.outbox(session).stored_file_to_user(ALICE, stored.id, "pack-2019-07-15.pdf",
                                                    title="Agenda pack, 15 July 2019", key="pack:alice")
    fake_slack.fail_next("conversations.open", error="cannot_dm_bot")
    drain_with_time(build_sender(runtime, pacer_interval=0.0), runtime, clock)
    [email] = smtp.to("alice.ames@nhs.net")
    assert email.message["Subject"] == "Agenda pack, 15 July 2019"
    assert email.attachments == [("pack-2019-07-15.pdf", "application/pdf", b"%PDF-1.4 pack")]


def test_a_pack_too_large_to_attach_goes_as_a_link_when_slack_cannot_put_it_in_a_dm(board_runtime: Runtime, clock,
                                                                                  fake_slack: FakeSlack,
                                                                                  smtp: FakeSmtp):
    runtime = board_runtime
    with db.session_scope(runtime.sessions) as session:
        board = session.scalars(select(Board).where(Board.channel_id == CHANNEL)).one()
        meeting = meetings_store.create(session=session, board_id=board.id, date=dt.date(2019, 7, 25),
                                        starts_at=None, venue="Perceval House", now=clock.now())
        stored = files_store.put(session=session, content=b"%PDF-1.7" + bytes(LARGE_FILE),
                                 content_type="application/pdf", now=clock.now())
        packs_store.save(session=session, board_id=board.id, meeting_id=meeting.id, number=0, audience="members",
                         file=stored, filename="pack.pdf", pages=3, contents=[], separate=[], now=clock.now())
        runtime.outbox(session).stored_file_to_user(ALICE, stored.id, "pack.pdf", title="Agenda pack",
                                                    key="pack:alice")
    fake_slack.fail_next("conversations.open", error="cannot_dm_bot")
    drain_with_time(build_sender(runtime, pacer_interval=0.0), runtime, clock)
    [email] = smtp.to("alice.ames@nhs.net")
    assert email.attachments == [] and "too large to attach" in email.text
    assert f"/b/{board.slug}/enter/" in email.text  # her signed way to it on the board's pages


def test_a_failure_whose_consequences_break_is_still_recorded(runtime, clock, smtp: FakeSmtp):
    def broken(*_: Any) -> str:
        raise RuntimeError("a template that does not render")

    queue_emails(runtime, [("nobody@nhs.net", email_payload("Refused"))])
    smtp.refuse_next("550 5.1.1 no such user")
    mail_sender(runtime, smtp.url, clock, on_failed=broken).drain()
    row = rows(runtime)["mail:Refused"]
    assert row.status == OutboxStatus.FAILED and row.last_error == "SMTP 550 5.1.1 no such user"


def test_an_address_that_is_not_one_address_is_never_sent_to(runtime, clock, smtp: FakeSmtp):
    queue_emails(runtime, [("jane.smith@nhs.net, bob@met.police.uk", email_payload("Two")),
                           ("jane.smith@nhs.net", email_payload("Named", to_name="Jane <bob@met.police.uk>, x"))])
    mail_sender(runtime, smtp.url, clock).drain()
    statuses = {k: (r.status, r.last_error) for k, r in rows(runtime).items()}
    assert statuses["mail:Two"][0] == OutboxStatus.FAILED and "not one email address" in statuses["mail:Two"][1]
    assert statuses["mail:Named"][0] == OutboxStatus.SENT  # the name quoted, the address alone
    [got] = smtp.messages()
    assert [a.addr_spec for a in got.message["To"].addresses] == ["jane.smith@nhs.net"]
    assert got.recipients == ["jane.smith@nhs.net"]
