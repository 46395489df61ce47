"""The product's own answers to held-out questions, labelled correct or incorrect.

These answers are what the hallucination detector and the confidence calibrator are judged on
(and the calibrator fitted on, using a disjoint half). The default generator answers TAT-QA,
PubMedQA and HaluEval questions of the held-out split of training.generation.training_data
(questions the generator never trained on), unanswerable questions (a question over other items'
passages), and the 26 FinanceBench questions over their evidence pages, with the product's
prompt budget. The generator is the one the settings configure (the bundled adapter by default;
``ASSISTANT_GENERATION__USE_ADAPTER=false`` for the base model). Each record keeps what the
checks need: the question, the answer's sentences with their citations, the passages shown, and
the token log-probabilities.

Labelling rule (``bench.answer_labels.is_correct``) is written down there.

    python -m bench.own_answers --data ../shared/data --max-minutes 50
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assistant.generation.base import Generator, generate
from assistant.generation.citations import parse_answer
from assistant.generation.factory import build_generator
from assistant.generation.prompt import PromptBuilder
from assistant.settings import Settings
from bench.answer_labels import is_correct
from bench.common import RESULTS_DIR, eval_data_dir
from bench.generation_eval import financebench, interleave, select, unanswerable_mix
from training.generation.training_data import Example, build_examples

ANSWERS = RESULTS_DIR / "own_answers.jsonl"


def answer_record(
    generator: Generator, builder: PromptBuilder, example: Example, cap: int
) -> dict[str, Any]:
    """One answer with everything needed to check it later, and its label."""
    prompt = builder.build(example.question, example.passages)
    result = generate(generator, prompt.messages, max_new_tokens=cap)
    parsed = parse_answer(result.text, len(prompt.passages))
    return {
        "example_id": example.example_id,
        "source": example.source,
        "answerable": example.answerable,
        "question": example.question,
        "answers": list(example.answers),
        "gold": list(example.gold),
        "passages": [p.text for p in prompt.passages],
        "answer": parsed.text,
        "sentences": [{"text": s.text, "citations": list(s.citations)} for s in parsed.sentences],
        "abstained": parsed.abstained,
        "token_logprobs": [round(t, 4) for t in result.token_logprobs],
        "total_s": round(result.total_s, 3),
        "correct": is_correct(
            example.source, example.answerable, parsed.text, parsed.abstained, example.answers
        ),
    }


def held_out_examples(
    data_dir: Path,
    count_tokens: Callable[[str], int],
    *,
    tatqa: int = 160,
    pubmedqa: int = 100,
    halueval: int = 1500,
    unanswerable: int = 400,
) -> list[Example]:
    """The questions answered, in the order they are asked: one of each kind in turn."""
    mix = {"tatqa": tatqa, "pubmedqa": pubmedqa, "halueval": halueval}
    held_out = build_examples(
        data_dir,
        "eval",
        count_tokens=count_tokens,
        mix={**mix, "legalbench": 0},
        unanswerable_share=0.0,
    )
    declined = build_examples(
        data_dir, "eval", count_tokens=count_tokens, mix={**mix, "legalbench": 100}
    )
    return interleave(
        [
            select(held_out, "tatqa", tatqa, answerable=True),
            select(held_out, "pubmedqa", pubmedqa, answerable=True),
            select(held_out, "halueval", halueval, answerable=True),
            unanswerable_mix(declined, unanswerable),
            financebench(data_dir),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--tatqa", type=int, default=160)
    parser.add_argument("--pubmedqa", type=int, default=100)
    parser.add_argument("--halueval", type=int, default=1500)
    parser.add_argument("--unanswerable", type=int, default=400)
    parser.add_argument("--max-new-tokens", type=int, default=60)
    parser.add_argument("--context-tokens", type=int, default=None)
    parser.add_argument("--max-minutes", type=float, default=90)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ANSWERS)
    parser.add_argument(
        "--parallel",
        type=int,
        default=8,
        help="questions answered at once; the generator decodes them in one batch",
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the answers in --out and add the missing ones"
    )
    args = parser.parse_args()
    data_dir = eval_data_dir(args.data)
    settings = Settings().generation.model_copy(update={"threads": args.threads})
    generator = build_generator(settings)
    generator.warm_up()
    context_tokens = args.context_tokens or settings.context_tokens
    builder = PromptBuilder(
        generator.tokenizer, context_tokens=context_tokens, answer_tokens=args.max_new_tokens
    )
    order = held_out_examples(
        data_dir,
        generator.tokenizer.count,
        tatqa=args.tatqa,
        pubmedqa=args.pubmedqa,
        halueval=args.halueval,
        unanswerable=args.unanswerable,
    )
    done_ids: set[str] = set()
    if args.resume and args.out.is_file():
        lines = args.out.read_text(encoding="utf-8").splitlines()
        done_ids = {json.loads(line)["example_id"] for line in lines if line}
    order = [e for e in order if e.example_id not in done_ids]
    started = time.monotonic()
    args.out.parent.mkdir(parents=True, exist_ok=True)

    def answer(example: Example) -> dict[str, Any] | None:
        if time.monotonic() - started > args.max_minutes * 60:
            return None
        return answer_record(generator, builder, example, args.max_new_tokens)

    with (
        args.out.open("a" if args.resume else "w", encoding="utf-8") as out,
        ThreadPoolExecutor(max_workers=args.parallel) as pool,
    ):
        done = 0
        for record in pool.map(answer, order):
            if record is None:
                continue
            done += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            print(
                f"{done}/{len(order)} {record['example_id']} correct={record['correct']}",
                flush=True,
            )
        if done < len(order):
            print(f"time budget reached after {done} questions")


if __name__ == "__main__":
    main()
