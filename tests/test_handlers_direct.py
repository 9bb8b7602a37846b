"""The handlers called directly through the registry's dispatcher, without HTTP or Bolt: how each command's text
is read and what it decides — routing, the `board:` option, the role check, option errors, the refusals that
depend on the object, and help — on a real database (SQLite, and PostgreSQL when the tests have it).

One board is set up per module and backend; each test works in a transaction that is rolled back after it.
The clock reads Tuesday 16 July 2019, 09:30 in London.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from bot.clock import FixedClock
from handlers.base import Conflict, Forbidden, InvalidInput, NotFound, Parsed, Reply, Request, UsageError
from handlers.catalogue import REGISTRY
from handlers.registry import Command, Kind, Option, Registry, Who, dispatch, take_board_option
from tests.support.direct import Caller, RecordingNotifier, seeded_fixtures
from tests.support.settings import ADMIN, LONDON

CHANNEL, OTHER_CHANNEL, DM = "CDIRECT1", "CDIRECT2", "DDIRECT1"
CHAIR, SECRETARY, ALICE, BOB, OUTSIDER, OTHER_CHAIR = "UDCHAIR", "UDSECR", "UDALICE", "UDBOB", "UDOUT", "UDCHAIR2"
BOARD, OTHER_BOARD = "Direct Board", "Second Board"
MANAGERS_OF_BOARD = f"Only the chair, vice-chair or secretariat of {BOARD}"


def _seed(caller: Caller) -> None:
    """Two boards: the first with a chair, a secretary, Alice and Bob, a meeting on 10 October, Alice's open
    action #1, Bob's #2 due on Friday 26 July and Alice's proposal A1; the second with Alice on it too."""
    steps = [
        (ADMIN, CHANNEL, "/lsp", f'board create "{BOARD}" chair:<@{CHAIR}|chair> org:"LB Ealing"'),
        (CHAIR, CHANNEL, "/lsp", f'member add <@{SECRETARY}|secretary> org:"LB Ealing" role:secretariat'),
        (CHAIR, CHANNEL, "/lsp", f'member add <@{ALICE}|alice> org:"Ealing PCT"'),
        (CHAIR, CHANNEL, "/lsp", f'member add <@{BOB}|bob> org:"Metropolitan Police"'),
        (CHAIR, CHANNEL, "/plan", "meeting add 2019-10-10 10:00"),
        (ALICE, CHANNEL, "/action", "add Send the figures"),
        (BOB, CHANNEL, "/action", "add Book the venue by 2019-07-26"),
        (ALICE, CHANNEL, "/agenda", 'add "Youth services"'),
        (ADMIN, OTHER_CHANNEL, "/lsp", f'board create "{OTHER_BOARD}" chair:<@{OTHER_CHAIR}|c2> org:"DWP"'),
        (OTHER_CHAIR, OTHER_CHANNEL, "/lsp", f'member add <@{ALICE}|alice> org:"Ealing PCT"'),
    ]
    for user, channel, command, text in steps:
        caller.as_user(user, channel)(command, text)


sessions, session = seeded_fixtures(_seed, channel=CHANNEL, label="direct")


@pytest.fixture
def notes() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def as_chair(session: Session, clock: FixedClock, notes: RecordingNotifier) -> Caller:
    return Caller(session, clock, notes, CHAIR, CHANNEL)


def as_(caller: Caller, user: str, channel: str | None = CHANNEL) -> Caller:
    return caller.as_user(user, channel)


# ---------------------------------------------------------------- routing


def test_find_reads_aliases_case_and_the_longest_match_of_the_first_words():
    add, rest = REGISTRY.find("/action", "NEW Draft the protocol")
    assert add is REGISTRY.find("/action", "add x")[0] and add.name == "/action add" and rest == "Draft the protocol"
    meeting, rest = REGISTRY.find("/plan", "meeting edit 2019-10-10 venue:Hall")
    assert meeting.name == "/plan meeting add" and rest == "2019-10-10 venue:Hall"
    item, rest = REGISTRY.find("/plan", 'item add 2019-10-10 "Skills"')
    assert item.name == "/plan item add" and rest == '2019-10-10 "Skills"'
    outcomes, rest = REGISTRY.find("/lsp", "outcomes ls")
    assert outcomes.name == "/lsp outcome list" and rest == ""


def test_a_bare_command_with_text_goes_to_the_fallback_or_is_unknown():
    assert REGISTRY.find("/lsp", 'member list board:"Direct Board"')[0].name == "/lsp member list"
    assert REGISTRY.find("/lsp", "member")[0].name == "/lsp member list"
    assert REGISTRY.find("/lsp", "member list everyone")[0].name == "/lsp member list"  # as before: words ignored
    assert REGISTRY.find("/lsp", "member frobnicate") == (None, "member frobnicate")  # a group word, then nonsense
    assert REGISTRY.find("/lsp", 'member board:"Direct Board"')[0].name == "/lsp member list"
    update, rest = REGISTRY.find("/update", "help the youth service with funding")
    assert update.fallback and update.name == "/update" and rest == "help the youth service with funding"
    assert REGISTRY.find("/update", "help")[0].name == "/update help"


def test_the_bare_command_and_words_it_does_not_know_go_to_the_fallback():
    show, rest = REGISTRY.find("/plan", "2020")
    assert show.name == "/plan show" and rest == "2020"
    assert REGISTRY.find("/plan", "")[0].name == "/plan show"
    assert REGISTRY.find("/lsp", "")[0].name == "/lsp help"
    assert REGISTRY.find("/action", "")[0].name == "/action help"


def test_board_inside_quoted_text_stays_text_and_two_boards_are_refused():
    assert take_board_option('"Review board:structure" by Friday') == ('"Review board:structure" by Friday', None)
    assert take_board_option("Write board:Health it by Friday") == ("Write it by Friday", "Health")
    assert take_board_option("list board:") == ("list", None)
    assert take_board_option("first line\nboard:Health\nsecond line") == ("first line\nsecond line", "Health")
    assert take_board_option('it\'s "unclosed board:Health') == ('it\'s "unclosed board:Health', None)
    assert take_board_option("a board:Health board:HEALTH") == ("a", "Health")
    with pytest.raises(UsageError, match="Name one board"):
        take_board_option('a board:Health board:"LSP Executive"')


def test_the_board_option_is_taken_out_with_straight_or_curly_quotes():
    assert take_board_option('#12 board:"LSP Executive" done') == ("#12 done", "LSP Executive")
    assert take_board_option("list board:Executive") == ("list", "Executive")
    assert take_board_option("list \u201cboard\u201d") == ("list \u201cboard\u201d", None)
    assert take_board_option("list board:\u201cLSP Executive\u201d") == ("list", "LSP Executive")


def test_an_unknown_subcommand_suggests_the_commands_of_its_group(as_chair: Caller):
    with pytest.raises(UsageError) as refused:
        as_chair("/lsp", "member frobnicate <@UDBOB|bob>")
    assert refused.value.message == "`/lsp member frobnicate <@UDBOB|bob>` is not a command I know."
    assert refused.value.examples == [c.usage for c in REGISTRY.of("/lsp") if c.words[:1] == ("member",)]
    assert len(refused.value.examples) == 5  # add, remove, erase, list, email
    with pytest.raises(UsageError) as refused:
        as_chair("/lsp", "outcome frobnicate")
    assert refused.value.examples == ['/lsp outcome add "<name>" lead:"<organisation>"', "/lsp outcome list",
                                      '/lsp outcome lead "<outcome>" "<organisation>"']


def test_words_sharing_no_group_are_shown_every_usage_and_plan_reads_them_as_a_scope(as_chair: Caller):
    with pytest.raises(UsageError) as refused:
        as_chair("/action", "frobnicate #1")
    assert refused.value.examples == [c.usage for c in REGISTRY.of("/action") if c.usage][:8]
    with pytest.raises(UsageError) as refused:  # `/plan <scope>` is the fallback: it refuses a scope it can't read
        as_chair("/plan", "item frobnicate P1")
    assert refused.value.message == "`/plan item` is not a command I know."
    assert "/plan item add" in " ".join(refused.value.examples)


# ---------------------------------------------------------------- help


def test_lsp_help_lists_every_topic_with_its_commands(as_chair: Caller):
    reply = as_(as_chair, OUTSIDER, None)("/lsp", "")
    assert reply.template == "slack/help.json.j2"
    assert [t["key"] for t in reply.data["topics"]] == [t.key for t in REGISTRY.topics]
    assert reply.data["unknown"] is None
    actions = next(t for t in reply.data["topics"] if t["key"] == "action")
    assert {"usage": "/action add <text> [@owner] [by <date>] [item:<number>]",
            "summary": "record an action (owner defaults to you); `/action add` alone opens a form; during a meeting, "
                       "`item:` names the item it arose from"} \
        in actions["commands"]


def test_help_on_a_topic_by_its_name_or_alias_and_an_unknown_one(as_chair: Caller):
    for asked in ("action", "ACTIONS", "/action"):
        data = as_chair("/lsp", f"help {asked}").data
        assert [t["key"] for t in data["topics"]] == ["action"] and data["unknown"] is None, asked
    assert as_chair("/action", "help").data == as_chair("/lsp", "help action").data
    assert as_chair("/agenda", "").data == as_chair("/lsp", "help agenda").data
    unknown = as_chair("/lsp", "help frobnicate").data
    assert unknown["unknown"] == "frobnicate" and len(unknown["topics"]) == len(REGISTRY.topics)
    report = as_chair("/lsp", "help report").data["topics"][0]
    assert "/lsp report annual 2019" in [c["usage"] for c in report["commands"]]


# ---------------------------------------------------------------- /action add


def test_action_add_splits_the_owner_and_the_due_date_off_the_text(as_chair: Caller, notes: RecordingNotifier):
    reply = as_chair("/action", f"add Draft the data-sharing protocol <@{BOB}|bob> by Friday")
    action = reply.data["action"]
    assert (action["text"], action["owner_id"], action["due"]) == ("Draft the data-sharing protocol", BOB,
                                                                   dt.date(2019, 7, 19))
    assert action["ref"] == 3 and reply.template == "slack/action_added.json.j2"
    [told] = notes.sent
    assert (told.kind, told.target, told.template, told.data["reason"]) == ("user", BOB,
                                                                            "slack/action_assigned.json.j2", "assigned")


@pytest.mark.parametrize(("text", "expected", "owner", "due"), [
    ("add By Friday confirm the venue", "By Friday confirm the venue", CHAIR, None),
    ("add Due diligence on the venue", "Due diligence on the venue", CHAIR, None),
    ("add Review the protocol in 2 weeks", "Review the protocol", CHAIR, dt.date(2019, 7, 30)),
    ('add "Check @bob by Friday" @bob', "Check @bob by Friday", BOB, None),
    ("add Circulate the minutes @alice by end of month", "Circulate the minutes", ALICE, dt.date(2019, 7, 31)),
])
def test_action_add_reads_what_is_text_and_what_is_not(as_chair: Caller, text: str, expected: str, owner: str,
                                                       due: dt.date | None):
    action = as_chair("/action", text).data["action"]
    assert (action["text"], action["owner_id"], action["due"]) == (expected, owner, due)


def test_board_in_a_quoted_title_is_the_title_and_a_form_checks_the_board_named(as_chair: Caller):
    action = as_chair("/action", 'add "Review board:structure" by Friday').data["action"]
    assert (action["text"], action["board"]) == ("Review board:structure", BOARD)
    with pytest.raises(NotFound, match="There is no board called “Nope”"):
        as_chair("/action", 'add board:"Nope"')  # before the form opens, as when the command has text
    opened = as_chair("/action", f'add board:"{BOARD}"')
    assert opened.open_modal is not None and opened.open_modal["data"]["board"]["name"] == BOARD


def test_action_add_refuses_a_past_date_someone_off_the_board_and_no_text(as_chair: Caller):
    with pytest.raises(InvalidInput) as refused:
        as_chair("/action", "add Send the report by 1 June 2019")
    assert "which is in the past" in refused.value.message and refused.value.field == "due"
    with pytest.raises(InvalidInput) as refused:
        as_chair("/action", f"add Send the report <@{OUTSIDER}|out>")
    assert f"is not a member of {BOARD}" in refused.value.message and refused.value.field == "owner"
    with pytest.raises(UsageError, match="The action text is empty"):
        as_chair("/action", "add by Friday")


def test_action_add_is_for_members_only_admins_included(as_chair: Caller):
    for user in (OUTSIDER, ADMIN):
        with pytest.raises(Forbidden) as refused:
            as_(as_chair, user)("/action", "add Anything")
        assert refused.value.message == f"You are not a member of {BOARD}. Ask its chair or secretariat to add you."


def test_action_add_alone_opens_the_form_with_the_help_behind_it(as_chair: Caller):
    reply = as_chair("/action", "add")
    assert reply.open_modal is not None and reply.open_modal["data"]["board"]["name"] == BOARD
    assert reply.template == "slack/help.json.j2" and reply.data["topics"][0]["key"] == "action"


# ---------------------------------------------------------------- /action list and show


def _refs(reply: Reply) -> list[int]:
    return [a["ref"] for a in reply.data["actions"]]


def test_action_list_scopes(as_chair: Caller, clock: FixedClock):
    alice, bob = as_(as_chair, ALICE), as_(as_chair, BOB)
    assert (alice("/action", "list").data["title"], _refs(alice("/action", "list"))) == ("Your open actions", [1])
    assert _refs(bob("/action", "ls mine")) == [2]
    assert _refs(as_chair("/action", "list")) == [] and as_chair("/action", "list").data["total"] == 0
    assert sorted(_refs(as_chair("/action", "list all"))) == [1, 2]
    by_bob = as_chair("/action", f"list <@{BOB}|bob>")
    assert _refs(by_bob) == [2] and by_bob.data["title"] == "Open actions of bob"
    assert _refs(as_chair("/action", "list overdue")) == []
    clock.set(dt.datetime(2019, 8, 1, 9, 0, tzinfo=LONDON))
    overdue = as_chair("/action", "list OVERDUE")
    assert _refs(overdue) == [2] and overdue.data["actions"][0]["overdue_days"] == 6
    alice("/action", "done #1 Sent")
    assert _refs(as_chair("/action", "list done")) == [1] and _refs(as_chair("/action", "list dropped")) == []


def test_action_list_refuses_a_scope_it_does_not_know(as_chair: Caller):
    with pytest.raises(UsageError, match="`/action list soon` is not a list I know."):
        as_chair("/action", "list soon")
    with pytest.raises(InvalidInput, match=f"is not a member of {BOARD}"):
        as_chair("/action", f"list <@{OUTSIDER}|out>")


def test_action_show_and_a_reference_that_is_not_there(as_chair: Caller):
    shown = as_(as_chair, BOB)("/action", "show #1")
    assert shown.data["action"]["text"] == "Send the figures" and shown.data["can_edit"] is False
    assert as_(as_chair, SECRETARY)("/action", "show 1").data["can_edit"] is True
    with pytest.raises(NotFound, match=f"There is no action #99 on {BOARD}."):
        as_chair("/action", "show #99")
    with pytest.raises(UsageError, match="Which action?"):
        as_chair("/action", "show")
    with pytest.raises(UsageError, match="`#x` is not an action reference."):
        as_chair("/action", "show #x")


# ---------------------------------------------------------------- changing an action


def test_only_the_owner_and_the_boards_managers_change_an_action(as_chair: Caller, notes: RecordingNotifier):
    with pytest.raises(Forbidden) as refused:
        as_(as_chair, BOB)("/action", "done #1")
    assert refused.value.message == ("Only alice (the owner), the chair, the vice-chair or the secretariat "
                                     "can change #1.")
    as_(as_chair, SECRETARY)("/action", "update #1 Chased the figures")
    assert [(s.target, s.data["change"]) for s in notes.sent] == [(ALICE, "progress")]
    done = as_(as_chair, ALICE)("/action", "close #1 Sent on Monday")
    assert (done.data["change"], done.data["action"]["status"], done.data["note"]) == ("done", "done", "Sent on Monday")
    assert len(notes.sent) == 1, "the owner is not told about her own change"


def test_a_closed_action_is_a_conflict_until_it_is_reopened(as_chair: Caller):
    alice = as_(as_chair, ALICE)
    alice("/action", "done #1")
    with pytest.raises(Conflict, match=r"#1 was closed by alice a moment ago, so nothing has changed. If it is still needed, reopen it with `/action reopen #1`."):
        alice("/action", "update #1 More figures")
    assert alice("/action", "reopen #1").data["action"]["status"] == "open"
    with pytest.raises(Conflict, match="#1 was reopened by alice a moment ago, so nothing has changed."):
        alice("/action", "reopen #1")


def test_drop_needs_a_reason_and_reassign_a_new_owner(as_chair: Caller, notes: RecordingNotifier):
    with pytest.raises(UsageError, match="Say why #2 is being dropped."):
        as_chair("/action", "drop #2   ")
    with pytest.raises(UsageError, match="Reassign to whom?"):
        as_chair("/action", "reassign #2")
    with pytest.raises(Conflict, match="#2 is already bob's."):
        as_chair("/action", f"reassign #2 <@{BOB}|bob>")
    as_chair("/action", f"reassign #2 <@{ALICE}|alice>")
    assert [(s.target, s.template) for s in notes.sent] == [(ALICE, "slack/action_assigned.json.j2"),
                                                           (BOB, "slack/action_changed.json.j2")]


def test_a_new_due_date_is_read_in_the_boards_zone(as_chair: Caller):
    with pytest.raises(UsageError, match="What is the new due date?"):
        as_chair("/action", "due #2")
    with pytest.raises(InvalidInput, match="I couldn't read"):
        as_chair("/action", "due #2 the twelfth of never")
    assert as_chair("/action", "due #2 next meeting").data["action"]["due"] == dt.date(2019, 10, 10)


# ---------------------------------------------------------------- the board, and who may


def test_the_board_comes_from_the_channel_the_option_or_ones_only_board(as_chair: Caller):
    bob_in_dm = as_(as_chair, BOB, DM)
    assert bob_in_dm("/action", "list").data["board"] == BOARD  # his only board
    alice_in_dm = as_(as_chair, ALICE, DM)
    with pytest.raises(UsageError) as refused:
        alice_in_dm("/action", "list")
    assert refused.value.message == (f"You sit on several boards (“{BOARD}”, “{OTHER_BOARD}”). Use the board's "
                                     "channel, or name it with `board:\"Name\"`.")
    assert alice_in_dm("/action", f'list board:"{OTHER_BOARD}"').data["board"] == OTHER_BOARD
    assert alice_in_dm("/action", f'list mine board:"{BOARD}"').data["actions"][0]["ref"] == 1
    assert as_(as_chair, ALICE)("/lsp", f'member list board:"{OTHER_BOARD}"').data["board"] == OTHER_BOARD
    with pytest.raises(NotFound, match="There is no board called “Nope”."):
        alice_in_dm("/action", 'list board:"Nope"')
    with pytest.raises(Forbidden, match="You are not a member of any board yet"):
        as_(as_chair, OUTSIDER, DM)("/action", "list")


def test_a_req_carries_the_board_and_the_actor_the_dispatcher_resolved(as_chair: Caller):
    seen: list[Request] = []

    def handle_probe(req: Request) -> Reply:
        seen.append(req)
        return Reply("slack/agenda_note.json.j2", {"text": "seen"})

    probe = Registry([Command("/probe", ("look",), handle_probe, usage="/probe look", summary="",
                              parsed=True, options=(Option("lead"),))])
    req = as_(as_chair, SECRETARY, DM).request(f'look P1 lead:"LB Ealing" board:"{BOARD}"')
    dispatch(probe, "/probe", req)
    assert seen == [req] and req.board.name == BOARD and req.actor.member.slack_user_id == SECRETARY
    assert req.actor.manages_board and not req.actor.is_chair
    assert req.rest == 'P1 lead:"LB Ealing"' and [a.value for a in req.parsed.args] == ["P1"]
    assert req.parsed.options == {"lead": "LB Ealing"}


@pytest.mark.parametrize(("user", "command", "text", "refusal"), [
    (ALICE, "/lsp", f"member add <@{OUTSIDER}|o> org:X", f"{MANAGERS_OF_BOARD} can add members."),
    (BOB, "/plan", "meeting add 2019-11-14", f"{MANAGERS_OF_BOARD} can change the meetings."),
    (SECRETARY, "/lsp", "board set chase_lead_days 5", f"Only the chair of {BOARD} (or an lspbot admin) can change its "
                                                       "settings."),
    (ALICE, "/agenda", "approve A1", f"{MANAGERS_OF_BOARD} can decide on proposals."),
    (ADMIN, "/agenda", "approve A1", f"{MANAGERS_OF_BOARD} can decide on proposals."),  # decisions need a member
    (CHAIR, "/lsp", 'board create "Another" chair:<@UX1|x>', "Only lspbot admins (LSPBOT_ADMINS) can create boards."),
    (OUTSIDER, "/plan", "", f"You are not a member of {BOARD}. Ask its chair or secretariat to add you."),
])
def test_the_role_check_refuses_in_the_words_of_who_may(as_chair: Caller, user: str, command: str, text: str,
                                                        refusal: str):
    with pytest.raises(Forbidden) as refused:
        as_(as_chair, user)(command, text)
    assert refused.value.message == refusal


def test_admins_manage_any_board_but_only_the_chair_or_an_admin_hands_the_chair_over(as_chair: Caller):
    assert as_(as_chair, ADMIN)("/plan", "meeting add 2019-11-14").data["change"] == "added"
    with pytest.raises(Forbidden, match=r"Only the chair of .* \(or an lspbot admin\) can hand the chair over."):
        as_(as_chair, SECRETARY)("/lsp", f"member add <@{BOB}|bob> role:chair")
    with pytest.raises(InvalidInput, match="`boss` is not a role."):
        as_chair("/lsp", f"member add <@{BOB}|bob> role:boss")
    with pytest.raises(Forbidden, match="is the only chair of .* Hand the chair over first"):
        as_(as_chair, SECRETARY)("/lsp", f"member remove <@{CHAIR}|chair>")


# ---------------------------------------------------------------- options


def test_declared_options_are_read_and_checked_by_kind(as_chair: Caller):
    parsed: list[Parsed] = []

    def handle_probe(req: Request) -> Reply:
        parsed.append(req.parsed)
        return Reply("slack/agenda_note.json.j2", {"text": "ok"})

    probe = Registry([Command("/probe", ("set",), handle_probe, usage="/probe set rag:<red|amber|green>",
                              summary="", board=False, who=Who.ANYONE, parsed=True, examples=("/probe set rag:red",),
                              options=(Option("rag", Kind.CHOICE, required=True, choices=("red", "amber", "green")),
                                       Option("every", Kind.NUMBER, low=1, high=12, aliases=("each",)),
                                       Option("from", Kind.PHRASE)))])
    dispatch(probe, "/probe", as_chair.request("set Slipping rag:amber each:3 from:9 January 2020"))
    assert parsed[0].options == {"rag": "amber", "every": "3", "from": "9 January 2020"}
    assert [a.value for a in parsed[0].args] == ["Slipping"]
    with pytest.raises(UsageError) as refused:
        dispatch(probe, "/probe", as_chair.request("set every:2"))
    assert refused.value.message == "`/probe set` needs `rag:`."
    assert refused.value.examples == ["/probe set rag:<red|amber|green>", "/probe set rag:red"]
    with pytest.raises(InvalidInput) as refused:
        dispatch(probe, "/probe", as_chair.request("set rag:purple"))
    assert refused.value.field == "rag" and refused.value.examples == ["rag:red", "rag:amber", "rag:green"]
    for every in ("0", "13", "²", "-1"):
        with pytest.raises(InvalidInput, match=f"`every:{every}` must be a whole number from 1 to 12."):
            dispatch(probe, "/probe", as_chair.request(f"set rag:red every:{every}"))


@pytest.mark.parametrize(("text", "error", "says"), [
    ('item add 2019-10-10 "Skills strategy" kind:urgent lead:"LB Ealing"', InvalidInput,
     "“urgent” is not a kind of item."),
    ('item add 2019-10-10 "Skills strategy"', UsageError, "Who leads this item?"),
    ('item add 2019-10-10 "Skills strategy" lead:LB Ealing', UsageError,
     "“Ealing” is not part of the title or of any option."),
    ('item add "Skills strategy" lead:"LB Ealing"', UsageError, "For which meeting?"),
    ('item add 2019-11-14 "Skills strategy" lead:"LB Ealing"', NotFound,
     f"{BOARD} has no meeting on Thursday 14 November 2019."),
    ("item add 2019-10-10", UsageError, "Give a date and a title."),
    ('item add 2019-10-10 "" lead:"LB Ealing"', UsageError, "The title is empty."),
])
def test_plan_item_add_refuses_what_it_cannot_place(as_chair: Caller, text: str, error: type, says: str):
    with pytest.raises(error) as refused:
        as_chair("/plan", text)
    assert refused.type is error and refused.value.message.startswith(says), refused.value.message


def test_plan_item_add_then_the_same_title_again(as_chair: Caller):
    added = as_chair("/plan", 'item add 2019-10-10 "Skills strategy" kind:decision lead:"LB Ealing/DWP"')
    assert (added.data["item"]["title"], added.data["meeting"]["date"]) == ("Skills strategy", dt.date(2019, 10, 10))
    with pytest.raises(Conflict, match="“Skills strategy” is already on the plan for 10 October 2019."):
        as_chair("/plan", 'item add 2019-10-10 "Skills strategy" lead:"LB Ealing"')


# ---------------------------------------------------------------- /agenda


def test_agenda_decline_needs_a_reason_and_tells_the_proposer(as_chair: Caller, notes: RecordingNotifier):
    for text in ("decline A1", "decline A1    "):
        with pytest.raises(UsageError, match="Say why, so the proposer and the board know."):
            as_chair("/agenda", text)
    reply = as_chair("/agenda", "decline A1 Covered under the Borough Plan update")
    assert reply.data["text"] == "Declined A1 “Youth services”: the reason is kept with it."
    [told] = notes.to(ALICE)
    assert told.template == "slack/agenda_proposal_result.json.j2" and told.data["p"]["reason"] == \
        "Covered under the Borough Plan update"
    again = as_(as_chair, SECRETARY)("/agenda", "approve A1")
    assert "was declined by chair a moment ago, so nothing has changed" in again.data["text"] and len(notes.to(ALICE)) == 1


def test_agenda_refers_to_proposals_by_their_reference(as_chair: Caller):
    with pytest.raises(UsageError, match="Which proposal?"):
        as_chair("/agenda", "approve")
    with pytest.raises(UsageError, match="`X1` is not a proposal reference."):
        as_chair("/agenda", "approve X1")
    with pytest.raises(NotFound, match=f"There is no proposal A99 on {BOARD}."):
        as_chair("/agenda", "approve A99")
    assert as_chair("/agenda", "approve #1").data["text"].startswith("Approved A1 “Youth services”")


def test_agenda_add_for_a_named_meeting_and_twice(as_chair: Caller):
    bob = as_(as_chair, BOB)
    with pytest.raises(NotFound, match=f"{BOARD} has no meeting on"):
        bob("/agenda", 'add "Knife crime" for:14 November 2019')
    proposed = bob("/agenda", 'propose "Knife crime" lead:"Metropolitan Police" for:10 October 2019')
    assert (proposed.data["p"]["ref"], proposed.data["p"]["lead"]) == (2, "Metropolitan Police")
    with pytest.raises(Conflict, match=r"“knife crime” is already proposed for that meeting \(A2, pending\)."):
        bob("/agenda", 'add "knife crime"')
