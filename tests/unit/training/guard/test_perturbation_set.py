from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from training.guard.perturb import EDIT_TYPES
from training.guard.perturbation_set import (
    PerturbationItem,
    SupportedAnswer,
    build,
    clause_with_window,
    counts,
    legalbench_answers,
    load_jsonl,
    main,
    pubmedqa_answers,
    quoted_fragments,
    render_table,
    save_jsonl,
    split,
    tatqa_answers,
    tatqa_sentence,
    with_edits,
)

FILLER = "The parties agree to the general terms set out below in good faith. " * 30
CLAUSE = (
    "Either party may terminate this Agreement upon thirty (30) days written notice to the "
    "other party, and the Licensee shall pay all fees due to Mount Knowledge Holdings Inc."
)


def write_tatqa(path: Path) -> None:
    context = {
        "table": {
            "uid": "t1",
            "table": [
                ["", "2019", "2018"],
                ["Fixed price", "$  1,452.4", "$  1,146.2"],
                ["Total sales", "$1,496.5", "$1,202.9"],
                ["", "", ""],
            ],
        },
        "paragraphs": [
            {"uid": "p1", "order": 1, "text": "Sales are shown by contract type (in millions)."},
            {"uid": "p2", "order": 2, "text": "On a cost-plus contract we are paid our costs."},
        ],
        "questions": [
            {
                "uid": "q-span",
                "question": "What was the total sales in 2019?",
                "answer": ["$1,496.5"],
                "answer_type": "span",
                "answer_from": "table-text",
                "rel_paragraphs": ["1"],
                "scale": "million",
            },
            {
                "uid": "q-text",
                "question": "What is paid on a cost-plus contract?",
                "answer": ["our costs"],
                "answer_type": "span",
                "answer_from": "text",
                "rel_paragraphs": ["2"],
                "scale": "",
            },
            {
                "uid": "q-year",
                "question": "In which year were total sales larger?",
                "answer": ["2019"],
                "answer_type": "span",
                "answer_from": "table",
                "rel_paragraphs": [],
                "scale": "percent",
            },
            {
                "uid": "q-arithmetic",
                "question": "What is the change in total sales?",
                "answer": 293.6,
                "answer_type": "arithmetic",
                "answer_from": "table",
                "rel_paragraphs": [],
                "scale": "million",
            },
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([context]), encoding="utf-8")


def write_pubmedqa(path: Path) -> None:
    items = {
        "101": {
            "QUESTION": "Does the drug lower blood pressure?",
            "CONTEXTS": ["In 2015, 120 patients took 5 mg daily.", "Pressure fell by 12%."],
            "LONG_ANSWER": "The drug lowered blood pressure by 12% at 5 mg daily.",
            "final_decision": "yes",
        },
        "102": {
            "QUESTION": "Is screening useful?",
            "CONTEXTS": ["Screening was studied."],
            "LONG_ANSWER": "",
            "final_decision": "maybe",
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(items), encoding="utf-8")


def write_legalbench(folder: Path) -> None:
    documents = folder / "knowledge-base" / "cuad"
    documents.mkdir(parents=True)
    spaced = CLAUSE.replace(" upon ", "\n   upon ").replace("Licensee shall", "Licensee  shall")
    document = FILLER + spaced + " " + FILLER
    (documents / "license agreement.txt").write_text(document, encoding="utf-8")
    quoted = CLAUSE.replace("Either", "either")
    rows = [
        {
            "prompt": "Consider the License; can it be terminated?",
            "expected completion": f"Yes. The Agreement says “{quoted}” (Termination).",
            "source_file": "cuad/license%20agreement.txt",
        },
        {
            "prompt": "Consider the License; what is the notice period?",
            "expected completion": f'Thirty days: "{CLAUSE}"',
            "source_file": "cuad/license agreement.txt",
        },
        {
            "prompt": "Consider the License; who owns the software?",
            "expected completion": "The excerpt does not say who owns the software at all.",
            "source_file": "cuad/license agreement.txt",
        },
        {
            "prompt": "Consider the License; is there a cap?",
            "expected completion": "“Liability is capped at the fees paid in the prior year.”",
            "source_file": "cuad/license agreement.txt",
        },
        {
            "prompt": "Consider the Lease; can it be terminated?",
            "expected completion": f"Yes: “{CLAUSE}”",
            "source_file": "cuad/missing lease.txt",
        },
    ]
    with (folder / "cuad.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["prompt", "expected completion", "source_file"])
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    write_tatqa(tmp_path / "finance" / "tatqa_dev.json")
    write_pubmedqa(tmp_path / "medical" / "pubmedqa_dev.json")
    write_legalbench(tmp_path / "legal" / "legalbench_rag_subset")
    return tmp_path


# --- TAT-QA -------------------------------------------------------------------------------------


def test_tatqa_sentence_states_the_answer_with_its_scale() -> None:
    assert (
        tatqa_sentence("What was the total sales in 2019?", ["$1,496.5"], "million")
        == "The total sales in 2019 was $1,496.5 million."
    )
    assert (
        tatqa_sentence("What are the contract types?", ["fixed", "cost-plus", "time"], "")
        == "The contract types are fixed, cost-plus and time."
    )
    assert tatqa_sentence("What was Apple's margin?", ["12.5"], "percent") == (
        "Apple's margin was 12.5%."
    )
    assert tatqa_sentence("In which year was it larger?", ["2019"], "percent") == "2019."
    assert tatqa_sentence("How much was the fee?", ["(38)"], "thousand") == (
        "The fee was (38) thousand."
    )


def test_tables_render_as_pipe_separated_rows_without_empty_rows() -> None:
    rows = [["", "2019"], ["Total  sales", "$1,496.5"], ["", ""]]
    assert render_table(rows) == " | 2019\nTotal sales | $1,496.5"


def test_tatqa_answers_keep_span_questions_with_their_evidence(data_dir: Path) -> None:
    answers = {a.item_id: a for a in tatqa_answers(data_dir / "finance" / "tatqa_dev.json")}
    assert set(answers) == {"q-span", "q-text", "q-year"}
    span = answers["q-span"]
    assert span.answer == "The total sales in 2019 was $1,496.5 million."
    assert span.evidence[0].startswith(" | 2019 | 2018\nFixed price | $ 1,452.4")
    assert span.evidence[1] == "Sales are shown by contract type (in millions)."
    assert answers["q-text"].evidence == ("On a cost-plus contract we are paid our costs.",)
    assert len(answers["q-year"].evidence) == 1


# --- PubMedQA -----------------------------------------------------------------------------------


def test_pubmedqa_answers_are_conclusions_against_the_abstract(data_dir: Path) -> None:
    (answer,) = pubmedqa_answers(data_dir / "medical" / "pubmedqa_dev.json")
    assert answer.item_id == "101"
    assert answer.answer.startswith("The drug lowered")
    assert answer.evidence == ("In 2015, 120 patients took 5 mg daily.", "Pressure fell by 12%.")


# --- LegalBench-RAG -----------------------------------------------------------------------------


def test_quoted_fragments_split_at_ellipses_and_drop_short_quotes() -> None:
    completion = (
        "It says “the Licensee shall pay all fees … within thirty days of the invoice date "
        'sent by the Licensor” and "Term".'
    )
    assert quoted_fragments(completion) == [
        "within thirty days of the invoice date sent by the Licensor",
    ]
    spaced_ellipsis = (
        "“The Recipient shall hold the information in strict confidence . . . and [the Recipient "
        "shall] return all copies of it to the Discloser within ten days.”"
    )
    assert quoted_fragments(spaced_ellipsis) == [
        "The Recipient shall hold the information in strict confidence",
        "return all copies of it to the Discloser within ten days",
    ]


def test_clause_is_found_despite_whitespace_quotes_and_case() -> None:
    document = FILLER + CLAUSE.replace(" upon ", "\n  upon ") + " " + FILLER
    found = clause_with_window(document, f"“{CLAUSE.lower()}”")
    assert found is not None
    clause, window = found
    assert clause == CLAUSE
    assert CLAUSE in window
    assert 1400 <= len(window) <= 1700
    assert clause_with_window(document, "“nothing of the sort appears in this document”") is None


def test_legalbench_answers_skip_unfound_repeated_and_missing_documents(data_dir: Path) -> None:
    answers = list(legalbench_answers(data_dir / "legal" / "legalbench_rag_subset"))
    assert [a.item_id for a in answers] == ["cuad-0"]
    assert answers[0].answer == CLAUSE
    assert CLAUSE in answers[0].evidence[0]
    assert answers[0].question == "Consider the License; can it be terminated?"


# --- the set ------------------------------------------------------------------------------------


def test_build_pairs_each_supported_answer_with_one_edit(data_dir: Path) -> None:
    items = build(data_dir, seed=0)
    assert items == build(data_dir, seed=0)
    supported = [i for i in items if i.supported]
    edited = [i for i in items if not i.supported]
    assert len(supported) == len(edited) > 0
    for original, edit in zip(items[::2], items[1::2], strict=True):
        assert original.supported and not edit.supported
        assert (original.dataset, original.item_id) == (edit.dataset, edit.item_id)
        assert original.edit_type is None
        assert edit.edit_type in EDIT_TYPES
        assert edit.answer != original.answer
        assert edit.evidence == original.evidence
    assert {i.dataset for i in items} == {"tatqa", "pubmedqa", "legalbench"}


def test_edit_types_are_balanced_within_a_dataset() -> None:
    answer = "The Licensee shall pay $1,250,000 within thirty (30) days of March 3, 2021."
    evidence = ("The Licensee shall pay $1,250,000 within thirty (30) days of March 3, 2021.",)
    sources = [
        SupportedAnswer("legal", str(n), "q", answer, evidence) for n in range(len(EDIT_TYPES) * 3)
    ]
    items = with_edits(sources, seed=0)
    tally = Counter(i.edit_type for i in items if not i.supported)
    assert tally == dict.fromkeys(EDIT_TYPES, 3)


def test_answers_no_edit_applies_to_are_left_out() -> None:
    sources = [SupportedAnswer("x", "1", "q", "okay", ("okay",))]
    assert with_edits(sources) == []


def pair(dataset: str, item_id: str, edit_type: str) -> list[PerturbationItem]:
    base = PerturbationItem(dataset, item_id, "q", "a", ("e",), True, None)
    return [base, PerturbationItem(dataset, item_id, "q", "b", ("e",), False, edit_type)]


def test_split_holds_out_both_dataset_and_edit_type() -> None:
    items = (
        pair("tatqa", "1", "number")
        + pair("tatqa", "2", "party")
        + pair("legalbench", "3", "number")
        + pair("legalbench", "4", "party")
        + pair("pubmedqa", "5", "negation")
    )
    train, test = split(items, {"tatqa", "pubmedqa"}, {"number", "negation"})
    assert train == pair("tatqa", "1", "number") + pair("pubmedqa", "5", "negation")
    assert test == pair("legalbench", "4", "party")
    reverse_train, reverse_test = split(items, {"legalbench"}, {"party", "date", "unit"})
    assert reverse_train == pair("legalbench", "4", "party")
    assert reverse_test == pair("tatqa", "1", "number") + pair("pubmedqa", "5", "negation")


def test_split_refuses_unknown_edit_types() -> None:
    with pytest.raises(ValueError, match="unknown edit types"):
        split([], {"tatqa"}, {"numbers"})


def test_jsonl_round_trip(tmp_path: Path) -> None:
    items = pair("tatqa", "1", "number") + pair("legalbench", "2", "party")
    path = tmp_path / "out" / "set.jsonl"
    save_jsonl(items, path)
    assert load_jsonl(path) == items
    assert len(path.read_text(encoding="utf-8").splitlines()) == 4


def test_counts_by_dataset_and_label() -> None:
    items = pair("tatqa", "1", "number") + pair("tatqa", "2", "party")
    assert counts(items) == {
        ("tatqa", "number"): 1,
        ("tatqa", "party"): 1,
        ("tatqa", "supported"): 2,
    }


def test_main_writes_the_set(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "set.jsonl"
    assert main(["--data", str(data_dir), "--out", str(out)]) == 0
    assert load_jsonl(out) == build(data_dir)
    assert "items written" in capsys.readouterr().out


def test_main_without_data_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "evaluation data not found" in capsys.readouterr().out
    assert not (tmp_path / "x.jsonl").exists()


# --- the real data ------------------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("ASSISTANT_EVAL_DATA"), reason="ASSISTANT_EVAL_DATA is not set"
)
def test_real_set_sizes_and_balance() -> None:
    data = Path(os.environ["ASSISTANT_EVAL_DATA"])
    if not (data / "finance" / "tatqa_dev.json").is_file():
        pytest.skip(f"no evaluation data under {data}")
    items = build(data)
    tally = counts(items)
    for dataset, least in (("tatqa", 600), ("pubmedqa", 400), ("legalbench", 40)):
        supported = tally[(dataset, "supported")]
        edited = sum(n for (d, label), n in tally.items() if d == dataset and label != "supported")
        assert supported == edited >= least
    tatqa_types = [tally.get(("tatqa", edit_type), 0) for edit_type in EDIT_TYPES]
    assert min(tatqa_types) >= max(tatqa_types) // 2
    for dataset in ("pubmedqa", "legalbench"):
        assert sum(1 for (d, label) in tally if d == dataset and label != "supported") >= 4
