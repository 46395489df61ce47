"""Driving the Streamlit UI in Chromium the way a person does: sign in, pick a page in the
sidebar, fill forms, read what the page shows, and time a streamed answer in the page itself.

Streamlit redraws a page on every interaction and marks the previous run's elements stale
(``data-stale="true"``) until they are replaced, so every read here waits for the run to end
and ignores stale elements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Locator, Page, Request

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
RUN_TIMEOUT_MS = 60_000
ANSWER_TIMEOUT_MS = 300_000
_CARD_HEADING = re.compile(r" · .+ · (page \d+|characters \d+)")

# Idle: no script run, no stale element, no widget still waiting for its code to load (a
# skeleton), and every data frame has built the accessible table that holds its cells.
_IDLE_JS = """() => {
  const widget = document.querySelector('[data-testid="stStatusWidget"]');
  const running = widget !== null && !widget.className.includes('StatusWidget-exit');
  const frames = [...document.querySelectorAll('[data-testid="stDataFrame"]')];
  return !running && document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')
    === null && frames.every((frame) => frame.querySelector('tbody') !== null);
}"""

# The answer is the first element below the form that is neither a caption (the "draft"
# label above a streaming answer, the confidence line) nor stale: the streamed or final
# answer text, or the warning that replaces an answer the check withheld.
_ANSWER_ELEMENT_JS = """
  const answerText = () => {
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    const shown = main
      ? main.querySelectorAll('[data-testid="stMarkdown"], [data-testid="stAlert"]') : [];
    for (const el of shown) {
      const box = el.closest('[data-testid="stElementContainer"]');
      if (el.closest('[data-testid="stForm"]') || (box && box.dataset.stale === 'true')) continue;
      if (el.querySelector('[data-testid="stCaptionContainer"]')) continue;
      return el.innerText.trim();
    }
    return '';
  };
"""

# Installed just before the question is sent. The clock starts on the click of the form's
# submit button (capture phase, before Streamlit sees it); the first token is the first
# moment the answer element shows text; the full answer is the moment the script run that
# wrote it has ended (Streamlit's running indicator, seen since the click, starts to leave).
_TIMER_JS = (
    """() => {
  const timing = {start: null, first: null, done: null, lengths: [], sawRunning: false};
  window.__answerTiming = timing;"""
    + _ANSWER_ELEMENT_JS
    + """
  const running = () => {
    const widget = document.querySelector('[data-testid="stStatusWidget"]');
    return widget !== null && !widget.className.includes('StatusWidget-exit');
  };
  document.addEventListener('click', (event) => {
    if (timing.start === null && event.target.closest('[data-testid="stFormSubmitButton"]')) {
      timing.start = performance.now();
    }
  }, {capture: true});
  const observer = new MutationObserver(() => {
    if (timing.start === null || timing.done !== null) return;
    const now = performance.now();
    const text = answerText();
    if (text && timing.lengths[timing.lengths.length - 1] !== text.length) {
      timing.lengths.push(text.length);
    }
    if (timing.first === null && text) timing.first = now;
    if (running()) {
      timing.sawRunning = true;
    } else if (timing.first !== null && timing.sawRunning) {
      timing.done = now;
      observer.disconnect();
    }
  });
  observer.observe(document.body,
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""
)


@dataclass
class BrowserLog:
    """Console errors, uncaught page errors and requests to hosts other than this machine,
    seen in every page of the contexts it watches."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._on_console)
        context.on("weberror", lambda web_error: self._on_page_error(web_error.error))
        context.on("request", self._on_request)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.console_errors.append(f"{message.text} ({where})")

    def _on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}")

    def _on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.external_requests.append(request.url)


@dataclass(frozen=True)
class TimedAnswer:
    """What a question produced: the final answer text, seconds from the click to its first
    token and to the end of the run, and the answer's lengths seen while it grew."""

    text: str
    first_token_s: float
    full_answer_s: float
    lengths_seen: tuple[int, ...]


def wait_idle(page: Page) -> None:
    """Wait until the current script run has ended and no stale element is left."""
    page.wait_for_function(_IDLE_JS, timeout=RUN_TIMEOUT_MS)


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    if not page.url.startswith(base_url):
        page.goto(base_url)
    page.get_by_role("heading", level=1, name="Sign in", exact=True).wait_for()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", level=1, name="Ask", exact=True).wait_for()
    wait_idle(page)


def sign_out(page: Page) -> None:
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out.").wait_for()
    wait_idle(page)


def open_view(page: Page, title: str) -> None:
    """Open a page from the sidebar and wait until it is fully drawn."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", level=1, name=title, exact=True).wait_for()
    wait_idle(page)


def shown_text(page: Page) -> str:
    """Everything the page shows or holds: its visible text, its markup (attributes and the
    accessible copy of table cells included), the values of its inputs and its title."""
    inputs: list[str] = page.evaluate(
        "() => [...document.querySelectorAll('input, textarea')].map((e) => e.value)"
    )
    return "\n".join([page.title(), page.inner_text("body"), page.content(), *inputs])


def table_rows(table: Locator) -> list[dict[str, str]]:
    """The rows of a Streamlit data frame, read from the accessible table it keeps beside the
    canvas it draws on."""
    rows: list[dict[str, str]] = table.evaluate(
        """(frame) => {
          const text = (cell) => cell.textContent.trim();
          const headers = [...frame.querySelectorAll('thead th')].map(text);
          return [...frame.querySelectorAll('tbody tr')].map((row) =>
            Object.fromEntries(
              [...row.querySelectorAll('td')].map((cell, i) => [headers[i], text(cell)])));
        }"""
    )
    return rows


def ask(page: Page, question: str) -> TimedAnswer:
    """Ask on the open Ask page and time the streamed answer in the browser."""
    page.get_by_label("Question", exact=True).fill(question)
    page.evaluate(_TIMER_JS)
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_function(
        "() => window.__answerTiming.done !== null", timeout=ANSWER_TIMEOUT_MS, polling=100
    )
    timing: dict[str, Any] = page.evaluate("() => window.__answerTiming")
    wait_idle(page)
    text: str = page.evaluate("() => {" + _ANSWER_ELEMENT_JS + " return answerText(); }")
    return TimedAnswer(
        text=text,
        first_token_s=(timing["first"] - timing["start"]) / 1000,
        full_answer_s=(timing["done"] - timing["start"]) / 1000,
        lengths_seen=tuple(timing["lengths"]),
    )


def passage_cards(page: Page, words: str) -> list[tuple[str, str]]:
    """The heading line and the text of each passage box on the page whose passage contains
    ``words``; a box is a bordered container whose first line names the document, the
    collection and where in the document the passage is."""
    cards = []
    for passage in page.get_by_test_id("stMarkdown").filter(has_text=words).all():
        box = passage.locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
        heading = " ".join(box.get_by_test_id("stMarkdown").first.inner_text().split())
        if _CARD_HEADING.search(heading):
            cards.append((heading, " ".join(passage.inner_text().split())))
    return cards


def citation_numbers(answer: str) -> list[int]:
    """The passage numbers an answer cites, as ``[1]`` or ``[1, 2]``, in order."""
    numbers: list[int] = []
    for inside in re.findall(r"\[(\d+(?:\s*,\s*\d+)*)\]", answer):
        numbers += [int(n) for n in inside.split(",")]
    return numbers


def click_citations(page: Page) -> dict[int, str]:
    """Clicks each citation link of the answer (a model's ``[n]`` or the check's "found in
    [n]"), checks that it moves the page to passage ``n``, and returns the heading of that
    passage's box for each number."""
    links = page.locator("a[href^='#source-']")
    opened: dict[int, str] = {}
    for index in range(links.count()):
        number = int((links.nth(index).get_attribute("href") or "").rsplit("-", 1)[1])
        links.nth(index).click()
        page.wait_for_url(re.compile(rf"#source-{number}$"))
        headings = [h for h, _ in passage_cards(page, "") if h.startswith(f"[{number}] ")]
        assert headings, f"citation [{number}] leads to no passage box"
        opened[number] = headings[0]
    return opened
