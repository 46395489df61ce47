"""The whole product in a real browser: an administrator signs in, creates a collection,
uploads a PDF, asks a question and sees the streamed answer with its evidence at the right page,
opens that page's image in the source viewer and turns a page; a user without rights then sees
nothing of that collection.

Screenshots of each step go to bench/results/browser/ and the answer timings (click to first
token, click to full answer) to bench/results/browser_e2e.json.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import streamlit
from playwright.sync_api import Browser, Page, ViewportSize, expect
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.browser.conftest import ADMIN, ADMIN_PASSWORD, ROOT, Server
from tests.browser.driver import (
    CHROMIUM,
    BrowserLog,
    TimedAnswer,
    ask,
    citation_numbers,
    click_citations,
    open_view,
    passage_cards,
    shown_text,
    sign_in,
    sign_out,
    table_rows,
    wait_idle,
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
QUESTION = "Who carries out the annual lantern inspection?"
SECRETS = (COLLECTION, DOCUMENT, "Brenneke")
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


def check_source_viewer(page: Page) -> None:
    """The passage with the fact opens in the viewer on the image of page 2 of the PDF; the
    viewer turns back to page 1 and closes."""
    opens = page.get_by_role("button", name="Show on the page", exact=True)
    cards = [
        opens.nth(index).locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
        for index in range(opens.count())
    ]
    chosen = [index for index, card in enumerate(cards) if FACT in card.inner_text()]
    assert chosen, "no passage box with the fact offers its page"
    opens.nth(chosen[0]).click()
    viewer = page.get_by_role("dialog")
    expect(viewer.get_by_text("Page 2 of 2", exact=True)).to_be_visible()
    image = viewer.get_by_test_id("stImage").locator("img")
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") > 0, "the page image did not load"
    wait_idle(page)
    snap(page, "05b-source-page-2")
    viewer.get_by_role("button", name="Previous page", exact=True).click()
    expect(viewer.get_by_text("Page 1 of 2", exact=True)).to_be_visible()
    viewer.get_by_role("button", name="Close", exact=True).click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def check_sees_nothing(page: Page, view: str) -> None:
    open_view(page, view)
    expect(page.get_by_text(NO_RIGHTS)).to_be_visible()
    assert secrets_shown(page) == set()
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(page.get_by_test_id("stExpander")).to_have_count(0)


def save_timings(
    first: TimedAnswer,
    warm: TimedAnswer,
    load: float,
    log: BrowserLog,
    browser: Browser,
    server: Server,
    links_clicked: int,
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
    pdf = write_handbook(tmp_path / DOCUMENT)
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = BrowserLog()

    # The administrator builds the collection and asks right away.
    first_context = browser.new_context(viewport=VIEWPORT)
    log.watch(first_context)
    page = first_context.new_page()
    sign_in(page, server.url, ADMIN, ADMIN_PASSWORD)
    snap(page, "01-admin-signed-in")

    open_view(page, "Collections")
    page.get_by_label("New collection", exact=True).fill(COLLECTION)
    page.get_by_role("button", name="Create collection", exact=True).click()
    page.get_by_text(f"Created {COLLECTION}; you are its editor.").wait_for()
    wait_idle(page)
    snap(page, "02-collection-created")

    open_view(page, "Documents")
    page.locator('input[type="file"]').set_input_files(pdf)
    page.get_by_test_id("stFileChipName").filter(has_text=DOCUMENT).wait_for()
    page.get_by_role("button", name="Upload and index", exact=True).click()
    page.get_by_text("1 of 1 files, finished").wait_for(timeout=UPLOAD_TIMEOUT_MS)
    tables = page.get_by_test_id("stDataFrame")
    expect(tables).to_have_count(2)  # the upload's per-file results, then the documents
    wait_idle(page)
    snap(page, "03-pdf-indexed")
    uploads = table_rows(tables.nth(0))
    assert [(r["file"], r["status"], r["error"]) for r in uploads] == [(DOCUMENT, "added", "")]
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
    check_source_viewer(page)
    assert secrets_shown(page) == set(SECRETS)  # what the other user must not see is here

    # Timed again in a new session, now that the models are loaded.
    second_context = browser.new_context(viewport=VIEWPORT)
    log.watch(second_context)
    page = second_context.new_page()
    sign_in(page, server.url, ADMIN, ADMIN_PASSWORD)
    load = os.getloadavg()[0]  # the machine may be shared: the timings depend on it
    warm = ask(page, QUESTION)
    assert warm.text, "no answer was shown"
    snap(page, "06-answer-models-loaded")

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

    save_timings(first, warm, load, log, browser, server, links_clicked)
    assert log.page_errors == []
    assert log.console_errors == []
    assert log.external_requests == []
