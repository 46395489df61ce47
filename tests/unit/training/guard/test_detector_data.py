from __future__ import annotations

import json
from pathlib import Path

from training.generation.training_data import split_of
from training.guard.detector_data import HALUEVAL_FILE, generator_eval_items, halueval_claims


def write_halueval(root: Path, rows: list[tuple[str, str]]) -> None:
    path = root / HALUEVAL_FILE
    path.parent.mkdir(parents=True)
    lines = [
        json.dumps(
            {
                "knowledge": f"Fact number {i}.",
                "question": f"Question {i}?",
                "right_answer": right,
                "hallucinated_answer": wrong,
            }
        )
        for i, (right, wrong) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_halueval_rows_are_paired_split_and_length_matched(tmp_path: Path) -> None:
    rows = [("Paris", "Lyon")] * 40 + [("Paris", "It is a city in the south of France.")] * 40
    write_halueval(tmp_path, rows)
    for split in ("train", "eval"):
        wanted = [i for i in range(80) if split_of("halueval", str(i)) == split]
        matched = list(halueval_claims(tmp_path, split))
        everything = list(halueval_claims(tmp_path, split, length_matched=False))
        assert len(everything) == 2 * len(wanted)
        assert len(matched) == 2 * len([i for i in wanted if i < 40])
        assert [c.supported for c in matched[:2]] == [True, False]
        assert all(c.evidence[0].startswith("Fact number") for c in matched)


def test_generator_eval_questions_are_known_by_context_split(tmp_path: Path) -> None:
    contexts = [
        {"table": {"uid": f"t{i}"}, "questions": [{"uid": f"q{i}a"}, {"uid": f"q{i}b"}]}
        for i in range(30)
    ]
    (tmp_path / "finance").mkdir()
    (tmp_path / "finance" / "tatqa_dev.json").write_text(json.dumps(contexts))
    held = generator_eval_items(tmp_path)
    expected = {
        ("tatqa", f"q{i}{x}")
        for i in range(30)
        if split_of("tatqa", f"t{i}") == "eval"
        for x in "ab"
    }
    assert held == expected and held
