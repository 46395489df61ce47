"""Driving the web UI in tests: the app file, signing in through its form, switching pages,
reading what a user sees (the source viewer's dialog included), and a small PDF to open in it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Button, TextInput

from assistant.audit import AuditQuery
from assistant.generation.base import GeneratedToken
from assistant.generation.prompt import ChatMessage
from assistant.scoped import ScopedAssistant
from assistant.service import Assistant
from tests.unit.assistant.access_fakes import FakeClock, make_accounts
from tests.unit.assistant.generation.fakes import ScriptedGenerator

APP = Path(__file__).resolve().parents[3] / "ui" / "app.py"
PASSWORD = "correct horse battery"
HOSTILE = (
    "Pay rise <script>alert('x')</script> see [here](javascript:alert(1)) ![i](http://e/x.png)"
)
FACT = "Bonus payments are made every March to staff in salary bands two to five."
"""The one sentence on page 2 of ``write_policy``'s PDF."""


@dataclass
class Site:
    assistant: Assistant
    clock: FakeClock

    def as_user(self, username: str) -> ScopedAssistant:
        accounts = make_accounts(self.assistant, clock=self.clock)
        return ScopedAssistant(self.assistant, accounts, username)

    def audit(self, **filters: str) -> list[tuple[str, str]]:
        entries = make_accounts(self.assistant).audit.query(AuditQuery(**filters))  # type: ignore[arg-type]
        return [(e.username, e.action) for e in reversed(entries)]


class BrokenGenerator(ScriptedGenerator):
    """A generator whose model cannot be loaded."""

    def stream(
        self, prompt_messages: Sequence[ChatMessage], *, max_new_tokens: int
    ) -> Iterator[GeneratedToken]:
        raise FileNotFoundError("no model file")


def button(at: AppTest | Block, label: str) -> Button:
    return next(b for b in at.button if b.label == label)


def text_input(at: AppTest, label: str) -> TextInput:
    return next(t for t in at.text_input if t.label == label)


def signed_in(username: str, password: str = PASSWORD) -> AppTest:
    """The app after signing in through its login form."""
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    text_input(at, "Username").input(username)
    text_input(at, "Password").input(password)
    button(at, "Sign in").click().run()
    assert not at.exception, at.exception
    return at


def page(at: AppTest, path: str) -> AppTest:
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    """What a reader sees of escaped Markdown text."""
    unescaped = re.sub(r"\\(.)", r"\1", markdown)
    return html.unescape(re.sub(r"</?(?:a|mark)\b[^>]*>", "", unescaped))


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def dialogs(node: object) -> list[Block]:
    children = getattr(node, "children", None) or {}
    found = [node] if isinstance(node, Block) and node.type == "dialog" else []
    return found + [d for child in children.values() for d in dialogs(child)]


def dialog(at: AppTest) -> Block:
    """The open viewer: a dialog is drawn beside the page's main area, not inside it."""
    found = dialogs(at._tree)
    assert found, "no viewer is open"
    return found[-1]


def write_policy(path: Path) -> Path:
    """A two-page PDF whose second page holds ``FACT``."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawString(72, 780, "Pay policy of the harbour cooperative.")
    pdf.showPage()
    pdf.drawString(72, 780, FACT)
    pdf.showPage()
    pdf.save()
    return path
