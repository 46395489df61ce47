"""Questions over the bundled samples, asked end to end as a new user would ask them.

A fresh installation in a temporary data directory ingests the sample documents into the
sample collection, then every question of ``bench/data/sample_questions.jsonl`` goes through
``Assistant.ask`` as shipped (retrieval, table reader, generator, answer check). An answer is
*shown* unless it abstained or the check withheld it. A shown answer is *right* when:

- for a numeric gold, the value it states equals the gold after rounding to the gold's
  decimals; the stated value is the result after the last "=" of a formula, else the first
  number that is not a year the question names (citation marks such as "[2]" are not numbers;
  "1,077.4" reads as 1077.4, and "(6.0)" as -6.0);
- for a text gold, every ``must_contain`` phrase appears in it, ignoring case, dashes, and the
  spelled-out word before a numeral in brackets ("thirty (30) days" reads as "30 days").

Unanswerable questions should be withheld; one that is shown counts as wrong.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.sample_answers [--kind clause] [--limit 10]

A run over the whole set writes bench/results/sample_answers.json; every run writes each answer
to bench/results/sample_answers_predictions.jsonl.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.common import RESULTS_DIR, judged_text, print_table, write_result

if TYPE_CHECKING:
    from assistant.answering import Answer

QUESTIONS = Path(__file__).parent / "data" / "sample_questions.jsonl"
PREDICTIONS = RESULTS_DIR / "sample_answers_predictions.jsonl"
KINDS = ("lookup", "arithmetic", "clause", "clinical", "unanswerable")
WARM_UP_QUESTION = "What is the purpose of the Northwind-Contoso NDA?"
"""Asked once before the timed questions so that loading the models is not counted."""

_CITATION = re.compile(r"\[\d+(?:\s*[,;-]\s*\d+)*\]")
_NUMBER = re.compile(r"(?<![\w.,])([-−]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_SPELLED_NUMERAL = re.compile(r"\b[a-z]+(?:-[a-z]+)* \((\d+)\)")
_DASHES = re.compile(r"[-‐‑–—]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Question:
    """One question with its gold answer: a number (``value``) or phrases (``must_contain``);
    neither for an unanswerable question."""

    id: str
    question: str
    kind: str
    document: str | None
    value: str | None
    must_contain: tuple[str, ...]
    note: str

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Question:
        question = cls(
            id=record["id"],
            question=record["question"],
            kind=record["kind"],
            document=record["document"],
            value=record["value"],
            must_contain=tuple(record["must_contain"]),
            note=record["note"],
        )
        if question.kind not in KINDS:
            raise ValueError(f"{question.id}: unknown kind {question.kind!r}")
        if question.answerable and (question.value is None) == (not question.must_contain):
            raise ValueError(f"{question.id}: give either a value or must_contain phrases")
        return question


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    return [
        Question.from_json(json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def stated_value(answer: str, question: str) -> Decimal | None:
    """The number an answer gives: a formula's result, else its first number that is not a
    year named in the question."""
    text = _CITATION.sub(" ", answer)
    if "=" in text:
        text = text.rsplit("=", 1)[1]
    years = {int(y) for y in _YEAR.findall(question)}
    for match in _NUMBER.finditer(text):
        sign, whole, fraction = match.groups()
        if not sign and not fraction and "," not in whole and int(whole) in years:
            continue
        value = Decimal(whole.replace(",", "") + (fraction or ""))
        enclosed = text[match.start() - 1 : match.start()] == "(" and text[match.end() :][:1] == ")"
        return -value if sign or enclosed else value
    return None


def value_matches(stated: Decimal | None, gold: str) -> bool:
    """Whether ``stated`` equals ``gold`` once rounded to as many decimals as ``gold`` has."""
    if stated is None:
        return False
    target = Decimal(gold.replace(",", ""))
    exponent = target.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return stated.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) == target


def normalise(text: str) -> str:
    """Lower case, "thirty (30)" as "30", dashes as spaces, single spaces."""
    lowered = text.lower().replace("’", "'").replace("‘", "'")
    lowered = _SPELLED_NUMERAL.sub(r"\1", lowered)
    return _SPACES.sub(" ", _DASHES.sub(" ", lowered)).strip()


def is_right(question: Question, answer: str) -> bool:
    """Whether a shown answer gives the gold (an unanswerable question has none to give)."""
    if question.value is not None:
        return value_matches(stated_value(answer, question.question), question.value)
    if not question.must_contain:
        return False
    said = normalise(answer)
    return all(normalise(phrase) in said for phrase in question.must_contain)


@dataclass(frozen=True)
class Outcome:
    """What one question got: whether the answer was shown, whether it was right, how long."""

    id: str
    kind: str
    answerable: bool
    shown: bool
    right: bool
    seconds: float


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "-"


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Counts and shares of one group of outcomes."""
    shown = [o for o in outcomes if o.shown]
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    seconds = [o.seconds for o in outcomes]
    return {
        "questions": len(outcomes),
        "shown": len(shown),
        "right_among_shown": sum(o.right for o in shown),
        "answerable": len(answerable),
        "answerable_shown": sum(o.shown for o in answerable),
        "unanswerable": len(unanswerable),
        "unanswerable_withheld": sum(not o.shown for o in unanswerable),
        "p50_s": round(float(np.percentile(seconds, 50, method="higher")), 2) if seconds else None,
        "p95_s": round(float(np.percentile(seconds, 95, method="higher")), 2) if seconds else None,
    }


def table_rows(outcomes: Sequence[Outcome]) -> list[list[Any]]:
    """One row per kind present, then one for all questions."""
    groups = [(kind, [o for o in outcomes if o.kind == kind]) for kind in KINDS]
    rows = []
    for name, group in [*((k, g) for k, g in groups if g), ("all", list(outcomes))]:
        s = summary(group)
        rows.append(
            [
                name,
                s["questions"],
                s["shown"],
                _share(s["right_among_shown"], s["shown"]),
                _share(s["answerable_shown"], s["answerable"]),
                _share(s["unanswerable_withheld"], s["unanswerable"]),
                s["p50_s"],
                s["p95_s"],
            ]
        )
    return rows


HEADERS = [
    "kind",
    "questions",
    "shown",
    "right among shown",
    "answerable shown",
    "unanswerable withheld",
    "p50 s",
    "p95 s",
]


def prediction(question: Question, answer: Answer, seconds: float) -> dict[str, Any]:
    """Everything needed to see why an answer scored as it did."""
    shown = not answer.abstained
    judged = judged_text(answer)
    stated = stated_value(answer.text, question.question) if question.value is not None else None
    return {
        "id": question.id,
        "kind": question.kind,
        "question": question.question,
        "gold": question.value if question.value is not None else list(question.must_contain),
        "document": question.document,
        "answer": answer.text,
        "shown": shown,
        "withheld": bool(answer.check and answer.check.withheld),
        "confidence": answer.check.confidence if answer.check else None,
        "from_table": answer.reading is not None,
        "from_span": answer.span is not None,
        "stated_value": str(stated) if stated is not None else None,
        "right": shown and is_right(question, answer.text),
        "judged_right": judged is not None and is_right(question, judged),
        "seconds": round(seconds, 3),
        "passages": [
            f"{p.chunk.file_name}" + (f" p{p.chunk.page}" if p.chunk.page else "")
            for p in answer.passages
        ],
    }


def outcome_of(record: dict[str, Any]) -> Outcome:
    return Outcome(
        id=record["id"],
        kind=record["kind"],
        answerable=record["kind"] != "unanswerable",
        shown=record["shown"],
        right=record["right"],
        seconds=record["seconds"],
    )


def ask_all(questions: Sequence[Question]) -> list[dict[str, Any]]:
    """Ingest the samples into a fresh installation and ask every question there."""
    from assistant.samples import SAMPLE_COLLECTION, sample_files
    from assistant.service import Assistant
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        service = Assistant(Settings(data_dir=Path(tmp)))
        report = service.ingest(sample_files(), collection=SAMPLE_COLLECTION)
        failed = [f"{r.path.name}: {r.error}" for r in report.results if r.error]
        if failed:
            sys.exit("sample ingestion failed: " + "; ".join(failed))
        service.ask(WARM_UP_QUESTION, collections=[SAMPLE_COLLECTION])
        records = []
        for question in questions:
            started = time.perf_counter()
            answer = service.ask(question.question, collections=[SAMPLE_COLLECTION])
            record = prediction(question, answer, time.perf_counter() - started)
            verdict = "right" if record["right"] else "shown" if record["shown"] else "withheld"
            print(f"{question.id}: {verdict} | {answer.text[:120]!r}", flush=True)
            records.append(record)
        return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=KINDS, default=None, help="only questions of this kind")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    args = parser.parse_args()
    questions = load_questions()
    if args.kind:
        questions = [q for q in questions if q.kind == args.kind]
    if args.limit is not None:
        questions = questions[: args.limit]
    records = ask_all(questions)
    PREDICTIONS.parent.mkdir(parents=True, exist_ok=True)
    with PREDICTIONS.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    outcomes = [outcome_of(r) for r in records]
    print_table(HEADERS, table_rows(outcomes))
    if args.kind or args.limit is not None:
        print(f"part of the set only: answers in {PREDICTIONS}, no figures written")
        return
    payload = {
        "command": "HF_HUB_OFFLINE=1 python -m bench.sample_answers",
        "by_kind": {k: summary([o for o in outcomes if o.kind == k]) for k in KINDS},
        "overall": summary(outcomes),
        "shown_wrong": [o.id for o in outcomes if o.shown and not o.right],
        "answerable_withheld": [o.id for o in outcomes if o.answerable and not o.shown],
        "outcomes": [asdict(o) for o in outcomes],
    }
    print(f"written {write_result('sample_answers', payload)}")


if __name__ == "__main__":
    main()
