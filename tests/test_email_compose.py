"""The emails composed from Slack messages: the generic conversion of Block Kit (escaping, formatting, mentions as
names, links, buttons as answer links that verify for the right person, kind and object, no script anywhere) and
each main message's own templates, rendered with the data its Slack message has."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from bot.email import mrkdwn
from bot.email.compose import email_from_slack
from bot.render.environment import Renderer, mention, mrkdwn as escape_mrkdwn
from handlers.chase import CHASE_TEMPLATE, chase_item, chase_message
from handlers.ids import ActionId
from handlers.links import Answer, Links
from store.names import naming
from store.outbox import EmailTo

RENDERER = Renderer()
LINKS = Links("https://lsp.example.org", "a test key")
NOW = dt.datetime(2019, 7, 16, 9, 30, tzinfo=dt.UTC)
TO = EmailTo("mail:00000000a1", 41, "Jane Smith", "jane.smith@nhs.example.org", True)
NAMES = {"UALICE": "Alice Jones", "mail:00000000a1": "Jane Smith", "mail:00000000b2": "Bob <Brown> & Co"}
EVIL = "<script>alert('x')</script> & <b>bold</b>"


def now() -> dt.datetime:
    return NOW


def email_of(template: str, data: dict[str, Any], to: EmailTo = TO) -> dict[str, Any]:
    with naming(NAMES.get):
        message = RENDERER(template, data)
        email = RENDERER.email(template, data, message, to, links=LINKS, now=now)
    assert email is not None
    return email


def answer_links(email: dict[str, Any]) -> set[tuple[Answer, int, int]]:
    """Every answer link of an email (HTML and text alike), read back: (kind, person, object)."""
    tokens = set(re.findall(r"https://lsp\.example\.org/a/([A-Za-z0-9_.\-]+)", email["html"] + email["text"]))
    assert tokens
    read = [LINKS.read_answer(token, now) for token in tokens]
    return {(a.kind, a.member_id, a.object_id) for a in read}


def assert_safe(email: dict[str, Any]) -> None:
    html = email["html"].lower()
    assert "<script" not in html and "javascript:" not in html and "<img" not in html
    assert email["_method"] == "email" and email["member"] == TO.user_id and email["to_name"] == "Jane Smith"
    assert email["html"].startswith("<!DOCTYPE html>") and "<table" in email["html"]


def test_the_generic_conversion_escapes_formats_names_and_links():
    with naming(NAMES.get):
        bob = mention("mail:00000000b2")  # an email-only member: their name, escaped for mrkdwn
    payload = {"text": "A note about *things*", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Heads & tails"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*Bold* _italic_ ~gone~ `a < b` {escape_mrkdwn(EVIL)} by <@UALICE> for {bob}"
            " in <#C123|general> on <!date^1563264000^{date}|16 Jul 2019> — <https://example.org/a?b=1&amp;c=2|the "
            "page> and <javascript:alert(1)|a trap>\n```line one\n<pre>```")}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Due*\nFri 19 Jul"},
                                       {"type": "mrkdwn", "text": "*Owner*\n<@UALICE>"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ":warning: small print"}]},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": ActionId.ACTION_DONE.value, "value": "77|chase:1:2:2019-07-16T08:30Z",
             "text": {"type": "plain_text", "text": "Done"}, "style": "primary"},
            {"type": "button", "action_id": ActionId.PACK_APPROVE.value, "value": "5",
             "text": {"type": "plain_text", "text": "Approve"}}]},
    ]}
    with naming(NAMES.get):
        email = RENDERER.email("slack/member_note.json.j2", {"board": "LSP Executive"}, payload, TO, links=LINKS,
                               now=now)
    assert email is not None
    assert_safe(email)
    html, text = email["html"], email["text"]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html or \
        "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<strong>Bold</strong>" in html and "<em>italic</em>" in html and "<s>gone</s>" in html
    assert ">a &lt; b</code>" in html and "&lt;pre&gt;</pre>" in html
    assert "Alice Jones" in html and "Bob &lt;Brown&gt; &amp; Co" in html and "#general" in html
    assert "16 Jul 2019" in html and "<!date" not in html and "<@" not in html
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html and ">the page</a>" in html
    assert "a trap" in html and 'href="javascript' not in html
    assert "Heads &amp; tails" in html and "⚠️ small print" in html
    assert "Approve" not in html  # a button with no answer page needs Slack: left out
    assert "Alice Jones" in text and "the page (https://example.org/a?b=1&c=2)" in text and EVIL in text
    assert email["subject"] == "LSP Executive: A note about things"
    assert answer_links(email) == {(Answer.ACTION, 41, 77)}


def test_mrkdwn_to_text_and_html_agree_on_entities():
    assert mrkdwn.to_text("&lt;b&gt; &amp; <@U1|fallback>") == "<b> & fallback"
    assert mrkdwn.to_html("&lt;b&gt; &amp; <@U1|fallback>") == "&lt;b&gt; &amp; fallback"
    assert mrkdwn.plain("*Reminder:* 2 actions on _LSP_") == "Reminder: 2 actions on LSP"
    assert mrkdwn.to_html("snake_case_name and 2*3*4") == "snake_case_name and 2*3*4"


def test_action_assigned_has_its_own_email_with_the_answer_link():
    action = {"id": 12, "ref": 7, "board": "LSP Executive", "board_id": 3, "text": f"Circulate {EVIL}",
              "owner_id": TO.user_id, "owner_name": "Jane Smith", "due": dt.date(2019, 7, 26), "overdue_days": 0,
              "due_today": False, "status": "open", "last_note": None, "permalink": None}
    email = email_of("slack/action_assigned.json.j2", {"action": action, "by": "UALICE", "reason": "assigned"})
    assert_safe(email)
    assert email["subject"] == "LSP Executive: An action for you"
    assert "Alice Jones gave you an action on LSP Executive" in email["text"]
    assert "&lt;script&gt;" in email["html"] and "due Fri 26 Jul 2019" in email["text"]
    assert answer_links(email) == {(Answer.ACTION, 41, 12)}


def test_the_action_chaser_links_each_unanswered_action():
    today = dt.date(2019, 7, 16)
    items = [chase_item(action_id=101, ref=1, text="Report on the pilot", due=dt.date(2019, 7, 12), today=today,
                        key="chase:1"),
             chase_item(action_id=102, ref=2, text=EVIL, due=dt.date(2019, 7, 18), today=today, key="chase:1")]
    email = email_of(CHASE_TEMPLATE, chase_message(board="LSP Executive", owner_slack_id=TO.user_id, items=items,
                                                   today=today))
    assert_safe(email)
    assert "Good morning Jane Smith" in email["text"] and "overdue by 4 days" in email["text"]
    assert "due in 2 days" in email["text"] and "&lt;script&gt;" in email["html"]
    assert answer_links(email) == {(Answer.ACTION, 41, 101), (Answer.ACTION, 41, 102)}


def test_the_partner_update_request_links_the_update_and_attendance():
    data = {"board": "LSP Executive", "board_id": 3, "meeting_id": 9, "organisation": "Ealing CCG",
            "meeting_date": dt.date(2019, 7, 25), "venue": "Perceval House", "reply_by": dt.date(2019, 7, 23),
            "second": False}
    email = email_of("slack/reminder_update_request.json.j2", data)
    assert_safe(email)
    assert "please send Ealing CCG's update by Tuesday 23 July 2019" in email["text"]
    assert answer_links(email) == {(Answer.UPDATE, 41, 3), (Answer.ATTENDANCE, 41, 9)}


@pytest.mark.parametrize("step", ["lead", "chase"])
def test_the_quarterly_reminder_links_the_return(step: str):
    data = {"board": "LSP Executive", "board_id": 3, "quarter": "Q1 2019/20", "deadline": dt.date(2019, 7, 31),
            "step": step, "items": [{"name": "Reduce youth reoffending", "lead": "Jane Smith"}]}
    email = email_of("slack/reminder_quarterly.json.j2", data)
    assert_safe(email)
    assert "Reduce youth reoffending" in email["text"] and "Wednesday 31 July 2019" in email["text"]
    assert answer_links(email) == {(Answer.RETURN, 41, 3)}


def test_the_pack_and_minutes_notices_have_their_own_emails():
    pack = {"title": "Agenda pack", "board": "LSP Executive", "date": dt.date(2019, 7, 25), "time": "10:00",
            "venue": "Perceval House", "publication": dt.date(2019, 7, 18), "pages": 42,
            "items": [{"number": 1, "title": "Welcome", "lead": "Chair", "private": False, "first_page": None,
                       "separate": False, "broken": False},
                      {"number": 2, "title": EVIL, "lead": "", "private": True, "first_page": 3, "separate": False,
                       "broken": False}],
            "link": "https://lsp.example.org/b/lsp-executive/meetings/2019-07-25/", "members": True,
            "meeting_id": 9}
    email = email_of("slack/pack.json.j2", {"kind": "published", "pack": pack})
    assert_safe(email)
    assert "members' copy" in email["text"] and "&lt;script&gt;" in email["html"] and "42 pages" in email["text"]
    assert 'href="https://lsp.example.org/b/lsp-executive/meetings/2019-07-25/"' in email["html"]
    minutes = {"board": "LSP Executive", "status": "circulated", "intro": "circulated", "version": 2,
               "meeting": {"date": dt.date(2019, 7, 11), "venue": "Perceval House"},
               "circulated": {"by": "Sam Secretary", "on": dt.date(2019, 7, 15)}, "web_url": None,
               "items": [{"minute": "19/41", "number": 1, "title": "Youth services", "outcome_label": "Agreed",
                          "decision": EVIL}]}
    message = {"text": "Minutes — LSP Executive", "blocks": []}
    composed = RENDERER.email("slack/minutes.json.j2", minutes, message, TO, links=LINKS, now=now)
    assert composed is not None
    assert_safe(composed)
    assert "Circulated by Sam Secretary on Monday 15 July 2019" in composed["text"]
    assert "19/41" in composed["html"] and "&lt;script&gt;" in composed["html"]


def test_an_optional_digest_has_list_unsubscribe_and_none_for_who_stopped_them():
    data = {"board": "LSP Executive", "actions": [], "left": [], "escalate_after": 3,
            "unreachable": [{"user_id": "mail:00000000b2", "name": "Bob Brown", "why": "no address confirmed"}]}
    email = email_of("slack/digest_escalated.json.j2", data)
    assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = email["headers"]["List-Unsubscribe"].strip("<>").rsplit("/a/", 1)[1]
    read = LINKS.read_answer(token, now)
    assert (read.kind, read.member_id, read.object_id) == (Answer.UNSUBSCRIBE, 41, 41)
    assert "Stop these digests by email" in email["html"] and "Bob Brown: no address confirmed" in email["text"]
    stopped = TO._replace(digests=False)
    with naming(NAMES.get):
        message = RENDERER("slack/digest_escalated.json.j2", data)
        assert RENDERER.email("slack/digest_escalated.json.j2", data, message, stopped, links=LINKS, now=now) is None
    assert "List-Unsubscribe" not in email_of("slack/action_assigned.json.j2", {
        "action": {"id": 1, "ref": 1, "board": "B", "text": "t", "due": None, "status": "open", "overdue_days": 0,
                   "due_today": False, "permalink": None}, "by": "UALICE", "reason": "assigned"})["headers"]


def test_email_from_slack_keeps_its_signature_for_the_sender_fallback():
    payload = {"text": "Reminder", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hi* &amp; bye"}},
                                              {"type": "actions", "elements": [{
                                                  "type": "button", "action_id": ActionId.MEETING_APOLOGIES.value,
                                                  "value": "9", "text": {"type": "plain_text", "text": "Apologies"}}]}]}
    email = email_from_slack(payload, to_name="Alice Jones", member="UALICE",
                             answer_link=lambda action_id, value: f"https://lsp.example.org/x/{action_id}/{value}")
    assert email["subject"] == "Reminder" and email["to_name"] == "Alice Jones" and email["member"] == "UALICE"
    assert "<strong>Hi</strong> &amp; bye" in email["html"] and "Hi* & bye" in email["text"]
    assert "https://lsp.example.org/x/meeting_apologies/9" in email["text"]
    assert set(email) == {"_method", "subject", "text", "html", "headers", "attachments", "to_name", "member"}


def test_a_paper_chaser_by_email_asks_for_the_paper_by_reply():
    item = {"id": 7, "ref": "P4", "title": "Annual report <draft>", "meeting": dt.date(2019, 10, 10),
            "deadline": dt.date(2019, 9, 27), "state": "overdue", "days": 2, "author": "Jane Smith"}
    email = email_of("slack/paper_chase.json.j2", {"board": "LSP Executive", "to": "author", "items": [item]})
    assert_safe(email)
    assert email["subject"] == "LSP Executive: Papers for the agenda pack"
    assert "P4 Annual report <draft>" in email["text"] and "Annual report &lt;draft&gt;" in email["html"]
    assert "overdue by 2 working days" in email["text"]
    assert "reply to this email with the paper attached" in email["text"]
