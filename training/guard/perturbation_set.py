"""The perturbation set: supported answers from the public evaluation sets, each paired with one
minimal edit that makes it unsupported (``training.guard.perturb``), for training detectors and
for measuring whether they generalise to unseen domains and unseen kinds of error.

Where the supported answers come from:

* TAT-QA (finance): span and multi-span questions only. Their answer is written in the
  passages; arithmetic and count answers are supported only through a computation the
  detectors are not asked to check, so they would teach that absent figures are fine. The
  answer is put the way a generator states it: "What was the total sales in 2019?" becomes
  "The total sales in 2019 was $1,496.5 million." (the question's subject, its verb, the gold
  answer with its scale: "million", "thousand" or "%", never added to a year); questions of
  other shapes give the answer alone ("2019."). The evidence is the question's table (rendered
  as "cell | cell" rows) and/or its relevant paragraphs, following ``answer_from``.
* PubMedQA (medical): the abstract's conclusion (``LONG_ANSWER``) against the rest of the
  abstract (``CONTEXTS``).
* LegalBench-RAG (legal): the reference answers quote the contract. The longest quoted passage
  found word for word in the source document (after normalising whitespace, quote marks, dashes
  and case) becomes the answer, in the document's own words; the evidence is the ~1,500
  characters of the document around it. Rows that quote nothing found in the document are
  skipped, and so are repeats of a clause already taken from the same document.

Every supported answer with at least one applicable edit gives two items: itself and one edit.
The edit type is the applicable one used least so far in that dataset, so the types stay as
balanced as the answers allow. A supported item and its edit share ``item_id``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote

from training.guard.perturb import EDIT_TYPES, perturb_all

DATASETS = ("tatqa", "pubmedqa", "legalbench")
DEFAULT_OUTPUT = Path("data") / "perturbation_set.jsonl"


@dataclass(frozen=True)
class PerturbationItem:
    """One answer with its evidence; ``supported`` is the label, ``edit_type`` names the edit
    that made an unsupported answer (``None`` for supported ones)."""

    dataset: str
    item_id: str
    question: str
    answer: str
    evidence: tuple[str, ...]
    supported: bool
    edit_type: str | None


@dataclass(frozen=True)
class SupportedAnswer:
    """A question, an answer its evidence supports, and that evidence."""

    dataset: str
    item_id: str
    question: str
    answer: str
    evidence: tuple[str, ...]


# --- TAT-QA -------------------------------------------------------------------------------------

_SUBJECT_QUESTION = re.compile(
    r"^(?:What|Which)\s+(?P<verb>is|was|are|were)\s+(?P<the>the\s+)?(?P<subject>.+?)\s*\??$"
)
_HOW_MUCH = re.compile(r"^How\s+much\s+(?P<verb>is|was|are|were)\s+(?P<subject>.+?)\s*\??$")
_NUMERIC_ANSWER = re.compile(r"^[-(]?\s*[$€£]?\s*[-(]?\d[\d,]*(?:\.\d+)?\)?\s*%?$")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_SCALE_SUFFIX = {"thousand": " thousand", "million": " million", "billion": " billion"}


def _with_scale(answer: str, scale: str) -> str:
    answer = " ".join(answer.split())
    if not _NUMERIC_ANSWER.match(answer) or _YEAR.match(answer):
        return answer
    if scale == "percent":
        return answer if answer.endswith("%") else f"{answer}%"
    return answer + _SCALE_SUFFIX.get(scale, "")


def _joined(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def tatqa_sentence(question: str, answers: Sequence[str], scale: str) -> str:
    """The gold answer as a generator would state it (see the module docstring)."""
    stated = _joined([_with_scale(answer, scale) for answer in answers])
    question = " ".join(question.split())
    match = _SUBJECT_QUESTION.match(question) or _HOW_MUCH.match(question)
    if match is None:
        return f"{stated[:1].upper()}{stated[1:]}."
    subject = match.group("subject")
    subject = f"the {subject}" if match.groupdict().get("the") else subject
    return f"{subject[:1].upper()}{subject[1:]} {match.group('verb')} {stated}."


def render_table(rows: Sequence[Sequence[str]]) -> str:
    """A table as text, one "cell | cell" line per non-empty row."""
    lines = []
    for row in rows:
        cells = [" ".join(str(cell).split()) for cell in row]
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)


def tatqa_answers(path: Path) -> Iterator[SupportedAnswer]:
    """Span and multi-span TAT-QA questions as supported answers."""
    contexts = json.loads(path.read_text(encoding="utf-8"))
    for context in contexts:
        table = render_table(context["table"]["table"])
        paragraphs = {str(p["order"]): p["text"] for p in context["paragraphs"]}
        for question in context["questions"]:
            if question["answer_type"] not in {"span", "multi-span"}:
                continue
            answers = question["answer"]
            answers = [answers] if isinstance(answers, str) else [str(a) for a in answers]
            evidence = [table] if "table" in question["answer_from"] else []
            if "text" in question["answer_from"]:
                evidence += [paragraphs[o] for o in question["rel_paragraphs"] if o in paragraphs]
            if not evidence or not answers:
                continue
            yield SupportedAnswer(
                dataset="tatqa",
                item_id=question["uid"],
                question=question["question"],
                answer=tatqa_sentence(question["question"], answers, question["scale"]),
                evidence=tuple(evidence),
            )


# --- PubMedQA -----------------------------------------------------------------------------------


def pubmedqa_answers(path: Path) -> Iterator[SupportedAnswer]:
    """Each abstract's conclusion as the answer, the rest of the abstract as evidence."""
    items = json.loads(path.read_text(encoding="utf-8"))
    for pubmed_id, item in items.items():
        if item.get("LONG_ANSWER") and item.get("CONTEXTS"):
            yield SupportedAnswer(
                dataset="pubmedqa",
                item_id=str(pubmed_id),
                question=item["QUESTION"],
                answer=" ".join(item["LONG_ANSWER"].split()),
                evidence=tuple(item["CONTEXTS"]),
            )


# --- LegalBench-RAG -----------------------------------------------------------------------------

_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"")
_BREAK = re.compile(r"…|\.\s?\.\s?\.|•|\[[^\]]*\]")
_SAME_CHARS = str.maketrans(
    {'"': "'", "“": "'", "”": "'", "‘": "'", "’": "'", "´": "'", "–": "-", "—": "-", "‑": "-"}
)
_MIN_CLAUSE_WORDS = 8
_MAX_CLAUSE_CHARS = 800
_WINDOW_CHARS = 1500


@dataclass(frozen=True)
class _Searchable:
    """A document flattened for matching, with each flattened character's original offset."""

    text: str
    offsets: tuple[int, ...]


def _flatten(text: str) -> _Searchable:
    chars: list[str] = []
    offsets: list[int] = []
    for offset, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                offsets.append(offset)
            continue
        lowered = char.translate(_SAME_CHARS).lower()
        chars.append(lowered if len(lowered) == 1 else char)
        offsets.append(offset)
    return _Searchable("".join(chars), tuple(offsets))


def quoted_fragments(completion: str) -> list[str]:
    """Quoted passages of a reference answer, longest first. A quote is split where the writer
    left text out or put their own in (ellipses, bullets, "[...]"), and loses its end
    punctuation."""
    fragments = []
    for match in _QUOTED.finditer(completion):
        for piece in _BREAK.split(match.group(1) or match.group(2)):
            piece = " ".join(piece.split()).strip(" ,;:.")
            if len(piece.split()) >= _MIN_CLAUSE_WORDS and len(piece) <= _MAX_CLAUSE_CHARS:
                fragments.append(piece)
    return sorted(fragments, key=len, reverse=True)


def clause_with_window(document: str, completion: str) -> tuple[str, str] | None:
    """The longest quoted clause found in ``document``, in the document's words, and the window
    of about 1,500 characters around it; ``None`` when nothing quoted is found."""
    return _clause_in(document, _flatten(document), completion)


def _clause_in(document: str, searchable: _Searchable, completion: str) -> tuple[str, str] | None:
    for fragment in quoted_fragments(completion):
        wanted = _flatten(fragment).text
        found = searchable.text.find(wanted)
        if found < 0:
            continue
        start = searchable.offsets[found]
        end = searchable.offsets[found + len(wanted) - 1] + 1
        if document[end : end + 1] == ".":
            end += 1
        margin = max(0, _WINDOW_CHARS - (end - start)) // 2
        window_start = max(0, start - margin)
        window_end = min(len(document), end + margin)
        while window_start > 0 and not document[window_start - 1].isspace():
            window_start -= 1
        while window_end < len(document) and not document[window_end].isspace():
            window_end += 1
        clause = " ".join(document[start:end].split())
        return clause, " ".join(document[window_start:window_end].split())
    return None


def _document_name(knowledge_base: Path, source: str) -> str | None:
    """The name of the document a row refers to, as found under ``knowledge_base``; some rows
    give it URL-encoded ("DBT%20Mutual%20NDA.txt")."""
    for name in (source, unquote(source)):
        if (knowledge_base / name).is_file():
            return name
    return None


def legalbench_answers(folder: Path) -> Iterator[SupportedAnswer]:
    """Quoted contract clauses from the LegalBench-RAG reference answers."""
    knowledge_base = folder / "knowledge-base"
    documents: dict[str, tuple[str, _Searchable]] = {}
    taken: set[tuple[str, str]] = set()
    for table in sorted(folder.glob("*.csv")):
        with table.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for number, row in enumerate(rows):
            source = _document_name(knowledge_base, row["source_file"])
            if source is None:
                continue
            if source not in documents:
                text = (knowledge_base / source).read_text(encoding="utf-8")
                documents[source] = (text, _flatten(text))
            found = _clause_in(*documents[source], row["expected completion"])
            if found is None or (source, found[0]) in taken:
                continue
            taken.add((source, found[0]))
            yield SupportedAnswer(
                dataset="legalbench",
                item_id=f"{table.stem}-{number}",
                question=row["prompt"],
                answer=found[0],
                evidence=(found[1],),
            )


# --- the set ------------------------------------------------------------------------------------


def supported_answers(data_dir: Path) -> Iterator[SupportedAnswer]:
    """All supported answers of the three sets under ``data_dir`` (the evaluation data folder)."""
    yield from tatqa_answers(data_dir / "finance" / "tatqa_dev.json")
    yield from pubmedqa_answers(data_dir / "medical" / "pubmedqa_dev.json")
    yield from legalbench_answers(data_dir / "legal" / "legalbench_rag_subset")


def with_edits(answers: Iterable[SupportedAnswer], seed: int = 0) -> list[PerturbationItem]:
    """Each supported answer followed by one edit of it; answers no edit applies to are left
    out. The edit type is the least used so far in the answer's dataset among those that apply
    (ties broken by a seeded draw)."""
    used: dict[str, Counter[str]] = {}
    items: list[PerturbationItem] = []
    for source in answers:
        key = f"{seed}:{source.dataset}:{source.item_id}"
        edits = perturb_all(source.answer, source.evidence, key)
        applicable = [(t, edit) for t in EDIT_TYPES if (edit := edits[t]) is not None]
        if not applicable:
            continue
        random.Random(key).shuffle(applicable)
        counts = used.setdefault(source.dataset, Counter())
        chosen, edit = min(applicable, key=lambda pair: counts[pair[0]])
        counts[chosen] += 1
        base = PerturbationItem(
            dataset=source.dataset,
            item_id=source.item_id,
            question=source.question,
            answer=source.answer,
            evidence=source.evidence,
            supported=True,
            edit_type=None,
        )
        items.append(base)
        items.append(
            PerturbationItem(
                dataset=base.dataset,
                item_id=base.item_id,
                question=base.question,
                answer=edit.text,
                evidence=base.evidence,
                supported=False,
                edit_type=chosen,
            )
        )
    return items


def build(data_dir: Path, seed: int = 0) -> list[PerturbationItem]:
    """The perturbation set from the evaluation data in ``data_dir``."""
    return with_edits(supported_answers(data_dir), seed)


def split(
    items: Sequence[PerturbationItem],
    train_datasets: Collection[str],
    train_edit_types: Collection[str],
) -> tuple[list[PerturbationItem], list[PerturbationItem]]:
    """Training and held-out test items, where the test shares neither a dataset nor an edit
    type with training.

    Items go by pair (a supported answer and its edit, same dataset and ``item_id``) and a pair
    is typed by its edit. Training takes the pairs of a training dataset with a training edit
    type; the test takes the pairs of another dataset with another edit type. Pairs that mix
    the two (a training dataset with a held-out edit type, or the reverse) are in neither:
    they would let a detector see the test's domain or error type in training, or would be
    tested on something seen. Both sides keep one supported answer per edited one, so a
    detector cannot score well by favouring either label. The opposite direction is the same
    call with the complements.
    """
    unknown = set(train_edit_types) - set(EDIT_TYPES)
    if unknown:
        raise ValueError(f"unknown edit types {sorted(unknown)}; expected some of {EDIT_TYPES}")
    pair_types = {
        (item.dataset, item.item_id): item.edit_type for item in items if not item.supported
    }
    train: list[PerturbationItem] = []
    test: list[PerturbationItem] = []
    for item in items:
        edit_type = pair_types.get((item.dataset, item.item_id))
        if edit_type is None:
            continue
        seen_dataset = item.dataset in train_datasets
        seen_type = edit_type in train_edit_types
        if seen_dataset and seen_type:
            train.append(item)
        elif not seen_dataset and not seen_type:
            test.append(item)
    return train, test


def counts(items: Iterable[PerturbationItem]) -> dict[tuple[str, str], int]:
    """How many items each (dataset, label) holds, the label being an edit type or
    ``"supported"``."""
    tally = Counter((item.dataset, item.edit_type or "supported") for item in items)
    return dict(sorted(tally.items()))


def save_jsonl(items: Iterable[PerturbationItem], path: Path) -> None:
    """Writes the items one JSON object a line (keep the file out of version control)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")


def load_jsonl(path: Path) -> list[PerturbationItem]:
    """Reads what ``save_jsonl`` wrote."""
    items = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                record["evidence"] = tuple(record["evidence"])
                items.append(PerturbationItem(**record))
    return items


def main(argv: Sequence[str] | None = None) -> int:
    """Builds the set from the evaluation data and writes it as JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=os.environ.get("ASSISTANT_EVAL_DATA"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.data is None or not Path(args.data).is_dir():
        print("evaluation data not found: pass --data DIR or set ASSISTANT_EVAL_DATA")
        return 2
    items = build(Path(args.data), args.seed)
    save_jsonl(items, args.out)
    for (dataset, label), count in counts(items).items():
        print(f"{dataset}\t{label}\t{count}")
    print(f"{len(items)} items written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
