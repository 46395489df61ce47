from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from assistant.generation.prompt import ABSTENTION
from training.generation.training_data import (
    EVAL_PERCENT,
    HALUEVAL_FILE,
    LEGAL_DIR,
    MAX_PASSAGE_TOKENS,
    PUBMEDQA_FILE,
    TATQA_FILE,
    Example,
    approximate_tokens,
    build_examples,
    split_of,
)

CITATION = re.compile(r"\[(\d+)\]")


def write_tatqa(root: Path, contexts: int = 30) -> None:
    data = []
    for c in range(contexts):
        data.append(
            {
                "table": {"uid": f"table-{c}", "table": [["", "2019"], ["Sales", f"{100 + c}.5"]]},
                "paragraphs": [
                    {"uid": f"p{c}-1", "order": 1, "text": f"Company {c} sells widgets."},
                    {"uid": f"p{c}-2", "order": 2, "text": f"Its chief officer is Officer{c}."},
                ],
                "questions": [
                    {
                        "uid": f"q{c}-1",
                        "question": f"Who is the chief officer of company {c}?",
                        "answer": [f"Officer{c}"],
                        "answer_type": "span",
                        "answer_from": "text",
                        "rel_paragraphs": ["2"],
                        "scale": "",
                    },
                    {
                        "uid": f"q{c}-2",
                        "question": f"What were sales of company {c} in 2019?",
                        "answer": [f"{100 + c}.5"],
                        "answer_type": "span",
                        "answer_from": "table",
                        "rel_paragraphs": [],
                        "scale": "million",
                    },
                    {
                        "uid": f"q{c}-3",
                        "question": "What is the change?",
                        "answer": 3.0,
                        "answer_type": "arithmetic",
                        "answer_from": "table",
                        "rel_paragraphs": [],
                        "scale": "",
                    },
                ],
            }
        )
    path = root / TATQA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def write_pubmedqa(root: Path, items: int = 30) -> None:
    data = {
        str(1000 + i): {
            "QUESTION": f"Does drug {i} help?",
            "CONTEXTS": [f"We studied drug {i}.", f"Drug {i} lowered pressure in 80%."],
            "LABELS": ["BACKGROUND", "RESULTS"],
            "LONG_ANSWER": f"Drug {i} lowers pressure. More work is needed.",
            "final_decision": ["yes", "no", "maybe"][i % 3],
        }
        for i in range(items)
    }
    path = root / PUBMEDQA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def write_halueval(root: Path, rows: int = 30) -> None:
    path = root / HALUEVAL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "knowledge": f"Town{i} lies on river River{i}.",
                "question": f"Which river does Town{i} lie on?",
                "right_answer": f"River{i}",
                "hallucinated_answer": "The Nile.",
            }
        )
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_legal(root: Path, documents: int = 12) -> None:
    base = root / LEGAL_DIR
    (base / "knowledge-base" / "cuad").mkdir(parents=True, exist_ok=True)
    rows = []
    for d in range(documents):
        clause = f"This Agreement shall be governed by the laws of State{d} in all respects"
        text = f"Preamble of agreement {d}. " * 20 + clause + ". Signatures follow. " * 10
        (base / "knowledge-base" / "cuad" / f"Agreement {d}.txt").write_text(text, "utf-8")
        rows.append(
            {
                "prompt": f"Consider agreement {d}; What is the governing law?",
                "expected completion": f"The clause reads: “{clause}.” So State{d} law applies.",
                "source_file": f"cuad/Agreement%20{d}.txt",
            }
        )
    for name in ("contractnli.csv", "cuad.csv", "maud.csv", "privacy_qa.csv"):
        with (base / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, ["prompt", "expected completion", "source_file"])
            writer.writeheader()
            writer.writerows(rows if name == "cuad.csv" else [])


def write_all(root: Path) -> None:
    write_tatqa(root)
    write_pubmedqa(root)
    write_halueval(root)
    write_legal(root)


def test_split_is_fixed_and_holds_out_about_a_fifth() -> None:
    ids = [f"id-{i}" for i in range(2000)]
    held_out = [i for i in ids if split_of("tatqa", i) == "eval"]
    assert [split_of("tatqa", i) for i in ids] == [split_of("tatqa", i) for i in ids]
    assert abs(len(held_out) / len(ids) - EVAL_PERCENT / 100) < 0.03
    assert split_of("tatqa", "x") in ("train", "eval")


def test_answerable_targets_cite_the_passage_that_holds_the_answer(tmp_path: Path) -> None:
    write_all(tmp_path)
    examples = build_examples(tmp_path, "train")
    answerable = [e for e in examples if e.answerable]
    assert {e.source for e in answerable} == {"tatqa", "pubmedqa", "halueval", "legalbench"}
    for example in answerable:
        cited = [int(n) for n in CITATION.findall(example.target)]
        assert cited == list(example.gold)
        assert all(1 <= n <= len(example.passages) for n in cited)
        if example.source in ("halueval", "legalbench") or example.kind == "span":
            gold_text = " ".join(example.passages[n - 1].text for n in cited)
            assert example.answers[0].split()[0] in gold_text
        assert example.target.endswith("].")


def test_unanswerable_examples_abstain_over_other_items_passages(tmp_path: Path) -> None:
    write_all(tmp_path)
    examples = build_examples(tmp_path, "train")
    negatives = [e for e in examples if not e.answerable]
    assert negatives
    for example in negatives:
        assert example.target == ABSTENTION
        assert example.gold == ()
        if example.source == "halueval":
            number = re.search(r"Town(\d+)", example.question)
            assert number is not None
            assert all(f"River{number.group(1)}." not in p.text for p in example.passages)


def test_train_and_eval_never_share_an_item(tmp_path: Path) -> None:
    write_all(tmp_path)
    train = build_examples(tmp_path, "train")
    held_out = build_examples(tmp_path, "eval")
    assert train and held_out
    assert all(e.split == "train" for e in train)
    assert all(e.split == "eval" for e in held_out)
    train_passages = {p.text for e in train for p in e.passages}
    assert not train_passages & {p.text for e in held_out for p in e.passages}


def test_arithmetic_questions_are_left_out(tmp_path: Path) -> None:
    write_tatqa(tmp_path)
    examples = build_examples(tmp_path, "train") + build_examples(tmp_path, "eval")
    assert all(e.question != "What is the change?" for e in examples)


def test_examples_are_deterministic(tmp_path: Path) -> None:
    write_all(tmp_path)
    assert build_examples(tmp_path, "train") == build_examples(tmp_path, "train")


def test_missing_data_gives_no_examples(tmp_path: Path) -> None:
    assert build_examples(tmp_path, "train") == []


def test_unanswerable_share_controls_the_mix(tmp_path: Path) -> None:
    write_all(tmp_path)
    none = build_examples(tmp_path, "train", unanswerable_share=0.0)
    some = build_examples(tmp_path, "train", unanswerable_share=0.4)
    assert none and all(e.answerable for e in none)
    assert any(not e.answerable for e in some)
    with pytest.raises(ValueError):
        build_examples(tmp_path, "train", unanswerable_share=1.0)


def test_passage_budget_bounds_every_example_and_a_larger_one_adds_passages(
    tmp_path: Path,
) -> None:
    write_all(tmp_path)

    def cost(example: Example) -> int:
        return sum(approximate_tokens(p.text) + 12 for p in example.passages)

    short = build_examples(tmp_path, "train", passage_tokens=MAX_PASSAGE_TOKENS)
    long = build_examples(tmp_path, "train", passage_tokens=4 * MAX_PASSAGE_TOKENS)
    assert short == build_examples(tmp_path, "train")
    assert all(cost(e) <= MAX_PASSAGE_TOKENS for e in short)
    assert all(cost(e) <= 4 * MAX_PASSAGE_TOKENS for e in long)
    assert max(cost(e) for e in long) > MAX_PASSAGE_TOKENS
    mean_passages = [sum(len(e.passages) for e in x) / len(x) for x in (short, long)]
    assert mean_passages[1] > mean_passages[0]
    # The budget changes what an example shows, never which split an item belongs to.
    assert not {e.example_id for e in long} & {
        e.example_id for e in build_examples(tmp_path, "eval", passage_tokens=10_000)
    }
