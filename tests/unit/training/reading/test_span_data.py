"""The span reader's examples and their token labels (no model: the tokenizer only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.reading import span_data
from training.reading.span_data import SpanExample, halueval_examples, tatqa_examples
from training.reading.train_span_reader import _token_labels


def write_halueval(folder: Path, rows: list[dict[str, str]]) -> None:
    path = folder / span_data.HALUEVAL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def row(question: str, knowledge: str, answer: str) -> dict[str, str]:
    return {"question": question, "knowledge": knowledge, "right_answer": answer}


KNOWLEDGE = (
    "The Harbour Bridge opened in 1932.It spans the northern channel. The bridge is painted "
    "grey every seven years by a crew of twelve workers who use a special lead-free paint."
)


def test_halueval_rows_give_located_answers_and_negatives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(span_data, "split_of", lambda source, item: "train")
    write_halueval(
        tmp_path,
        [
            row("When did the bridge open?", KNOWLEDGE, "1932"),
            row("Who built it?", KNOWLEDGE, "nobody named"),
        ],
    )
    examples = list(halueval_examples(tmp_path, "train"))
    assert [e.origin for e in examples] == ["halueval", "halueval-negative"]
    positive, negative = examples
    assert positive.answer == "1932"
    assert negative.start is None and negative.answer == ""
    assert "1932" not in negative.context and "painted grey" in negative.context


def test_rows_of_the_other_split_are_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(span_data, "split_of", lambda source, item: "eval")
    write_halueval(tmp_path, [row("When did the bridge open?", KNOWLEDGE, "1932")])
    assert list(halueval_examples(tmp_path, "train")) == []


def test_tatqa_text_spans_take_their_paragraph_and_another_as_negative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(span_data, "split_of", lambda source, item: "train")
    item = {
        "table": {"uid": "t1", "table": [["", "2019"], ["Revenue", "5"]]},
        "paragraphs": [
            {"order": 2, "text": "Revenue is recognised when control passes to the customer."},
            {"order": 1, "text": "The company adopted the new lease standard in 2019."},
        ],
        "questions": [
            {
                "answer_type": "span",
                "answer_from": "text",
                "answer": ["control passes"],
                "question": "When is revenue recognised?",
            },
            {
                "answer_type": "arithmetic",
                "answer_from": "table",
                "answer": 5,
                "question": "What is revenue?",
            },
        ],
    }
    path = tmp_path / span_data.TATQA_FILE
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps([item]), encoding="utf-8")
    examples = list(tatqa_examples(tmp_path, "train"))
    assert [(e.origin, e.answer) for e in examples] == [
        ("tatqa", "control passes"),
        ("tatqa-negative", ""),
    ]
    assert examples[1].context.startswith("The company adopted")


def test_token_labels_point_at_the_answer_or_the_first_token() -> None:
    from transformers import AutoTokenizer

    from assistant.backbone import backbone_path

    tokenizer = AutoTokenizer.from_pretrained(str(backbone_path()))
    found = SpanExample("When?", "It opened in 1932 to traffic.", 13, 17, "x")
    missing = SpanExample("When?", "It opened to traffic.", None, None, "x")
    encoded = tokenizer(
        [found.question, missing.question],
        [found.context, missing.context],
        padding=True,
        return_offsets_mapping=True,
    )
    first, last = _token_labels(encoded, 0, found)  # type: ignore[misc]
    ids = encoded["input_ids"][0][first : last + 1]
    assert tokenizer.decode(ids) == "1932"
    assert _token_labels(encoded, 1, missing) == (0, 0)
