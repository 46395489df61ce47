"""Grounded question-answering examples built from the public evaluation sets.

Every example is a question, a few numbered passages and the answer the generator should give:
a short sentence ending with the citation of the passage that holds the answer, or exactly
the abstention sentence when none of the passages does.

Split rule (fixed, so evaluation never sees trained material): each source item is hashed,
``sha256("<source>:<item id>")``; the item is held out for evaluation when the first 8 hex
digits, read as an integer, modulo 100 are below ``EVAL_PERCENT`` (20). The item id is the
TAT-QA table uid (so all questions over one report context share a split), the PubMedQA PubMed
id, the HaluEval question text and the LegalBench-RAG source document. Passages borrowed from
other items (distractors, unanswerable pairs) always come from items of the same split.
FinanceBench is never used here: it is evaluation-only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from assistant.generation.prompt import ABSTENTION, SourcePassage

Split = Literal["train", "eval"]
EVAL_PERCENT = 20
MAX_PASSAGE_TOKENS = 240
"""Default token budget of all passages of one example, which keeps examples short and cheap
to train on; a larger budget (``build_examples(passage_tokens=...)``) gives prompts as long as
the product's, with more distractors and longer tables and abstracts."""

TATQA_FILE = Path("finance/tatqa_dev.json")
PUBMEDQA_FILE = Path("medical/pubmedqa_dev.json")
HALUEVAL_FILE = Path("hallucination/halueval_qa_dev.jsonl")
LEGAL_DIR = Path("legal/legalbench_rag_subset")
LEGAL_SETS = ("contractnli.csv", "cuad.csv", "maud.csv", "privacy_qa.csv")

CountTokens = Callable[[str], int]


def approximate_tokens(text: str) -> int:
    """A cautious token estimate (four characters a token) for when no tokenizer is at hand."""
    return len(text) // 4 + 1


def split_of(source: str, item_id: str) -> Split:
    """The fixed split of one source item (see the module docstring)."""
    digest = hashlib.sha256(f"{source}:{item_id}".encode()).hexdigest()
    return "eval" if int(digest[:8], 16) % 100 < EVAL_PERCENT else "train"


@dataclass(frozen=True)
class Example:
    """One grounded question and its target answer.

    ``gold`` holds the 1-based numbers of the passages that contain the answer (empty when the
    question is unanswerable from the passages); ``answers`` the reference answers as the data
    set gives them (TAT-QA spans, the PubMedQA decision, ...).
    """

    example_id: str
    source: str
    split: Split
    question: str
    passages: tuple[SourcePassage, ...]
    target: str
    gold: tuple[int, ...]
    answers: tuple[str, ...]
    kind: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


@dataclass(frozen=True)
class _Item:
    """A source question with its own passages, before distractors are added."""

    item_id: str
    question_id: str
    source: str
    split: Split
    question: str
    own: tuple[SourcePassage, ...]
    gold: tuple[int, ...]
    """Indexes into ``own`` of the passages that hold the answer."""
    answer_text: str
    answers: tuple[str, ...]
    kind: str


def _cite(numbers: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in sorted(numbers))


def _fake_file(rng: random.Random, stem: str, suffix: str) -> tuple[str, int | None]:
    page = rng.randint(1, 180) if suffix == ".pdf" else None
    return f"{stem}{suffix}", page


# --- TAT-QA -------------------------------------------------------------------------------


def _table_markdown(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(" ".join(str(c).split()) for c in row) + " |" for row in rows]
    if len(lines) > 1:
        lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


def _tatqa_answer_text(answer: Any, scale: str) -> str | None:
    spans = [str(a).strip() for a in answer] if isinstance(answer, list) else [str(answer)]
    spans = [s for s in spans if s]
    if not spans:
        return None
    text = spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]
    numeric = re.fullmatch(r"[$€£(-]*[\d.,]+%?\)?", text) is not None
    if scale and scale != "percent" and numeric:
        text = f"{text} {scale}"
    return text


def _tatqa_items(data_dir: Path) -> Iterator[_Item]:
    contexts = json.loads((data_dir / TATQA_FILE).read_text(encoding="utf-8"))
    for context in contexts:
        uid = context["table"]["uid"]
        split = split_of("tatqa", uid)
        rng = random.Random(f"tatqa:{uid}")
        file_name, page = _fake_file(rng, f"annual-report-{uid[:6]}", ".pdf")
        table = SourcePassage(_table_markdown(context["table"]["table"]), file_name, page)
        paragraphs = {
            str(p["order"]): SourcePassage(p["text"], file_name, page)
            for p in sorted(context["paragraphs"], key=lambda p: p["order"])
        }
        own = (table, *paragraphs.values())
        orders = list(paragraphs)
        for question in context["questions"]:
            if question["answer_type"] not in ("span", "multi-span"):
                continue
            answer = _tatqa_answer_text(question["answer"], question.get("scale", ""))
            if answer is None:
                continue
            gold = [1 + orders.index(r) for r in question["rel_paragraphs"] if r in orders]
            if "table" in question["answer_from"]:
                gold.append(0)
            spans = question["answer"] if isinstance(question["answer"], list) else []
            yield _Item(
                item_id=uid,
                question_id=question["uid"],
                source="tatqa",
                split=split,
                question=question["question"],
                own=own,
                gold=tuple(sorted(set(gold))),
                answer_text=answer,
                answers=tuple(str(s) for s in spans) or (answer,),
                kind=question["answer_type"],
            )


# --- PubMedQA -----------------------------------------------------------------------------

_FIRST_SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)")
_DECISION = {"yes": "Yes", "no": "No", "maybe": "Maybe"}


def _first_sentence(text: str) -> str:
    match = _FIRST_SENTENCE.match(" ".join(text.split()))
    return match.group(1) if match else text.strip()


def _decision_sentence(decision: str, conclusion: str) -> str:
    """ "Yes, <conclusion>" with the conclusion's capital dropped unless it starts an acronym."""
    if len(conclusion) > 1 and conclusion[1].islower():
        conclusion = conclusion[0].lower() + conclusion[1:]
    return f"{_DECISION[decision]}, {conclusion}" if conclusion else f"{_DECISION[decision]}."


def _pubmedqa_items(data_dir: Path) -> Iterator[_Item]:
    records: dict[str, Any] = json.loads((data_dir / PUBMEDQA_FILE).read_text(encoding="utf-8"))
    for pmid, record in records.items():
        decision = record["final_decision"]
        file_name = f"pubmed-{pmid}.txt"
        own = tuple(
            SourcePassage(f"{label.title()}: {text}", file_name)
            for label, text in zip(record["LABELS"], record["CONTEXTS"], strict=False)
        )
        gold = tuple(i for i, label in enumerate(record["LABELS"]) if "RESULT" in label.upper())
        conclusion = _first_sentence(record.get("LONG_ANSWER", ""))
        yield _Item(
            item_id=pmid,
            question_id=pmid,
            source="pubmedqa",
            split=split_of("pubmedqa", pmid),
            question=record["QUESTION"],
            own=own,
            gold=gold or (len(own) - 1,),
            answer_text=_decision_sentence(decision, conclusion),
            answers=(decision,),
            kind=decision,
        )


# --- HaluEval -----------------------------------------------------------------------------


def _halueval_items(data_dir: Path) -> Iterator[_Item]:
    with (data_dir / HALUEVAL_FILE).open(encoding="utf-8") as rows:
        for line in rows:
            row = json.loads(line)
            question, answer = row["question"].strip(), row["right_answer"].strip()
            if not question or not answer or len(answer.split()) > 12:
                continue
            digest = hashlib.sha256(question.encode()).hexdigest()[:8]
            passage = SourcePassage(row["knowledge"], f"article-{digest}.html")
            yield _Item(
                item_id=question,
                question_id=digest,
                source="halueval",
                split=split_of("halueval", question),
                question=question,
                own=(passage,),
                gold=(0,),
                answer_text=answer,
                answers=(answer,),
                kind="span",
            )


# --- LegalBench-RAG -----------------------------------------------------------------------

_QUOTE = re.compile(r"[“\"]([^”\"]{20,})[”\"]")
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*")
_NO_ANSWER = re.compile(r"\b(no information|does not (?:say|specify|address|mention|cover))\b")
_LEGAL_WINDOW_WORDS = 110


def _quoted_clause(completion: str, document: str) -> str | None:
    """The longest fragment (6 words or more) quoted in ``completion`` that occurs verbatim in
    ``document``, which must already have its whitespace collapsed."""
    best: str | None = None
    for quote in _QUOTE.findall(completion):
        for fragment in _ELLIPSIS.split(quote):
            fragment = " ".join(fragment.split()).strip(" .;,")
            enough = len(fragment.split()) >= 6
            if enough and fragment in document and (best is None or len(fragment) > len(best)):
                best = fragment
    return best


def _window(document: str, clause: str, rng: random.Random) -> str:
    """About ``_LEGAL_WINDOW_WORDS`` words of ``document`` around ``clause``, which it holds."""
    start = document.index(clause)
    before = document[:start].split()
    clause_words = clause.split()
    after = document[start + len(clause) :].split()
    room = max(0, _LEGAL_WINDOW_WORDS - len(clause_words))
    lead = rng.randint(0, min(room, len(before)))
    tail = room - lead
    return " ".join(before[len(before) - lead :] + clause_words + after[:tail])


def _legal_items(data_dir: Path) -> Iterator[_Item]:
    base = data_dir / LEGAL_DIR
    for set_name in LEGAL_SETS:
        with (base / set_name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for index, row in enumerate(rows):
            source_file = urllib.parse.unquote(row["source_file"])
            path = base / "knowledge-base" / source_file
            completion = row["expected completion"]
            if not path.is_file() or _NO_ANSWER.search(completion.split("\n")[0]):
                continue
            document = " ".join(path.read_text(encoding="utf-8").split())
            clause = _quoted_clause(completion, document)
            if clause is None:
                continue
            clause_words = clause.split()
            if len(clause_words) > 40:
                clause = " ".join(clause_words[:40])
            rng = random.Random(f"legal:{set_name}:{index}")
            file_name = Path(source_file).stem[:60] + ".pdf"
            passage = SourcePassage(_window(document, clause, rng), file_name, rng.randint(1, 40))
            yield _Item(
                item_id=source_file,
                question_id=f"{set_name}:{index}",
                source="legalbench",
                split=split_of("legalbench", source_file),
                question=row["prompt"],
                own=(passage,),
                gold=(0,),
                answer_text=f'The document states: "{clause}"',
                answers=(clause,),
                kind=set_name.removesuffix(".csv"),
            )


# --- assembling examples ------------------------------------------------------------------


def _fit(
    passages: Sequence[SourcePassage], count: CountTokens, budget: int
) -> list[SourcePassage] | None:
    """``passages`` if together they fit ``budget`` tokens, else ``None``."""
    return list(passages) if sum(count(p.text) + 12 for p in passages) <= budget else None


def _answerable(
    item: _Item, pool: Sequence[_Item], count: CountTokens, rng: random.Random, budget: int
) -> Example | None:
    """The item's gold passages among distractors (its own other passages first, then other
    items' passages), shuffled, within the token budget."""
    gold = [item.own[i] for i in item.gold]
    if _fit(gold, count, budget) is None:
        return None
    chosen = list(gold)
    used = sum(count(p.text) + 12 for p in chosen)
    others = [p for i, p in enumerate(item.own) if i not in item.gold]
    rng.shuffle(others)
    strangers = [p for other in rng.sample(list(pool), min(3, len(pool))) for p in other.own[:2]]
    wanted = rng.randint(1, 4)
    for passage in [*others, *strangers]:
        if len(chosen) - len(gold) >= wanted:
            break
        cost = count(passage.text) + 12
        if passage not in chosen and used + cost <= budget:
            chosen.append(passage)
            used += cost
    rng.shuffle(chosen)
    numbers = tuple(sorted(chosen.index(p) + 1 for p in gold))
    return Example(
        example_id=f"{item.source}:{item.question_id}",
        source=item.source,
        split=item.split,
        question=item.question,
        passages=tuple(chosen),
        target=f"{item.answer_text.rstrip('.')} {_cite(numbers)}.",
        gold=numbers,
        answers=item.answers,
        kind=item.kind,
    )


def _unanswerable(
    item: _Item, pool: Sequence[_Item], count: CountTokens, rng: random.Random, budget: int
) -> Example | None:
    """The item's question over passages of other items of the same source and split, none of
    which contains its answer text."""
    candidates = [o for o in pool if o.item_id != item.item_id]
    if not candidates:
        return None
    chosen: list[SourcePassage] = []
    used = 0
    needle = item.answers[0].lower() if item.answers else ""
    for other in rng.sample(candidates, min(4, len(candidates))):
        passage = rng.choice(other.own)
        cost = count(passage.text) + 12
        if (needle and len(needle) > 3 and needle in passage.text.lower()) or passage in chosen:
            continue
        if used + cost <= budget:
            chosen.append(passage)
            used += cost
        if len(chosen) >= rng.randint(1, 4):
            break
    if not chosen:
        return None
    return Example(
        example_id=f"unanswerable:{item.source}:{item.question_id}",
        source=item.source,
        split=item.split,
        question=item.question,
        passages=tuple(chosen),
        target=ABSTENTION,
        gold=(),
        answers=(),
        kind="unanswerable",
    )


READERS: dict[str, Callable[[Path], Iterator[_Item]]] = {
    "tatqa": _tatqa_items,
    "pubmedqa": _pubmedqa_items,
    "halueval": _halueval_items,
    "legalbench": _legal_items,
}

DEFAULT_MIX: dict[str, int] = {"tatqa": 320, "pubmedqa": 260, "halueval": 220, "legalbench": 100}
"""Answerable examples drawn from each source (fewer when a source has fewer)."""

UNANSWERABLE_SHARE = 0.4
"""Unanswerable examples, as a share of all examples (the bundled adapter was trained with 0.4)."""


def build_examples(
    data_dir: Path,
    split: Split,
    *,
    count_tokens: CountTokens = approximate_tokens,
    mix: dict[str, int] | None = None,
    unanswerable_share: float = UNANSWERABLE_SHARE,
    seed: int = 13,
    passage_tokens: int = MAX_PASSAGE_TOKENS,
) -> list[Example]:
    """Deterministic examples of one split, shuffled so that any prefix keeps the mix; the
    passages of each example fit ``passage_tokens``.

    Sources whose files are missing are skipped; an empty list means no data was found.
    """
    if not 0 <= unanswerable_share < 1:
        raise ValueError("unanswerable_share must be in [0, 1)")
    wanted = DEFAULT_MIX if mix is None else mix
    answerable: list[Example] = []
    unanswerable: list[Example] = []
    for source, reader in READERS.items():
        if wanted.get(source, 0) <= 0:
            continue
        try:
            pool = [item for item in reader(data_dir) if item.split == split]
        except FileNotFoundError:
            continue
        rng = random.Random(f"{seed}:{source}:{split}")
        rng.shuffle(pool)
        made = 0
        for item in pool:
            if made >= wanted[source]:
                break
            example = _answerable(item, pool, count_tokens, rng, passage_tokens)
            if example is not None:
                answerable.append(example)
                made += 1
        share = unanswerable_share / (1 - unanswerable_share)
        # Questions not used above come first; then answerable ones again, over other passages.
        for item in (pool[made:] + pool[:made])[: round(made * share)]:
            negative = _unanswerable(item, pool, count_tokens, rng, passage_tokens)
            if negative is not None:
                unanswerable.append(negative)
    examples = answerable + unanswerable
    random.Random(f"{seed}:{split}:order").shuffle(examples)
    return examples


def to_json(example: Example) -> dict[str, Any]:
    """A JSON-ready record of ``example`` (for inspection and model cards)."""
    record = {
        "example_id": example.example_id,
        "source": example.source,
        "split": example.split,
        "kind": example.kind,
        "question": example.question,
        "passages": [
            {"file_name": p.file_name, "page": p.page, "text": p.text} for p in example.passages
        ],
        "target": example.target,
        "gold": list(example.gold),
        "answers": list(example.answers),
    }
    return record


def main(argv: Sequence[str] | None = None) -> None:
    """Write the examples of one split as JSON lines, to read what the model is taught."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data", type=Path, required=True, help="public evaluation data folder")
    parser.add_argument("--split", choices=("train", "eval"), default="train")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    examples = build_examples(args.data, args.split)
    with args.out.open("w", encoding="utf-8") as out:
        for example in examples:
            out.write(json.dumps(to_json(example), ensure_ascii=False) + "\n")
    print(f"{len(examples)} examples written to {args.out}")


if __name__ == "__main__":
    main()
