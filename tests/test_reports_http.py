"""The quarterly performance report and the annual report: Block Kit, then Word, Markdown and a PNG
chart in the requester's DM (read back from what was sent), and `lspbot report annual` on the CLI.

The server's clock starts on Tuesday 16 July 2019, in quarter 2019-Q2 (Jul–Sep) of the year 2019/20: the
returns being collected, and the report shown unless a quarter is named, are for 2019-Q1 (Apr–Jun), just ended.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.waiting import wait_until
from tests.support.server import BoardFixture, DemoRun, ServerProcess, load_plan, run_lspbot, sql

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def seed_a_quarter(server: ServerProcess, board: BoardFixture, tmp_path: Path) -> None:
    """Two meetings held this year, four tracked items with returns over three quarters (the last, Q1 2019/20,
    by default), five actions."""
    load_plan(server, board, tmp_path)  # 15 July 2019 (held, one item), 10 October, 20 January
    board_id = f"(SELECT id FROM boards WHERE channel_id = '{board.channel_id}')"
    sql(server, f"UPDATE meetings SET theme = 'Northolt', venue = 'Perceval House' WHERE board_id = {board_id} "
                "AND date = :d", d="2019-07-15")
    sql(server, f"INSERT INTO meetings (board_id, date, venue, theme, created_at) VALUES ({board_id}, :d, "
                "'Southall Town Hall', 'Borough Plan outcomes', :at)", d="2019-04-08", at="2019-03-01 10:00:00")
    chair, alice, bob = board.chair, board.alice, board.bob
    chair.command("/lsp", 'outcome add "Healthy lives" lead:"Ealing PCT"')
    chair.command("/lsp", 'outcome add "Safer streets" lead:"Metropolitan Police"')
    chair.command("/lsp", 'outcome add "Good jobs" lead:"LB Ealing"')
    chair.command("/lsp", f'project add "Southall joined-up approach" lead:<@{bob.user_id}|bob> "Partners mapped"')
    for text in ('quarterly "Healthy lives" rag:red Flu uptake low quarter:2018-Q3',
                 'quarterly "Healthy lives" rag:green Uptake recovered quarter:2018-Q4',
                 'quarterly "Healthy lives" rag:amber GP access behind target'):
        assert "recorded" in alice.command("/update", text).text
    assert "recorded" in bob.command("/update", 'quarterly "Safer streets" rag:green Knife crime down 8%').text
    assert "recorded" in bob.command("/update", "quarterly Southall rag:red Venue fell through").text
    # Actions by partner: Police 2 (one done on time, one overdue), PCT 2 (one done late, one open), LB Ealing 1 dropped.
    chair.command("/action", f"add Circulate the Northolt recommendations <@{bob.user_id}|bob> by Friday")
    chair.command("/action", f"add Map youth support <@{alice.user_id}|alice> by 2019-09-30")
    alice.command("/action", "add Share flu data by 2019-08-01")
    bob.command("/action", "add Knife crime briefing by 2019-08-01")
    board.secretary.command("/action", "add Draw up a venue rota by 2019-08-01")
    sql(server, f"UPDATE actions SET due_date = :d WHERE board_id = {board_id} AND ref = 3", d="2019-07-01")
    sql(server, f"UPDATE actions SET due_date = :d WHERE board_id = {board_id} AND ref = 4", d="2019-07-05")
    bob.command("/action", "done #1 Sent")
    alice.command("/action", "done #3 Shared at last")
    board.secretary.command("/action", "drop #5 Partners host in turn instead")


def sent_report(server: ServerProcess, fake_slack: FakeSlack, user_id: str, stem: str) -> tuple[docx.document.Document, str]:
    """The report's Word document and Markdown sent to a user's DM, read back from the outbox once Slack
    has all three files; its chart must be a real PNG."""
    fake_slack.wait_for("files.completeUploadExternal", 3, timeout=30)
    rows = db_rows(server.database_url, "SELECT payload FROM outbox WHERE target = :u AND target_kind = 'user' "
                   "ORDER BY id", u=user_id)
    payloads = [json.loads(p) if isinstance(p, str) else p for (p,) in rows]
    files = {p["filename"]: bytes.fromhex(p["content_hex"]) for p in payloads if p.get("_method") == "files.upload"}
    assert set(files) == {f"{stem}.docx", f"{stem}.md", f"{stem}-chart.png"}
    assert_png(files[f"{stem}-chart.png"])
    return docx.Document(io.BytesIO(files[f"{stem}.docx"])), files[f"{stem}.md"].decode()


def table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def assert_png(data: bytes) -> None:
    assert data[:8] == PNG_SIGNATURE and len(data) > 10_000


def test_quarterly_report_in_slack_then_word_markdown_and_chart(server, board, fake_slack: FakeSlack, tmp_path):
    seed_a_quarter(server, board, tmp_path)
    fake_slack.reset()
    r = board.alice.command("/lsp", "report quarter")  # in July: April-June, the quarter just ended
    assert r.status == 200 and r.json()["response_type"] == "ephemeral"
    t = r.text
    assert "Performance — Q1 2019/20 (Apr–Jun 2019)" in t and "quarter in progress" not in t
    assert "1 green, 1 amber, 1 red, 1 without a return" in t
    assert (":red_circle: Q3 2018/19   :large_green_circle: Q4 2018/19   :large_orange_circle: Q1 2019/20\n"
            "*Amber* — alice\n>GP access behind target") in t
    assert ":white_circle: *Good jobs* (outcome) — lead LB Ealing" in t and "No return for Q1 2019/20 yet" in t
    assert f"*Southall joined-up approach* (project) — lead <@{board.bob.user_id}> (Metropolitan Police)" in t
    assert "*Actions this quarter:* 0 raised, 0 completed, 0 overdue" in t  # all five were raised in July
    assert "on their way to your DM" in t

    stem = "-".join(board.name.lower().split()) + "-2019-Q1-performance"
    document, markdown = sent_report(server, fake_slack, board.alice.user_id, stem)
    assert document.paragraphs[0].style.name == "Title"
    assert document.paragraphs[0].text == f"{board.name}: Borough Plan performance, Q1 2019/20 (Apr–Jun 2019)"
    summary, rag = (table_rows(t) for t in document.tables[:2])
    assert summary[1:] == [["Green", "1"], ["Amber", "1"], ["Red", "1"], ["No return", "1"]]
    assert rag[0] == ["Item", "Kind", "Lead", "Q2 2018/19", "Q3 2018/19", "Q4 2018/19", "Q1 2019/20 (this quarter)"]
    assert rag[1] == ["Healthy lives", "outcome", "Ealing PCT", "no return", "Red", "Green", "Amber"]
    assert rag[3] == ["Good jobs", "outcome", "LB Ealing", "no return", "no return", "no return", "no return"]
    assert rag[4] == ["Southall joined-up approach", "project", "bob (Metropolitan Police)", "no return", "no return",
                      "no return", "Red"]
    texts = [p.text for p in document.paragraphs]
    assert "GP access behind target" in texts and "No return received for this quarter." in texts
    assert len(document.inline_shapes) == 1  # the chart
    assert "| Healthy lives | outcome | Ealing PCT | no return | Red | Green | Amber |" in markdown
    assert f"![RAG status over the last four quarters, and actions by partner organisation]({stem}-chart.png)" \
        in markdown


def test_a_named_quarter_and_bad_report_requests(server, board, fake_slack, tmp_path):
    seed_a_quarter(server, board, tmp_path)
    fake_slack.reset()
    # The quarter in progress, named: no return is due for it yet, and this quarter's actions are counted.
    r = board.alice.command("/lsp", "report quarter 2019-Q2")
    t = r.text
    assert "Performance — Q2 2019/20 (Jul–Sep 2019)" in t and "quarter in progress, as at" in t
    assert "0 green, 0 amber, 0 red, 4 without" in t
    assert ":large_orange_circle: Q1 2019/20   :heavy_minus_sign: Q2 2019/20" in t
    assert "*Actions this quarter:* 5 raised, 2 completed, 1 overdue" in t
    assert "• Metropolitan Police: 2 raised, 1 completed, 1 overdue" in t
    stem = "-".join(board.name.lower().split()) + "-2019-Q2-performance"
    document, _ = sent_report(server, fake_slack, board.alice.user_id, stem)
    rag, actions = (table_rows(t) for t in document.tables[1:])
    assert rag[1] == ["Healthy lives", "outcome", "Ealing PCT", "Red", "Green", "Amber", "not yet due"]
    assert actions[1:] == [["Ealing PCT", "2", "1", "0"], ["LB Ealing", "1", "0", "0"],
                           ["Metropolitan Police", "2", "1", "1"], ["All partners", "5", "2", "1"]]
    r = board.alice.command("/lsp", "report quarter 2018-Q4")
    assert "Performance — Q4 2018/19 (Jan–Mar 2019)" in r.text and "1 green, 0 amber, 0 red, 3 without" in r.text
    assert "*Actions this quarter:* 0 raised" in r.text
    # Its three files are queued after the acknowledgement: count once they are, so that none lands in the count below.
    q4_files = "SELECT count(*) FROM outbox WHERE key LIKE 'file:%' AND CAST(payload AS TEXT) LIKE :stem"
    wait_until(lambda: db_rows(server.database_url, q4_files, stem="%2018-Q4-performance%")[0][0] >= 3,
               what="the Q4 report's files in the outbox")
    fake_slack.reset()
    files_before = db_rows(server.database_url, "SELECT count(*) FROM outbox WHERE key LIKE 'file:%'")[0][0]
    cases = [
        (board.alice, "report quarter 2019-Q9", "couldn't read “2019-Q9” as a quarter"),
        (board.alice, "report quarter 2020-Q1", "has not started yet"),
        (board.alice, "report sideways", "For example:\n`/lsp report quarter [2019-Q2]`\n`/lsp report annual 2019`"),
        (board.alice, "report annual 2019", "Only the chair"),
        (board.chair, "report annual 2030", "has not started yet"),
        (board.chair, "report annual nineteen", "is not a year"),
        (board.outsider, "report quarter", "not a member"),
    ]
    for user, text, expected in cases:
        r = user.command("/lsp", text)
        assert r.status == 200 and expected in r.text, (text, r.text)
    r = board.chair.command("/lsp", "outcome frobnicate")
    assert "not a command I know" in r.text
    assert db_rows(server.database_url, "SELECT count(*) FROM outbox WHERE key LIKE 'file:%'")[0][0] == files_before

    # The agenda's "Borough Plan Performance Update" presents the last quarter complete before the meeting.
    r = board.chair.command("/agenda", "draft 2019-10-10")
    assert ("Borough Plan Performance Update* — LB Ealing · _standing item_ · Report: the quarterly performance "
            "report for Q2 2019/20 (Jul–Sep 2019), 0 of 4 returns in (/lsp report quarter 2019-Q2)") in r.text
    board.bob.command("/update", 'quarterly "Safer streets" rag:amber Summer figures quarter:2019-Q2')
    r = board.chair.command("/agenda", "draft 2019-10-10")
    assert "report for Q2 2019/20 (Jul–Sep 2019), 1 of 4 returns in (/lsp report quarter 2019-Q2)" in r.text


def test_annual_report_for_scrutiny_in_slack(server, board, fake_slack, tmp_path):
    seed_a_quarter(server, board, tmp_path)
    fake_slack.reset()
    r = board.chair.command("/lsp", "report annual 2019")
    t = r.text
    assert "Annual report 2019/20 — " + board.name in t
    assert "Monday 1 April 2019 to Tuesday 31 March 2020 · year in progress, figures as at Tuesday 16 July 2019" in t
    assert "*2 meetings held, 1 item taken*" in t
    assert "• Mon 8 Apr 2019 — Borough Plan outcomes — Southall Town Hall" in t
    assert "• Mon 15 Jul 2019 — Northolt — Perceval House" in t
    assert "*Actions:* 5 raised, 1 completed on time, 1 completed late, 2 still open, 1 dropped" in t
    assert "*Quarterly returns:* 3 of 4 received" in t  # only April-June has ended

    stem = "-".join(board.name.lower().split()) + "-2019-20-annual-report"
    document, markdown = sent_report(server, fake_slack, board.chair.user_id, stem)
    check_annual_document(document, board)
    assert "| Metropolitan Police | 2 | 1 | 0 | 1 | 0 |" in markdown


def check_annual_document(document, board: BoardFixture) -> None:
    """The figures of the annual report as the seeded quarter gives them."""
    assert document.paragraphs[0].text == f"{board.name}: annual report 2019/20"
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Summary", "Meetings held", "Decisions", "Actions by partner organisation", "Quarterly returns",
                        "Charts"]
    meetings, actions, returns = (table_rows(t) for t in document.tables)
    assert meetings[0] == ["Date", "Theme", "Venue", "Host", "Items", "Partner updates", "Actions raised"]
    assert meetings[1] == ["Monday 8 April 2019", "Borough Plan outcomes", "Southall Town Hall", "—", "0", "0", "0"]
    assert meetings[2] == ["Monday 15 July 2019", "Northolt", "Perceval House", "—", "1", "0", "5"]
    assert actions[0] == ["Partner", "Raised", "Completed on time", "Completed late", "Still open", "Dropped"]
    assert actions[1:] == [["Ealing PCT", "2", "0", "1", "1", "0"], ["LB Ealing", "1", "0", "0", "0", "1"],
                           ["Metropolitan Police", "2", "1", "0", "1", "0"], ["All partners", "5", "1", "1", "2", "1"]]
    assert returns[1] == ["Healthy lives", "outcome", "Ealing PCT", "Amber", "not yet due", "not yet due",
                          "not yet due"]
    assert returns[2] == ["Safer streets", "outcome", "Metropolitan Police", "Green", "not yet due", "not yet due",
                          "not yet due"]
    assert returns[3] == ["Good jobs", "outcome", "LB Ealing", "no return", "not yet due", "not yet due",
                          "not yet due"]
    texts = [p.text for p in document.paragraphs]
    assert "Northolt final recommendations (lead: LB Ealing/DWP), for decision" in texts
    assert "Q1 2019/20: Amber (alice): GP access behind target" in texts and "Q2 2019/20: not yet due" in texts
    assert len(document.inline_shapes) == 1


def test_lspbot_report_annual_writes_the_documents(server, board, tmp_path):
    seed_a_quarter(server, board, tmp_path)
    out = tmp_path / "scrutiny"
    done = run_lspbot(["report", "annual", "--board", board.name, "--year", "2019", "--out", str(out)], server.env)
    assert done.returncode == 0, done.stderr
    stem = "-".join(board.name.lower().split()) + "-2019-20-annual-report"
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{stem}.docx", f"{stem}.md", f"{stem}-chart.png"])
    assert done.stdout.split() == [str(out / f"{stem}.docx"), str(out / f"{stem}.md"), str(out / f"{stem}-chart.png")]
    assert_png((out / f"{stem}-chart.png").read_bytes())
    check_annual_document(docx.Document(str(out / f"{stem}.docx")), board)
    markdown = (out / f"{stem}.md").read_text()
    assert "| Ealing PCT | 2 | 0 | 1 | 1 | 0 |" in markdown and "### Still to come this year" in markdown

    done = run_lspbot(["report", "quarter", "--board", board.name, "--quarter", "2019-Q2", "--out", str(out)],
                      server.env)
    assert done.returncode == 0, done.stderr
    assert (out / ("-".join(board.name.lower().split()) + "-2019-Q2-performance.docx")).is_file()
    done = run_lspbot(["report", "quarter", "--board", board.name, "--out", str(out)], server.env)
    assert done.returncode == 0, done.stderr  # no quarter named: April-June, the last one complete
    written = docx.Document(str(out / ("-".join(board.name.lower().split()) + "-2019-Q1-performance.docx")))
    assert written.paragraphs[0].text.endswith("Q1 2019/20 (Apr–Jun 2019)")
    for args, expected in ((["report", "annual", "--board", "No Such Board", "--out", str(out)], "no board called"),
                           (["report", "annual", "--board", board.name, "--year", "2031"], "has not started"),
                           (["report", "quarter", "--board", board.name, "--quarter", "Q5"], "is not a quarter")):
        done = run_lspbot(args, server.env)
        assert done.returncode == 2 and expected in done.stderr, (args, done.stderr)


def test_demo_collects_updates_and_returns_and_leaves_the_quarterly_report(demo: DemoRun):
    done = demo.done
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "*Borough Plan outcome 9 (placeholder)* — lead Southall Community Alliance" in out
    for project in ("High-need families", "Data sharing and joint analysis", "Joint asset strategy",
                    "Southall joined-up approach"):
        assert f"*{project}* — lead @" in out
    assert "*4. Ealing PCT* — @Robert Creighton" in out and "revised (1 earlier version)" in out
    assert "*No update yet:* Ealing CCG, Ealing CVS, Ealing Hospital, LB Ealing, West London College" in out
    assert "Only the lead of “High-need families”, Robert Creighton (Ealing PCT)" in out
    assert "== Performance — Q1 2019/20 (Apr–Jun 2019) ==" in out and "4 green, 2 amber, 2 red, 5 without" in out
    folder = demo.folder
    assert_png((folder / "lsp-executive-2019-Q1-performance-chart.png").read_bytes())
    document = docx.Document(str(folder / "lsp-executive-2019-Q1-performance.docx"))
    rag = table_rows(document.tables[1])
    assert len(rag) == 14  # the header, nine outcomes, four projects
    assert rag[13] == ["Southall joined-up approach", "project", "Janpal Basran (Southall Community Alliance)",
                       "no return", "no return", "Amber", "Red"]
    assert "Joint asset strategy" in (folder / "lsp-executive-2019-Q1-performance.md").read_text()


def test_the_annual_report_lists_each_meetings_items_standing_ones_included(server, board, fake_slack, tmp_path):
    """Items taken: the forward plan's and the standing items that fell at each meeting, by the agenda's rule (every
    Nth meeting from the item's start; not twice under one title); each meeting's items a list of its own, numbered
    from 1, in the Markdown and in Word."""
    from markdown_it import MarkdownIt

    seed_a_quarter(server, board, tmp_path)
    chair = board.chair
    for text in ('standing add "Partner updates round" lead:"All partners" from:1 April 2019',
                 'standing add "Safeguarding report" lead:"Metropolitan Police" every:2 from:1 April 2019',
                 'standing add "Northolt final recommendations" lead:"LB Ealing" from:15 July 2019'):
        assert "Standing item added" in chair.command("/plan", text).text, text
    fake_slack.reset()
    r = chair.command("/lsp", "report annual 2019")
    assert "*2 meetings held, 4 items taken*" in r.text

    stem = "-".join(board.name.lower().split()) + "-2019-20-annual-report"
    document, markdown = sent_report(server, fake_slack, chair.user_id, stem)
    taken = {
        "Monday 8 April 2019": ["Partner updates round (lead: All partners), standing item",
                                "Safeguarding report (lead: Metropolitan Police), standing item"],
        "Monday 15 July 2019": ["Northolt final recommendations (lead: LB Ealing/DWP), for decision",
                                "Partner updates round (lead: All partners), standing item"],
    }
    # The Markdown: under "Items taken", each meeting's bold date, then an ordered list of its own items.
    tokens = MarkdownIt().parse(markdown)
    start = next(i for i, t in enumerate(tokens) if t.type == "inline" and t.content == "Items taken")
    end = next(i for i, t in enumerate(tokens) if i > start and t.type == "heading_open")
    blocks: list[tuple[str, object]] = []
    for t in tokens[start + 2:end]:
        if t.type == "inline" and t.level == 1 and t.content.startswith("**"):
            blocks.append(("meeting", t.content))
        elif t.type == "ordered_list_open":
            blocks.append(("list", [t.attrGet("start") or 1]))
        elif t.type == "inline" and t.level == 3:
            blocks[-1][1].append(t.content)  # an item of the list just opened
    assert blocks == [
        ("meeting", "**Monday 8 April 2019**: Borough Plan outcomes"), ("list", [1, *taken["Monday 8 April 2019"]]),
        ("meeting", "**Monday 15 July 2019**: Northolt"), ("list", [1, *taken["Monday 15 July 2019"]]),
    ]
    # Word: the same items, each meeting's list with a numbering of its own that starts at 1.
    meetings = table_rows(document.tables[0])
    assert [row[4] for row in meetings[1:]] == ["2", "2"]
    paragraphs = document.paragraphs
    lists: list[tuple[str, list[str]]] = []
    for p in paragraphs:
        if p.style.name == "List Number":
            lists[-1][1].append((p.text, numbering_of(p)))
        elif p.text in ("Monday 8 April 2019: Borough Plan outcomes", "Monday 15 July 2019: Northolt"):
            lists.append((p.text.split(":")[0], []))
    assert {day: [text for text, _ in items] for day, items in lists} == taken
    num_ids = [{num for _, num in items} for _, items in lists]
    assert all(len(ids) == 1 for ids in num_ids) and num_ids[0] != num_ids[1]
    for (num_id,) in num_ids:
        assert restarts_at(document, num_id) == 1


def numbering_of(paragraph) -> int:
    """The w:numId a list paragraph carries itself (not the one its style would give it)."""
    num_id = paragraph._p.pPr.numPr.numId if paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None \
        else None
    assert num_id is not None, f"{paragraph.text!r} has no numbering of its own"
    return num_id.val


def restarts_at(document, num_id: int) -> int | None:
    """The number a w:num restarts its first level at (its lvlOverride's startOverride), if it does."""
    num = document.part.numbering_part.element.num_having_numId(num_id)
    for override in num.lvlOverride_lst:
        if override.ilvl == 0 and override.startOverride is not None:
            return override.startOverride.val
    return None
