"""How the answer check is shown: the confidence with what it means, and the sentences the
passages do not back marked as such, never as plain fact."""

from __future__ import annotations

import re

from assistant.answering import Answer
from assistant.verdict import AnswerCheck
from ui.text import escape_markdown, highlighted_markdown

UNSUPPORTED_MARK = "⚠"


def confidence_caption(check: AnswerCheck) -> str:
    """One line: the calibrated confidence and how to read it."""
    if check.confidence is None:
        return ""
    share = round(check.confidence * 10)
    return (
        f"Confidence {check.confidence:.0%}: on held-out questions, answers shown with about "
        f"this confidence were right about {share} times in 10."
    )


def withheld_message(check: AnswerCheck) -> str:
    """Why the drafted answer is not shown: its reasons follow it when the check gave them,
    otherwise the message says its confidence was too low."""
    if check.reasons:
        return (
            "The drafted answer was not shown, for the reasons below. The best evidence "
            "follows; read it to find the answer."
        )
    confidence = check.confidence if check.confidence is not None else 0.0
    return (
        f"The drafted answer was not shown: its confidence ({confidence:.0%}) is below the "
        f"{check.threshold:.0%} required for these collections. The best evidence follows; "
        "read it to find the answer."
    )


def withheld_notes(check: AnswerCheck) -> list[str]:
    """Why the draft was withheld, then the sentences the check took out of it before judging
    it, and why."""
    return [*reason_notes(check), *(escape_markdown(reason) for reason in check.removed)]


def reason_notes(check: AnswerCheck) -> list[str]:
    """The strongest reasons behind the confidence, one Markdown line each."""
    return [f"• {escape_markdown(reason)}" for reason in check.reasons]


NO_CONFIDENCE = "Confidence: none, as no answer was drafted that could be rated."


def abstention_message(answer: Answer) -> str:
    """The model's own abstention, with why there is no answer."""
    said = f"**{escape_markdown(answer.text)}**"
    if not answer.passages:
        return f"{said} No passage of the chosen collections matches the question."
    if len(answer.passages) == 1:
        return (
            f"{said} The model read the one passage that matches the question and found no "
            "answer in it; it follows, in case it gives the answer in other words."
        )
    return (
        f"{said} The model read the {len(answer.passages)} passages that match the question "
        "best and found no answer in them; they follow, in case they give the answer in other "
        "words."
    )


_CITATION = re.compile(r"\\\[(\d{1,4})\\\]")


def source_anchor(number: int) -> str:
    """The HTML anchor a cited passage carries, so its citation can link to it."""
    return f'<a id="source-{number}"></a>'


def link_citations(markdown: str, cited: set[int]) -> str:
    """Escaped citation markers ``\\[n\\]`` turned into links to their passage below."""

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number not in cited:
            return match.group(0)
        return f'<a href="#source-{number}" title="open passage {number}">[{number}]</a>'

    return _CITATION.sub(link, markdown)


def found_link(number: int) -> str:
    """The link of a sentence that cites nothing to the passage where the check found it."""
    return (
        f'<a href="#source-{number}" title="not cited by the model; the answer check found this '
        f'in passage {number}">(found in [{number}])</a>'
    )


def checked_answer_markdown(answer: Answer) -> str:
    """The answer as written when every sentence is supported and cites its passages;
    otherwise sentence by sentence with citation numbers, a sentence that cites nothing linked
    to the passage where the check found it, an unsupported sentence starting with a warning
    sign and with the parts no passage contains highlighted."""
    check = answer.check
    verdicts = check.sentences if check is not None else ()
    cited = {n for index in range(len(answer.sentences)) for n in answer.sentence_sources(index)[0]}
    traced = any(v.found_in for v in verdicts)
    if not answer.sentences or (all(v.supported for v in verdicts) and not traced):
        return link_citations(highlighted_markdown(answer.text), cited)
    parts = []
    for index, sentence in enumerate(answer.sentences):
        numbers, found = answer.sentence_sources(index)
        cites = " ".join(found_link(n) for n in numbers) if found else ""
        cites = cites or "".join(f"\\[{n}\\]" for n in sentence.citations)
        verdict = verdicts[index] if index < len(verdicts) else None
        if verdict is None or verdict.supported:
            parts.append(f"{highlighted_markdown(sentence.text)} {cites}".strip())
            continue
        spans = [(s.start, s.end) for s in verdict.unsupported]
        if not spans:
            spans = [(0, len(sentence.text))]
        parts.append(
            f"{UNSUPPORTED_MARK} {highlighted_markdown(sentence.text, spans)} {cites}".strip()
        )
    return link_citations(" ".join(parts), cited)


def unsupported_notes(answer: Answer) -> list[str]:
    """One Markdown line per unsupported sentence, saying why it is marked."""
    check = answer.check
    if check is None:
        return []
    notes = []
    for sentence, verdict in zip(answer.sentences, check.sentences, strict=False):
        if verdict.supported:
            continue
        why = "; ".join(verdict.reasons) or "the cited passages do not back it"
        notes.append(
            f"{UNSUPPORTED_MARK} *{escape_markdown(sentence.text[:80])}* — not supported "
            f"({escape_markdown(why)}, support {verdict.support:.0%})"
        )
    return notes
