"""Agenda pack benchmark: the pack of a meeting with 10 papers of 20 pages each, built as publication builds it.

    .venv/bin/python -m bench.bench_pack [--runs 3] [--papers 10] [--pages 20] [--word 0]

Makes the papers with reportlab (A4 pages of a report's text: a heading, 45 lines of body text and a table of
figures on every page, so each page has a content stream as a word processor's export would), then times, in
process, `bot.render.pack.PackBuilder.build`: the cover and the agenda drawn twice (to count the agenda's pages,
then with the page references), every paper read, every page stamped with its item header and "Page X of Y", and
the whole written out. `--word N` makes N of the papers Word documents (python-docx) to convert with LibreOffice,
all in one run of it. Prints each run's time and the slowest against the goal (< 10 s) and exits 1 if it is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import platform
import sys
import time

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bot.render.pack import PackBuilder
from handlers.pack_spec import PDF, WORD_TYPES, PackEntry, PackPaper, PackSpec

GOAL_SECONDS = 10.0
WORDS = ("The partnership's board is asked to note the progress made against the outcomes of the plan, to agree "
         "the revised milestones and to endorse the approach to commissioning set out in section four. ")


def pdf_paper(number: int, pages: int) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    for page in range(pages):
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(56, height - 70, f"Report {number} for the Executive Board — section {page + 1}")
        pdf.setFont("Helvetica", 10)
        y = height - 100
        for line in range(45):
            pdf.drawString(56, y, (WORDS * 2)[line % 40: line % 40 + 95])
            y -= 13
        for row in range(6):
            for col in range(5):
                pdf.rect(56 + col * 96, 90 + row * 16, 96, 16)
                pdf.drawString(60 + col * 96, 94 + row * 16, f"{(number * 7 + row * 13 + col * 3) % 97}.{row}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def word_paper(number: int, pages: int) -> bytes:
    import docx

    document = docx.Document()
    for page in range(pages):
        document.add_heading(f"Report {number} — section {page + 1}", 1)
        for _ in range(6):
            document.add_paragraph(WORDS * 3)
        document.add_page_break()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def spec(papers: int, pages: int, word: int) -> PackSpec:
    entries = [PackEntry(1, "Welcome, introductions and apologies", lead="Chair")]
    for n in range(papers):
        is_word = n < word
        paper = (PackPaper(f"report-{n + 1}.docx", word_paper(n + 1, pages), WORD_TYPES[0]) if is_word
                 else PackPaper(f"report-{n + 1}.pdf", pdf_paper(n + 1, pages), PDF))
        entries.append(PackEntry(n + 2, f"Report {n + 1}: the partnership's plan, theme {n + 1}", lead="LB Ealing",
                                 kind="decision", paper=paper))
    entries.append(PackEntry(papers + 2, "Any other business"))
    return PackSpec(board="Leeds Strategic Partnership — Executive Board", date=dt.date(2019, 10, 14), time="14:00",
                    venue="Civic Hall, Leeds", title="Agenda pack", published=dt.date(2019, 10, 4), entries=entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--papers", type=int, default=10)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--word", type=int, default=0, help="how many of the papers are Word documents")
    args = parser.parse_args(argv)
    pack = spec(args.papers, args.pages, args.word)
    builder = PackBuilder()
    if args.word and builder.program is None:
        print("LibreOffice is not installed: the Word papers would go beside the pack", file=sys.stderr)
        return 2
    print(f"{args.papers} papers of {args.pages} pages ({args.word} Word), Python {platform.python_version()}, "
          f"{platform.machine()}")
    times = []
    for run in range(args.runs):
        started = time.perf_counter()
        built = builder.build(pack)
        times.append(time.perf_counter() - started)
        print(f"run {run + 1}: {times[-1]:.2f} s, {built.pages} pages, {len(built.content) / 1e6:.1f} MB")
    slowest = max(times)
    print(f"slowest {slowest:.2f} s, fastest {min(times):.2f} s (goal < {GOAL_SECONDS:.0f} s): "
          f"{'met' if slowest < GOAL_SECONDS else 'MISSED'}")
    return 0 if slowest < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
