"""Labelled claims the hallucination detector is trained and evaluated on.

Two public sources, each giving a supported and an unsupported answer over the same evidence:

* HaluEval QA, only rows whose right and hallucinated answers are within
  ``HALUEVAL_MAX_WORD_GAP`` words of each other, so that length cannot tell them apart (on the
  full set answer length alone separates them almost perfectly);
* the perturbation set (``training.guard.perturbation_set``): gold answers over TAT-QA, PubMedQA
  and LegalBench-RAG passages and their minimal edits, split by dataset and edit type so that
  what the detector is reported on was never seen in training.

HaluEval rows are split by a hash of their position (``training.generation.training_data``'s
rule), so the reported rows are never trained on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from training.generation.training_data import Split, split_of
from training.guard.perturbation_set import PerturbationItem, build, split

HALUEVAL_FILE = Path("hallucination/halueval_qa_dev.jsonl")
TATQA_FILE = Path("finance/tatqa_dev.json")
PUBMEDQA_FILE = Path("medical/pubmedqa_dev.json")
HALUEVAL_MAX_WORD_GAP = 1
TRAIN_DATASETS = ("tatqa", "pubmedqa")
TRAIN_EDIT_TYPES = ("number", "negation", "date")


@dataclass(frozen=True)
class LabelledClaim:
    """One answer sentence, the evidence it is judged on, and whether the evidence supports it."""

    origin: str
    question: str
    sentence: str
    evidence: tuple[str, ...]
    supported: bool
    edit_type: str | None = None


def halueval_claims(
    data_dir: Path, wanted: Split, *, length_matched: bool = True
) -> Iterator[LabelledClaim]:
    """Both answers of each HaluEval QA row of split ``wanted``."""
    lines = (data_dir / HALUEVAL_FILE).read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if not line.strip() or split_of("halueval", str(index)) != wanted:
            continue
        row = json.loads(line)
        right, wrong = row["right_answer"].strip(), row["hallucinated_answer"].strip()
        if not right or not wrong:
            continue
        if length_matched and abs(len(right.split()) - len(wrong.split())) > HALUEVAL_MAX_WORD_GAP:
            continue
        evidence = (row["knowledge"],)
        yield LabelledClaim("halueval", row["question"], right, evidence, True)
        yield LabelledClaim("halueval", row["question"], wrong, evidence, False)


def as_claim(item: PerturbationItem) -> LabelledClaim:
    return LabelledClaim(
        origin=item.dataset,
        question=item.question,
        sentence=item.answer,
        evidence=item.evidence,
        supported=item.supported,
        edit_type=item.edit_type,
    )


def generator_eval_items(data_dir: Path) -> set[tuple[str, str]]:
    """(dataset, item id) of the questions the generator is evaluated on (its held-out split,
    where the product's own answers come from): the detector must not train on their gold
    answers. TAT-QA is split by context, so each question takes its table's split."""
    held: set[tuple[str, str]] = set()
    tatqa = data_dir / TATQA_FILE
    if tatqa.is_file():
        for context in json.loads(tatqa.read_text(encoding="utf-8")):
            if split_of("tatqa", context["table"]["uid"]) == "eval":
                held.update(("tatqa", q["uid"]) for q in context["questions"])
    pubmedqa = data_dir / PUBMEDQA_FILE
    if pubmedqa.is_file():
        for pmid in json.loads(pubmedqa.read_text(encoding="utf-8")):
            if split_of("pubmedqa", str(pmid)) == "eval":
                held.add(("pubmedqa", str(pmid)))
    return held


def perturbation_claims(data_dir: Path) -> tuple[list[LabelledClaim], list[LabelledClaim]]:
    """(train, held-out) claims of the perturbation set; training leaves out the questions of
    the generator's held-out split."""
    train, test = split(build(data_dir), TRAIN_DATASETS, TRAIN_EDIT_TYPES)
    excluded = generator_eval_items(data_dir)
    kept = [i for i in train if (i.dataset, i.item_id) not in excluded]
    return [as_claim(i) for i in kept], [as_claim(i) for i in test]


def training_claims(data_dir: Path) -> list[LabelledClaim]:
    """Everything the shipped detector is trained on."""
    return [*halueval_claims(data_dir, "train"), *perturbation_claims(data_dir)[0]]
