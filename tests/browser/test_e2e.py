"""The whole product in a real browser, as a new user meets it: the first administrator signs in
with the password ``assistant up`` printed and is made to choose a new one, creates a
collection, uploads a PDF, asks a question and sees the streamed answer with its evidence at
the right page, opens that page's image in the source viewer (the passage marked) and turns a
page; uploads a PDF whose table runs over two pages, the upload panel showing its stage, pages
and chunks, asks a question the table answers and sees the table passage drawn as a table with
the cited cell marked, and the cell marked on the page image; a user without rights then sees
nothing of that collection.

Screenshots of each step go to bench/results/browser/ and the timings (click to first token
and to the checked answer, click to the source viewer's page image) to
bench/results/browser_e2e.json.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import streamlit
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from tests.browser.conftest import ADMIN, ROOT, Server
from tests.browser.driver import (
    CHROMIUM,
    RUN_TIMEOUT_MS,
    BrowserLog,
    TimedAnswer,
    ask,
    choose_password,
    citation_numbers,
    click_citations,
    highlight_pixels,
    open_page_image,
    open_view,
    passage_cards,
    shown_text,
    sign_in,
    sign_out,
    table_rows,
    upload_rows,
    wait_idle,
    watch_upload_rows,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
    ),
]

SHOTS = ROOT / "bench" / "results" / "browser"
TIMINGS = ROOT / "bench" / "results" / "browser_e2e.json"
# Tall, because Streamlit scrolls inside its own pane and a screenshot holds one viewport.
VIEWPORT: ViewportSize = {"width": 1280, "height": 1600}
UPLOAD_TIMEOUT_MS = 240_000
FIRST_TOKEN_GOAL_S = 3.0
FULL_ANSWER_GOAL_S = 5.0

ADMIN_PASSWORD = "lighthouse keeper 7"
"""The password the first administrator chooses in place of the printed one."""
COLLECTION = "Lantern Keepers"
DOCUMENT = "lantern-handbook.pdf"
PAGE_ONE = [
    "Harbor Lantern Cooperative: member handbook.",
    "Members meet on the first Monday of each month in the boathouse.",
    "The cooperative keeps twelve lanterns along the northern pier.",
    "New members pay a joining fee of twenty euros.",
]
FACT = "The annual lantern inspection is carried out by Odalys Brenneke."
PAGE_TWO = [
    "Inspections.",
    FACT,
    "She checks every wick and records the results in the blue ledger.",
]
FACT_WORDS = "Odalys Brenneke"
QUESTION = "Who carries out the annual lantern inspection, and what does she check?"
"""Drafted by the language model, so its answer streams."""
READ_QUESTION = "Who carries out the annual lantern inspection?"
"""Answered with the words of the passage by the span reader, in one piece."""
TABLE_DOCUMENT = "ferry-tickets.pdf"
UNIT_NOTE = "(In thousands of dollars)"
_BRANCH_NAMES = (
    "Ashgrove Brackenmoor Cindervale Dunmarrow Elderwick Fernhollow Glimmerford "
    "Hazelmere Ironbridge Jasperton Kestrel Larkspur Millbrook Northwold Oakhaven "
    "Pinecrest Quillfeather Ravenscar Saltmarsh Thornbury Umberlee Vireo Westerhold "
    "Yarrowdale Zephyr Amberley Birchwood Coldharbour Driftwood Emberton Foxglove "
    "Greywater Heathfield Ivybridge Kingsmoor Lindenfall Marigold Nettlebed Orchardend "
    "Puddleby Redwater Stonegate Tidewell Underhill Wrenfield Yewbank"
)
BRANCHES = _BRANCH_NAMES.split()
ASKED_BRANCH = "Wrenfield"  # a row on the table's second page
TABLE_QUESTION = f"What were the ferry ticket sales of the {ASKED_BRANCH} branch in 2024?"
SECRETS = (COLLECTION, DOCUMENT, "Brenneke", TABLE_DOCUMENT, ASKED_BRANCH)
VIEWER = "bea"
VIEWER_PASSWORD = "harbour viewer 12"
NO_RIGHTS = "You cannot read any collection yet"


def write_handbook(path: Path) -> Path:
    """A two-page PDF whose one fact about the inspection is on page 2."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for lines in (PAGE_ONE, PAGE_TWO):
        for row, line in enumerate(lines):
            pdf.drawString(72, 780 - 20 * row, line)
        pdf.showPage()
    pdf.save()
    return path


def branch_sales(index: int) -> tuple[str, str]:
    """The made-up 2023 and 2024 sales of branch ``index``, as the table prints them."""
    return f"{1000 + 37 * index:,}", f"{1100 + 41 * index:,}"


ASKED_SALES = branch_sales(BRANCHES.index(ASKED_BRANCH))[1]


def write_ticket_table(path: Path) -> Path:
    """A PDF with a unit note over a ruled table of sales by branch, too long for one page: its
    header row is repeated where it runs on to page 2."""
    styles = getSampleStyleSheet()
    rows = [["Branch", "2023", "2024"]]
    rows += [[branch, *branch_sales(index)] for index, branch in enumerate(BRANCHES)]
    table = Table(rows, colWidths=[180, 90, 90], repeatRows=1)
    table.setStyle(
        TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("ALIGN", (1, 0), (-1, -1), "RIGHT")]
        )
    )
    story = [
        Paragraph("Ferry ticket sales by branch", styles["Heading1"]),
        Paragraph("Ferry tickets sold at each branch office, by year.", styles["Normal"]),
        Paragraph(UNIT_NOTE, styles["Normal"]),
        table,
    ]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def snap(page: Page, name: str) -> None:
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True, animations="disabled")


def secrets_shown(page: Page) -> set[str]:
    text = shown_text(page)
    return {secret for secret in SECRETS if secret in text}


def expand_all(page: Page) -> None:
    for expander in page.get_by_test_id("stExpander").all():
        if expander.locator("details").get_attribute("open") is None:
            expander.locator("summary").click()
    wait_idle(page)


def check_evidence(page: Page, answer: str) -> None:
    """The passage with the fact is shown as page 2 of the document, the other one as page 1;
    each number the answer cites leads to a source box of that number naming the document."""
    cited = citation_numbers(answer)
    if cited:
        expect(page.get_by_role("heading", name="Sources", exact=True)).to_be_visible()
    expand_all(page)
    where = f"{DOCUMENT} · {COLLECTION} · "
    fact_cards = passage_cards(page, FACT_WORDS)
    assert fact_cards, f"no passage box shows the fact; the page reads:\n{page.inner_text('body')}"
    for heading, text in fact_cards:
        assert heading.endswith(where + "page 2"), heading
        assert FACT in text
    other_cards = passage_cards(page, "joining fee of twenty euros")
    for heading, _ in other_cards:
        assert heading.endswith(where + "page 1"), heading
    labels = [heading for heading, _ in fact_cards + other_cards]
    for number in cited:
        assert any(h.startswith(f"[{number}] {where}") for h in labels), (number, labels)


def check_citation_links(page: Page, answer: str) -> int:
    """Every citation link opens its passage; when the answer names the inspector, one of them
    opens the passage on page 2. Returns how many links there were."""
    opened = click_citations(page)
    if FACT_WORDS in answer:
        assert any(h.endswith("page 2") for h in opened.values()), opened
    return len(opened)


def open_source(page: Page, words: str, heading: str) -> tuple[Locator, float]:
    """Open the first passage box showing ``words`` in the source viewer; check that the viewer
    shows the page named ``heading`` with the passage highlighted, and return its image and the
    seconds from the click to the image."""
    opens = page.get_by_role("button", name="Show on the page", exact=True)
    cards = [
        opens.nth(index).locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
        for index in range(opens.count())
    ]
    chosen = [index for index, card in enumerate(cards) if words in card.inner_text()]
    assert chosen, f"no passage box with {words!r} offers its page"
    image, seconds = open_page_image(page, opens.nth(chosen[0]))
    viewer = page.get_by_role("dialog")
    expect(viewer.get_by_text(heading, exact=True)).to_be_visible()
    expect(image).to_be_visible()
    expect(viewer.get_by_text("The passage is highlighted.", exact=True)).to_be_visible()
    wait_idle(page)
    return image, seconds


def close_viewer(page: Page) -> None:
    page.get_by_role("dialog").get_by_role("button", name="Close", exact=True).click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def check_source_viewer(page: Page) -> float:
    """The passage with the fact opens in the viewer on the image of page 2 of the PDF, marked;
    the viewer turns back to page 1, unmarked, and closes. Returns the seconds from the click
    to the page image."""
    image, seconds = open_source(page, FACT, "Page 2 of 2")
    assert highlight_pixels(image)["tinted"] > 0, "the passage is not marked on its page"
    snap(page, "05b-source-page-2")
    viewer = page.get_by_role("dialog")
    viewer.get_by_role("button", name="Previous page", exact=True).click()
    expect(viewer.get_by_text("Page 1 of 2", exact=True)).to_be_visible()
    expect(viewer.get_by_text("The passage is highlighted.", exact=True)).to_have_count(0)
    wait_idle(page)
    assert highlight_pixels(image)["tinted"] == 0, "a page without the passage is marked"
    close_viewer(page)
    return seconds


def upload(page: Page, pdf: Path, earlier: int) -> tuple[list[list[dict[str, str]]], bool]:
    """Upload ``pdf`` on the open Documents page, below ``earlier`` finished uploads, and wait
    for the panel to say it is finished. Its row ends with the file added and ready, both pages
    read and all its chunks embedded; returns each state of the row the page showed, oldest
    first, and whether a state before that (queued, or a stage before ready) was among them,
    which a fast machine may not show."""
    page.locator('input[type="file"]').set_input_files(pdf)
    page.get_by_test_id("stFileChipName").filter(has_text=pdf.name).wait_for()
    watch_upload_rows(page)
    page.get_by_role("button", name="Upload and index", exact=True).click()
    finished = page.get_by_text("1 of 1 files, finished")
    expect(finished).to_have_count(earlier + 1, timeout=UPLOAD_TIMEOUT_MS)
    wait_idle(page)
    # the batch can read "finished" a moment before its file's row is drawn in its end state
    page.wait_for_function(
        """(name) => {
          const seen = window.__uploadRows || [];
          const last = seen[seen.length - 1] || [];
          return last.length > 0 && last.every((row) => row.file === name
            && row.status !== 'queued' && row.status !== 'processing');
        }""",
        arg=pdf.name,
        timeout=RUN_TIMEOUT_MS,
    )
    # until the new upload is drawn, the newest one on the page is an earlier one
    states = [rows for rows in upload_rows(page) if [r["file"] for r in rows] == [pdf.name]]
    assert states, "the upload panel showed no file row"
    final = states[-1]
    for row in final:
        assert (row["status"], row["stage"], row["pages"], row["error"]) == (
            "added",
            "ready",
            "2 of 2",
            "",
        ), row
        chunks = re.fullmatch(r"(\d+) of (\d+)", row["chunks"])
        assert chunks and chunks[1] == chunks[2] and int(chunks[1]) > 0, row
    in_progress = any(
        row["status"] in ("queued", "processing") or row["stage"] != "ready"
        for rows in states[:-1]
        for row in rows
    )
    return states, in_progress


def check_table_answer(page: Page, answer: str) -> None:
    """The answer gives the asked cell and cites the table passage, which is drawn as a table
    (not as Markdown source) with that cell marked."""
    assert ASKED_SALES in answer, answer
    cards = [(h, t) for h, t in passage_cards(page, ASKED_BRANCH) if h.startswith("[")]
    assert cards, f"no cited passage shows the table; the page reads:\n{page.inner_text('body')}"
    heading, text = cards[0]
    assert heading.endswith(f"{TABLE_DOCUMENT} · {COLLECTION} · page 2"), heading
    assert "|---|" not in text and "| 2024 |" not in text, text
    # the cited passages come first, before those read but not cited
    table = page.get_by_test_id("stMarkdown").locator("table").filter(has_text=ASKED_BRANCH).first
    expect(table).to_be_visible()
    expect(table.locator("th").first).to_have_text("Branch")
    marked = table.locator("td mark")
    expect(marked).to_have_count(1)
    expect(marked).to_have_text(ASKED_SALES)
    row = marked.locator("xpath=ancestor::tr[1]")
    expect(row.locator("td").first).to_have_text(ASKED_BRANCH)


def check_table_source(page: Page) -> float:
    """The table passage opens on page 2 of its PDF with its region and the cited cell marked;
    returns the seconds from the click to the page image."""
    image, seconds = open_source(page, ASKED_BRANCH, "Page 2 of 2")
    marks = highlight_pixels(image)
    assert marks["tinted"] > 0 and marks["cellEdge"] > 0, marks
    snap(page, "06d-table-source-page-2")
    close_viewer(page)
    return seconds


def check_sees_nothing(page: Page, view: str) -> None:
    open_view(page, view)
    expect(page.get_by_text(NO_RIGHTS)).to_be_visible()
    assert secrets_shown(page) == set()
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(page.get_by_test_id("stExpander")).to_have_count(0)


@dataclass(frozen=True)
class Journey:
    """What the journey measured besides the timed questions: the upload panel's states, the
    table question's answer, and the seconds from "Show on the page" to the page image for
    the handbook's passage and for the table's."""

    upload_states: list[list[dict[str, str]]]
    upload_in_progress_seen: bool
    table: TimedAnswer
    fact_page_image_s: float
    table_page_image_s: float


def save_timings(
    first: TimedAnswer,
    warm: TimedAnswer,
    load: float,
    log: BrowserLog,
    browser: Browser,
    server: Server,
    links_clicked: int,
    journey: Journey,
) -> None:
    def seconds(value: float) -> float:
        return round(value, 3)

    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "load_average_1m_before_question": round(load, 2),
        "question": QUESTION,
        "first_token_s": seconds(warm.first_token_s),
        "full_answer_s": seconds(warm.full_answer_s),
        "answer_chars": len(warm.text),
        "first_answer": first.text,
        "citation_links_clicked": links_clicked,
        "first_token_goal_s": FIRST_TOKEN_GOAL_S,
        "full_answer_goal_s": FULL_ANSWER_GOAL_S,
        "first_token_goal_met": warm.first_token_s <= FIRST_TOKEN_GOAL_S,
        "full_answer_goal_met": warm.full_answer_s <= FULL_ANSWER_GOAL_S,
        "first_question_after_start": {
            "first_token_s": seconds(first.first_token_s),
            "full_answer_s": seconds(first.full_answer_s),
        },
        "page_image_s": seconds(journey.fact_page_image_s),
        "table_question": {
            "question": TABLE_QUESTION,
            "answer": journey.table.text,
            # the click to the end of the run that showed the checked answer; no first token:
            # the page still showed the previous answer when the question was sent
            "checked_answer_s": seconds(journey.table.full_answer_s),
            "page_image_s": seconds(journey.table_page_image_s),
        },
        "upload": {
            "file": TABLE_DOCUMENT,
            "states_seen": len(journey.upload_states),
            "in_progress_seen": journey.upload_in_progress_seen,
            "final_row": journey.upload_states[-1][0],
        },
        "console_errors": len(log.console_errors),
        "console_error_messages": log.console_errors,
        "page_errors": log.page_errors,
        "external_requests": log.external_requests,
        "chromium": browser.version,
        "streamlit": streamlit.__version__,
        "server_settings": server.settings,
    }
    TIMINGS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def test_an_answer_shows_its_evidence_and_others_see_nothing_of_the_collection(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    handbook = write_handbook(tmp_path / DOCUMENT)
    ticket_table = write_ticket_table(tmp_path / TABLE_DOCUMENT)
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = BrowserLog()

    # The first administrator signs in with the printed password and must replace it, then
    # builds the collection and asks right away.
    first_context = browser.new_context(viewport=VIEWPORT)
    log.watch(first_context)
    page = first_context.new_page()
    sign_in(page, server.url, ADMIN, server.first_password, lands_on="Choose your password")
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # nothing else until then
    snap(page, "01a-choose-password")
    choose_password(page, server.first_password, ADMIN_PASSWORD)
    snap(page, "01b-admin-signed-in")

    open_view(page, "Collections")
    page.get_by_label("New collection", exact=True).fill(COLLECTION)
    page.get_by_role("button", name="Create collection", exact=True).click()
    page.get_by_text(f"Created {COLLECTION}; you are its editor.").wait_for()
    wait_idle(page)
    snap(page, "02-collection-created")

    open_view(page, "Documents")
    upload(page, handbook, earlier=0)
    tables = page.get_by_test_id("stDataFrame")
    expect(tables).to_have_count(2)  # the upload's per-file results, then the documents
    # a data frame is drawn before its rows: wait for the row itself
    expect(tables.nth(1)).to_contain_text(DOCUMENT)
    snap(page, "03-pdf-indexed")
    documents = table_rows(tables.nth(1))
    assert [(r["collection"], r["document"], r["pages"]) for r in documents] == [
        (COLLECTION, DOCUMENT, "2")
    ]
    assert secrets_shown(page) >= {COLLECTION, DOCUMENT}

    open_view(page, "Ask")
    first = ask(page, QUESTION)
    assert first.text, "no answer was shown"
    assert len(first.lengths_seen) >= 2, f"the answer did not stream: {first.lengths_seen}"
    assert first.full_answer_s > first.first_token_s
    expect(page.get_by_text("No answer could be written")).to_have_count(0)
    snap(page, "04-answer")
    check_evidence(page, first.text)
    links_clicked = check_citation_links(page, first.text)
    snap(page, "05-evidence-page-2")
    fact_page_image_s = check_source_viewer(page)
    assert secrets_shown(page) >= {COLLECTION, DOCUMENT, "Brenneke"}

    # Timed again in a new session, now that the models are loaded.
    second_context = browser.new_context(viewport=VIEWPORT)
    log.watch(second_context)
    page = second_context.new_page()
    sign_in(page, server.url, ADMIN, ADMIN_PASSWORD)
    load = os.getloadavg()[0]  # the machine may be shared: the timings depend on it
    warm = ask(page, QUESTION)
    assert warm.text, "no answer was shown"
    snap(page, "06-answer-models-loaded")
    read = ask(page, READ_QUESTION)
    assert FACT_WORDS in read.text and "[" in read.text, read.text
    snap(page, "06a-answer-read-from-the-passage")

    # A table over two pages, uploaded (with its page-level progress shown) and asked about:
    # the passage is drawn as a table, the cell marked, on the page too.
    open_view(page, "Documents")
    upload_states, upload_in_progress_seen = upload(page, ticket_table, earlier=1)
    tables = page.get_by_test_id("stDataFrame")
    expect(tables).to_have_count(3)  # this upload, the first one, then the documents
    expect(tables.nth(2)).to_contain_text(TABLE_DOCUMENT)
    snap(page, "06b-table-pdf-indexed")
    documents = table_rows(tables.nth(2))
    assert sorted((r["document"], r["pages"]) for r in documents) == [
        (TABLE_DOCUMENT, "2"),
        (DOCUMENT, "2"),
    ]
    open_view(page, "Ask")
    table = ask(page, TABLE_QUESTION)
    wait_idle(page)
    check_table_answer(page, table.text)
    snap(page, "06c-table-answer")
    table_page_image_s = check_table_source(page)
    # what the other user must not see has all been shown here
    assert secrets_shown(page) >= {TABLE_DOCUMENT, ASKED_BRANCH}

    open_view(page, "Collections")
    # The heading is drawn before the list of collections: wait for the list itself.
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text(COLLECTION)
    assert COLLECTION in secrets_shown(page)
    open_view(page, "Users")
    page.get_by_label("Username", exact=True).fill(VIEWER)
    page.get_by_label("Password (12 characters or more)", exact=True).fill(VIEWER_PASSWORD)
    page.get_by_role("button", name="Create user", exact=True).click()
    page.get_by_text(f"Created {VIEWER} (viewer).").wait_for()
    wait_idle(page)
    snap(page, "07-viewer-created")
    sign_out(page)
    snap(page, "08-signed-out")

    # The new viewer has no right on the collection: no name, no count, no passage.
    sign_in(page, server.url, VIEWER, VIEWER_PASSWORD)
    for number, view in enumerate(("Ask", "Documents", "Collections"), start=9):
        check_sees_nothing(page, view)
        snap(page, f"{number:02d}-viewer-{view.lower()}")

    journey = Journey(
        upload_states,
        upload_in_progress_seen,
        table,
        fact_page_image_s,
        table_page_image_s,
    )
    save_timings(first, warm, load, log, browser, server, links_clicked, journey)
    assert log.page_errors == []
    assert log.console_errors == []
    assert log.external_requests == []
