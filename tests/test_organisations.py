"""Organisation names as members type them, in-process through bot.runtime.run_command on SQLite and PostgreSQL:
a near-miss spelling of a known organisation is asked about ("Did you mean …?"), never added silently;
`new_org:yes` adds it as typed; `/lsp org list` shows the board's organisations."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import Outcome, Runtime, run_command
from handlers.organisations import looks_like
from store import db
from store.models import Member, Membership, Organisation
from tests.support.settings import ADMIN

CHANNEL, CHAIR, ALICE, BOB, CAROL = "CORGS001", "UORGCHR1", "UORGALC1", "UORGBOB1", "UORGCRL1"


def run(runtime: Runtime, user: str, text: str) -> Outcome:
    return run_command(runtime, "/lsp", user_id=user, channel_id=CHANNEL, text=text, user_name=user.lower())


def organisations(runtime: Runtime) -> list[str]:
    with db.session_scope(runtime.sessions) as session:
        return sorted(session.scalars(select(Organisation.name)))


def organisation_of(runtime: Runtime, user: str) -> str | None:
    with db.session_scope(runtime.sessions) as session:
        return session.scalar(select(Organisation.name).join(Membership, Membership.organisation_id == Organisation.id)
                              .join(Member, Member.id == Membership.member_id).where(Member.slack_user_id == user))


def test_a_near_miss_organisation_is_asked_about_not_added(runtime: Runtime) -> None:
    r = run(runtime, ADMIN, f'board create "Orgs" chair:<@{CHAIR}|chair> org:"Metropolitan Police"')
    assert r.ok, r.payload
    assert run(runtime, CHAIR, f'member add <@{CAROL}|carol> org:"Ealing & Hounslow CCG"').ok

    for typed, known in (("Met Police", "Metropolitan Police"), ("Metropolitan Police.", "Metropolitan Police"),
                         ("Ealing and Hounslow CCG", "Ealing & Hounslow CCG")):
        r = run(runtime, CHAIR, f'member add <@{ALICE}|alice> org:"{typed}"')
        shown = known.replace("&", "&amp;")  # as Slack's mrkdwn escapes it
        assert not r.ok and f"Did you mean “{shown}”?" in r.payload["text"], r.payload["text"]
        assert organisation_of(runtime, ALICE) is None
    assert organisations(runtime) == ["Ealing & Hounslow CCG", "Metropolitan Police"]

    # The examples the refusal gives work as shown: the known name, or new_org:yes for a new organisation.
    r = run(runtime, CHAIR, f'member add <@{ALICE}|alice> org:"Met Police" role:member')
    examples = r.error.examples if r.error else []
    assert examples == [f'/lsp member add <@{ALICE}|alice> org:"Metropolitan Police" role:member',
                        f'/lsp member add <@{ALICE}|alice> org:"Met Police" new_org:yes role:member'], examples
    assert run(runtime, CHAIR, examples[0].removeprefix("/lsp ")).ok
    assert organisation_of(runtime, ALICE) == "Metropolitan Police"
    r = run(runtime, CHAIR, examples[1].replace(ALICE, BOB).replace("alice", "bob").removeprefix("/lsp "))
    assert r.ok, r.payload["text"]
    assert organisation_of(runtime, BOB) == "Met Police"
    assert organisations(runtime) == ["Ealing & Hounslow CCG", "Met Police", "Metropolitan Police"]

    # Case and spaces alone name the known organisation: it is used, not added again.
    assert run(runtime, CHAIR, f'member add <@{CAROL}|carol> org:"metropolitan   POLICE"').ok
    assert organisation_of(runtime, CAROL) == "Metropolitan Police"
    assert len(organisations(runtime)) == 3

    # An outcome's lead organisation is checked the same way.
    r = run(runtime, CHAIR, 'outcome add "Safer streets" lead:"Ealing and Hounslow C.C.G."')
    assert not r.ok and "Did you mean “Ealing &amp; Hounslow CCG”?" in r.payload["text"], r.payload["text"]
    assert run(runtime, CHAIR, 'outcome add "Safer streets" lead:"Ealing & Hounslow CCG"').ok
    assert len(organisations(runtime)) == 3

    listed = run(runtime, ALICE, "org list")
    assert listed.ok
    text = "\n".join(b["text"]["text"] for b in listed.payload["blocks"] if b["type"] == "section")
    assert text == ("Ealing &amp; Hounslow CCG — no member at present\nMet Police — 1 member\n"
                    "Metropolitan Police — 3 members"), text


def test_what_counts_as_a_near_miss() -> None:
    assert looks_like("Met Police", "Metropolitan Police")
    assert looks_like("LB  Ealing", "lb ealing")
    assert looks_like("Ealing & Hounslow", "Ealing and Hounslow")
    assert not looks_like("Partner 1", "Partner 10") and not looks_like("Org 1", "Org 10")
    assert looks_like("Metropolitan Polise", "Metropolitan Police")
    assert not looks_like("Ealing PCT", "Ealing CCG")
    assert not looks_like("LB Ealing", "LB Brent")
    assert not looks_like("Ealing PCT", "Ealing Police")
    assert not looks_like("Me", "Metropolitan")
