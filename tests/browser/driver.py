"""Driving the Streamlit UI in Chromium the way a person does: sign in (replacing a first
password when asked), pick a page in the sidebar, fill forms, read what the page shows, watch an
upload's progress, and time a streamed answer and the source viewer's page image in the page
itself.

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

# Whether a script run is under way, as the app's root element states it: the running indicator
# of Streamlit's toolbar cannot tell, since the product starts with the toolbar minimal.
_RUNNING_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app === null || app.dataset.testScriptState !== 'notRunning';
}"""

# Idle: no script run, no stale element, no widget still waiting for its code to load (a
# skeleton), and every data frame has built the accessible table that holds its cells.
_IDLE_JS = (
    """() => {
  const running = ("""
    + _RUNNING_JS
    + """)();
  const frames = [...document.querySelectorAll('[data-testid="stDataFrame"]')];
  return !running && document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')
    === null && frames.every((frame) => frame.querySelector('tbody') !== null);
}"""
)

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
# wrote it has ended (a run, seen since the click, is over).
_TIMER_JS = (
    """() => {
  const timing = {start: null, first: null, done: null, lengths: [], sawRunning: false};
  window.__answerTiming = timing;"""
    + _ANSWER_ELEMENT_JS
    + """
  const running = """
    + _RUNNING_JS
    + """;
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


# Installed before an upload is sent: every distinct state of the rows of the newest upload's
# table (the first data frame with a "stage" column), in the order the page showed them.
_UPLOAD_ROWS_JS = """() => {
  const seen = [];
  window.__uploadRows = seen;
  const read = () => {
    for (const frame of document.querySelectorAll('[data-testid="stDataFrame"]')) {
      const text = (cell) => cell.textContent.trim();
      const headers = [...frame.querySelectorAll('thead th')].map(text);
      if (!headers.includes('stage')) continue;
      const rows = [...frame.querySelectorAll('tbody tr')].map((row) => Object.fromEntries(
        [...row.querySelectorAll('td')].map((cell, i) => [headers[i], text(cell)])));
      const key = JSON.stringify(rows);
      if (rows.length && (seen.length === 0 || JSON.stringify(seen[seen.length - 1]) !== key)) {
        seen.push(rows);
      }
      return;
    }
  };
  new MutationObserver(read).observe(document.body,
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""

# Resolves, with the time it happened, once the open dialog shows a fully loaded image that is
# not left over from an earlier run.
_DIALOG_IMAGE_JS = """() => {
  const img = document.querySelector('[role="dialog"] [data-testid="stImage"] img');
  const box = img && img.closest('[data-testid="stElementContainer"]');
  if (!img || !img.complete || img.naturalWidth === 0 || (box && box.dataset.stale === 'true')) {
    return null;
  }
  return performance.now();
}"""

# The pixels of an image in two colours a highlight adds to a page of black text on white:
# any warm tint (a line or a table's region), and the dark orange edge of a cited cell.
_HIGHLIGHT_JS = """async (img) => {
  await img.decode();
  if (img.naturalWidth === 0) return null;
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let tinted = 0;
  let cellEdge = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (r > 150 && r - b > 60) tinted += 1;
    if (r > 150 && g < 120 && b < 60) cellEdge += 1;
  }
  return {tinted, cellEdge};
}"""


# The errors the page shows in its main area (not stale).
_ERRORS_JS = """() => [
  ...document.querySelectorAll('[data-testid="stMain"] [data-testid="stAlertContentError"]')
].filter((alert) => alert.closest('[data-stale="true"]') === null).map((a) => a.innerText)"""

# The timed answer has ended, or the page shows an error in its place.
_ANSWERED_OR_REFUSED_JS = (
    "() => window.__answerTiming.done !== null || (" + _ERRORS_JS + ")().length > 0"
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


def sign_in(
    page: Page, base_url: str, username: str, password: str, *, lands_on: str = "Ask"
) -> None:
    """Sign in and wait for the first page, ``lands_on`` by its heading."""
    if not page.url.startswith(base_url):
        page.goto(base_url)
    page.get_by_role("heading", level=1, name="Sign in", exact=True).wait_for()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", level=1, name=lands_on, exact=True).wait_for()
    wait_idle(page)


def choose_password(page: Page, current: str, new: str) -> None:
    """Replace a first password on the page that asks for it, and wait for the Ask page."""
    page.get_by_label("Current password", exact=True).fill(current)
    page.get_by_label("New password (12 characters or more)", exact=True).fill(new)
    page.get_by_label("New password again", exact=True).fill(new)
    page.get_by_role("button", name="Set password", exact=True).click()
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
    page.wait_for_function(_ANSWERED_OR_REFUSED_JS, timeout=ANSWER_TIMEOUT_MS, polling=100)
    timing: dict[str, Any] = page.evaluate("() => window.__answerTiming")
    wait_idle(page)
    errors: list[str] = page.evaluate(_ERRORS_JS)
    if errors or timing["done"] is None:
        raise AssertionError(f"the question was answered with an error: {errors}")
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


def watch_upload_rows(page: Page) -> None:
    """Record each state of the newest upload's rows from now on (read by ``upload_rows``)."""
    page.evaluate(_UPLOAD_ROWS_JS)


def upload_rows(page: Page) -> list[list[dict[str, str]]]:
    """The states of the newest upload's rows seen since ``watch_upload_rows``, oldest
    first."""
    seen: list[list[dict[str, str]]] = page.evaluate("() => window.__uploadRows")
    return seen


def open_page_image(page: Page, button: Locator) -> tuple[Locator, float]:
    """Click ``button`` ("Show on the page") and wait for the viewer's page image to have
    loaded; returns the image and the seconds from the click to that moment, timed in the
    page."""
    page.evaluate(
        """() => {
          window.__viewerClick = null;
          document.addEventListener('click', () => { window.__viewerClick = performance.now(); },
            {capture: true, once: true});
        }"""
    )
    button.click()
    shown = page.wait_for_function(_DIALOG_IMAGE_JS, timeout=RUN_TIMEOUT_MS, polling="raf")
    seconds = (shown.json_value() - page.evaluate("() => window.__viewerClick")) / 1000
    return page.get_by_role("dialog").get_by_test_id("stImage").locator("img"), seconds


def highlight_pixels(image: Locator) -> dict[str, int]:
    """How many pixels of a page image are tinted by a highlight, and how many are the edge of
    a cited cell, once the image has loaded."""
    counts: dict[str, int] | None = image.evaluate(_HIGHLIGHT_JS)
    assert counts is not None, "the page image did not load"
    return counts
