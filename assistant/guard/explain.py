"""The strongest reasons behind a confidence, in words a reader can check.

A drafted answer's confidence is a logistic model over ``calibrator.FEATURES``; each feature
moves the score by ``weight * (value - mean) / scale``, so the features that moved it most are
the reasons, each stated with its value and whether it raised or lowered the confidence. An
answer read from a table is explained by where it was read and what makes the match less sure.
A withheld answer's reasons start with why it was withheld.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import groupby

from assistant.guard.calibrator import FEATURES
from assistant.logistic import Logistic
from assistant.reading.span_reader import SpanReading
from assistant.reading.table_reader import TableReading

MOST_REASONS = 3
RIVAL_ROW = 0.5
"""A runner-up row at least this close to the chosen one is worth saying."""
RIVAL_SPAN_GAP = 2.0
"""A different answer in another passage scored within this much of the chosen words is worth
saying (the span scorer's margins are log-odds)."""
QUOTED_CHARS = 160


def _support_min(value: float, high: bool) -> str:
    if high:
        return f"even the weakest sentence is supported at {value:.0%}"
    return f"the weakest sentence is supported at only {value:.0%}"


def _support_mean(value: float, high: bool) -> str:
    if high:
        return f"the sentences are supported at {value:.0%} on average"
    return f"the sentences are supported at only {value:.0%} on average"


def _absent_share(value: float, high: bool) -> str:
    if high:
        return f"{value:.0%} of the answer's words appear in no passage"
    if value <= 0.0:
        return "every word of the answer appears in a passage"
    return f"all but {value:.0%} of the answer's words appear in a passage"


def _logprob_mean(value: float, high: bool) -> str:
    mood = "sure" if high else "unsure"
    return f"the model was {mood} of its wording (mean token log-probability {value:.1f})"


def _logprob_low(value: float, high: bool) -> str:
    if high:
        return (
            "even the model's least likely words were likely "
            f"(their mean log-probability {value:.1f})"
        )
    return f"some words were unlikely for the model (their mean log-probability {value:.1f})"


def _cited_share(value: float, high: bool) -> str:
    if value >= 1.0:
        return "every sentence cites a passage"
    if value <= 0.0:
        return "no sentence cites a passage"
    return f"{value:.0%} of the sentences cite a passage"


def _question_coverage(value: float, high: bool) -> str:
    if high:
        return f"the passages cover {value:.0%} of the question's words"
    return f"the passages cover only {value:.0%} of the question's words"


def _source_relevance(value: float, high: bool) -> str:
    share = f"{value:.0%}" if high else f"only {value:.0%}"
    return f"the passage sentence the answer comes from shares {share} of the question's words"


def _reader_agreement(value: float, high: bool) -> str:
    if value >= 1.0:
        return "the span reader, reading the same passages, gives the same answer"
    if value > 0.0:
        return "the span reader, reading the same passages, gives an answer that overlaps it"
    return "the span reader, reading the same passages, does not give this answer"


def _reader_support(value: float, high: bool) -> str:
    if high:
        return f"the span reader gives the same answer with {value:.0%} confidence"
    return f"the span reader gives the same answer, but with only {value:.0%} confidence"


def _reader_dissent(value: float, high: bool) -> str:
    if value <= 0.0:
        return "the span reader prefers no other answer"
    return f"the span reader prefers another answer, with {value:.0%} confidence"


_PHRASES: dict[str, Callable[[float, bool], str]] = {
    "support_min": _support_min,
    "support_mean": _support_mean,
    "absent_share": _absent_share,
    "logprob_mean": _logprob_mean,
    "logprob_low": _logprob_low,
    "cited_share": _cited_share,
    "question_coverage": _question_coverage,
    "source_relevance": _source_relevance,
    "reader_agreement": _reader_agreement,
    "reader_support": _reader_support,
    "reader_dissent": _reader_dissent,
}
"""Per feature, its value in words; ``high`` says whether it is above the fitted mean."""


def _sentence(phrase: str, contribution: float) -> str:
    effect = "raises" if contribution > 0 else "lowers"
    return f"{phrase[0].upper()}{phrase[1:]}, which {effect} the confidence."


def contributions(model: Logistic, features: Sequence[float]) -> list[float]:
    """How much each feature moved the model's score, in ``features`` order."""
    return [
        w * (x - m) / s
        for w, x, m, s in zip(model.weights, features, model.means, model.scales, strict=True)
    ]


def drafted_reasons(
    model: Logistic,
    features: Sequence[float],
    *,
    names: Sequence[str] = FEATURES,
    only_lowering: bool = False,
    most: int = MOST_REASONS,
) -> list[str]:
    """The features that moved the confidence most, strongest first, each as a sentence.

    A feature that did not move the score is no reason; of the weakest and the mean support,
    only the stronger is given when they are equal, as both then say the same, and the span
    reader's support of an answer it does not give is left out beside that disagreement.
    ``only_lowering`` keeps the reasons that lowered the confidence.
    """
    values = dict(zip(names, features, strict=True))
    moved = [
        (abs(c), name, c, value, mean)
        for name, c, value, mean in zip(
            names, contributions(model, features), features, model.means, strict=True
        )
        if c != 0.0 and (c < 0 or not only_lowering)
    ]
    moved.sort(key=lambda m: -m[0])
    if "support_min" in values and values.get("support_mean") == values["support_min"]:
        weaker = [m[1] for m in moved if m[1] in {"support_min", "support_mean"}][1:]
        moved = [m for m in moved if m[1] not in weaker]
    if values.get("reader_agreement") == 0.0:
        # the span reader gave another answer or none: its support of this one says the same
        moved = [m for m in moved if m[1] != "reader_support"]
    return [_sentence(_PHRASES[name](value, value > mean), c) for _, name, c, value, mean in moved][
        :most
    ]


def withheld_reason(confidence: float, threshold: float) -> str:
    return (
        f"The confidence ({confidence:.0%}) is below the {threshold:.0%} these collections "
        "require, so the answer was withheld."
    )


UNRELATED_SOURCE = "Every claim came from a part of the passages that is not about the question."
NOTHING_LEFT = "Every sentence stated a figure that is neither in a passage nor computed from one."


def withheld_drafted_reasons(
    model: Logistic, features: Sequence[float], confidence: float, threshold: float
) -> list[str]:
    """Why a drafted answer was withheld: its confidence, then what lowered it most."""
    lowering = drafted_reasons(model, features, only_lowering=True, most=MOST_REASONS - 1)
    return [withheld_reason(confidence, threshold), *lowering]


def _quoted(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def reading_source(reading: TableReading) -> str:
    """Where in the tables the answer was read, and the formula when it was computed."""
    places = []
    cells = [(c.passage, c.cell.row_label, c.cell.column_header) for c in reading.cells]
    for (passage, row), same in groupby(cells, key=lambda c: (c[0], c[1])):
        columns = [c[2] for c in same]
        word = "column" if len(columns) == 1 else "columns"
        places.append(f"row '{row}', {word} {_quoted(columns)} of passage [{passage}]")
    where = "; ".join(places) or "a table"
    if reading.expression is None:
        return f"Read from {where}."
    return f"Computed by the product as {reading.expression}, from {where}."


def reading_doubts(reading: TableReading, weakest_support: float | None = None) -> list[str]:
    """What makes the match of a table reading less sure, most telling first.
    ``weakest_support`` is the lowest support of a sentence the check found unsupported."""
    doubts = [] if weakest_support is None else [_weak_support(weakest_support)]
    if reading.runner_up >= RIVAL_ROW:
        doubts.append(
            f"Another row matches the question almost as well ({reading.runner_up:.0%} as "
            "closely) and gives a different value."
        )
    if reading.label_precision < 1.0:
        doubts.append(
            "The question names only part of the row label "
            f"({reading.label_precision:.0%} of its words)."
        )
    return doubts


def _weak_support(weakest: float) -> str:
    return (
        f"A sentence is supported by the passages at only {weakest:.0%}, which lowers the "
        "confidence."
    )


def span_source(reading: SpanReading) -> str:
    """Where the answer's words were copied from, with the sentence they sit in; of a long
    sentence, the part around the words."""
    full = " ".join(reading.sentence.split())
    quoted = full
    if len(full) > QUOTED_CHARS:
        value = " ".join(reading.value.split())
        at = max(0, full.find(value))
        first = min(max(0, at - (QUOTED_CHARS - len(value)) // 2), len(full) - QUOTED_CHARS)
        last = first + QUOTED_CHARS
        quoted = full[first:last].strip()
        quoted = ("..." if first > 0 else "") + quoted + ("..." if last < len(full) else "")
    return f'Copied from passage [{reading.passage}]: "{quoted}"'


def span_doubts(reading: SpanReading, weakest_support: float | None = None) -> list[str]:
    """What makes words copied from a passage a less sure answer, most telling first."""
    doubts = [] if weakest_support is None else [_weak_support(weakest_support)]
    if reading.rival_margin >= reading.margin - RIVAL_SPAN_GAP:
        doubts.append("Another passage offers a different answer almost as strongly.")
    if reading.sentence_overlap < 0.5:
        doubts.append(
            "The sentence the answer comes from holds only "
            f"{reading.sentence_overlap:.0%} of the question's terms."
        )
    if reading.share < 0.5:
        doubts.append("The reader was unsure where the answer begins and ends.")
    return doubts


def _read_reasons(
    source: str, doubts: list[str], withheld: tuple[float, float] | None
) -> list[str]:
    """An answer read from the passages is explained by its source, then its doubts; a
    withheld one by why it was withheld first, its doubts, then its source."""
    if withheld is not None:
        return [withheld_reason(*withheld), *doubts, source][:MOST_REASONS]
    return [source, *doubts][:MOST_REASONS]


def span_reasons(
    reading: SpanReading,
    *,
    weakest_support: float | None = None,
    mismatch: str | None = None,
    withheld: tuple[float, float] | None = None,
) -> list[str]:
    """The reasons behind a span reading's confidence: where its words come from, then what
    makes it less sure; when ``withheld`` (its confidence and threshold), why first."""
    doubts = span_doubts(reading, weakest_support)
    if mismatch is not None:
        doubts.insert(0, mismatch)
    return _read_reasons(span_source(reading), doubts, withheld)


def reading_reasons(
    reading: TableReading,
    *,
    weakest_support: float | None = None,
    withheld: tuple[float, float] | None = None,
) -> list[str]:
    """The reasons behind a table reading's confidence: where it was read first, then what
    makes it less sure; when ``withheld`` (its confidence and threshold), why first."""
    return _read_reasons(
        reading_source(reading), reading_doubts(reading, weakest_support), withheld
    )
