"""The Ask page's states: a new question takes the last answer, its confidence and its sources
off the page before its draft starts, and an abstention or a withheld answer says how
confident the check was and why there is no answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.testing.v1 import AppTest

from assistant.answering import Answer, AnswerTimings
from assistant.generation.base import GeneratedToken, GeneratorBusy
from assistant.generation.prompt import ABSTENTION, ChatMessage
from assistant.verdict import AnswerCheck
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.ui.app_driver import Site, button, markdown_text, plain, signed_in
from ui.verdict import NO_CONFIDENCE, abstention_message, withheld_message, withheld_notes

Path = tuple[int, ...]
MAIN = 0
"""The delta path root of the page's main area (the sidebar is 1)."""


class WatchedGenerator(ScriptedGenerator):
    """Writes the scripted answer; when it starts, notes which page elements the running
    script has sent so far, that is what the reader's page holds while the draft is written."""

    def __init__(self, pieces: Sequence[str]) -> None:
        super().__init__(pieces)
        self.sent: list[tuple[Path, str]] = []
        self.sent_before_drafting: list[list[tuple[Path, str]]] = []

    def stream(
        self, prompt_messages: Sequence[ChatMessage], *, max_new_tokens: int
    ) -> Iterator[GeneratedToken]:
        self.sent_before_drafting.append(list(self.sent))
        return super().stream(prompt_messages, max_new_tokens=max_new_tokens)


@pytest.fixture
def generator(monkeypatch: pytest.MonkeyPatch) -> WatchedGenerator:
    """The page's generator (see the UI fixtures), watching what the page sends."""
    generator = WatchedGenerator(["Bands and the bonus ", "are set by policy [1]."])
    enqueue = ForwardMsgQueue.enqueue

    def recording(self: ForwardMsgQueue, msg: ForwardMsg) -> None:
        if msg.HasField("delta"):
            kind = msg.delta.WhichOneof("type") or ""
            generator.sent.append((tuple(msg.metadata.delta_path), kind))
        enqueue(self, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", recording)
    return generator


def leaves(node: object, path: Path) -> Iterator[tuple[Path, object]]:
    children = getattr(node, "children", None)
    if not children:
        yield path, node
        return
    for index, child in children.items():
        yield from leaves(child, (*path, index))


def still_shown(before: list[tuple[Path, str]], sent: list[tuple[Path, str]]) -> list[str]:
    """What of the page ``before`` (its elements by place) a browser still shows after the
    elements ``sent``: an element stays until one is sent to its place, or a new element to
    the place of a block around it (a new block there keeps the old one's content)."""
    replaced = {path for path, _ in sent}
    emptied = {path for path, kind in sent if kind == "new_element"}
    return [
        shown
        for path, shown in before
        if path not in replaced and not any(path[:n] in emptied for n in range(1, len(path)))
    ]


def main_area(at: AppTest) -> list[tuple[Path, str]]:
    return [(path, str(getattr(node, "value", ""))) for path, node in leaves(at.main, (MAIN,))]


def ask(at: AppTest, question: str) -> None:
    at.text_input(key="ask_question").input(question)
    button(at, "Ask").click().run()
    assert not at.exception, at.exception


def test_a_new_question_clears_the_last_answer_before_its_draft(
    site: Site, generator: WatchedGenerator
) -> None:
    at = signed_in("alice")
    ask(at, "salary bonus")
    answered = main_area(at)
    assert any("Bands and the bonus" in shown for _, shown in answered)
    assert any("salaries\\.md" in shown for _, shown in answered)
    generator.sent.clear()
    ask(at, "What is the bonus policy?")
    [before_draft] = generator.sent_before_drafting[1:]
    assert still_shown(answered, before_draft) == []


def test_an_abstention_without_passages_says_nothing_matched() -> None:
    message = abstention_message(_abstention(()))
    assert plain(message).startswith(f"**{ABSTENTION}**")
    assert "No passage of the chosen collections matches" in message


def test_a_withheld_answer_gives_its_confidence_and_what_was_removed() -> None:
    check = AnswerCheck(0.0, 0.5, True, (), 0.01, ('Removed "Fees are 7%.": 7% is in no passage.',))
    assert "confidence (0%) is below the 50%" in withheld_message(check)
    assert [plain(n) for n in withheld_notes(check)] == [
        'Removed "Fees are 7%.": 7% is in no passage.'
    ]


def test_a_withheld_answer_with_reasons_lists_them_before_what_was_removed() -> None:
    why = ("The confidence (20%) is below the 50% these collections require.",)
    removed = ('Removed "Fees are 7%.": 7% is in no passage.',)
    check = AnswerCheck(0.2, 0.5, True, (), 0.01, removed, why)
    assert "for the reasons below" in withheld_message(check)
    assert [plain(n) for n in withheld_notes(check)] == [f"• {why[0]}", removed[0]]


def _abstention(passages: tuple[object, ...]) -> Answer:
    return Answer(
        question="Who?",
        text=ABSTENTION,
        sentences=(),
        passages=passages,  # type: ignore[arg-type]
        abstained=True,
        invalid_citations=(),
        token_logprobs=(),
        prompt_tokens=0,
        timings=AnswerTimings(0.0, 0.0, 0.0, 0.0, 0.0),
        check=AnswerCheck(None, 0.5, False, (), 0.0),
    )


@pytest.mark.parametrize("generator", [ScriptedGenerator([ABSTENTION])])
def test_an_abstention_shows_no_confidence_and_why_with_the_evidence(site: Site) -> None:
    at = signed_in("alice")
    ask(at, "salary bonus")
    [info] = at.info
    assert plain(info.value).startswith(f"**{ABSTENTION}**")
    assert "found no answer in it" in plain(info.value)
    assert NO_CONFIDENCE in [c.value for c in at.caption]
    assert [s.value for s in at.subheader] == ["Best evidence"]
    assert "salaries\\.md" in markdown_text(at)


class BusyGenerator(ScriptedGenerator):
    """Refuses every question, as a generator with a full line does."""

    def stream(
        self, prompt_messages: Sequence[ChatMessage], *, max_new_tokens: int
    ) -> Iterator[GeneratedToken]:
        raise GeneratorBusy("Too many questions at once. Ask again in a few seconds.")


@pytest.mark.parametrize("generator", [BusyGenerator([])])
def test_one_question_too_many_says_to_ask_again(site: Site) -> None:
    at = signed_in("alice")
    ask(at, "What is the bonus policy?")
    assert [w.value for w in at.warning] == [
        "Too many questions at once. Ask again in a few seconds."
    ]
    assert not at.error
