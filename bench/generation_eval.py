"""Answer quality of the generator, base model against the fine-tuned adapter and other models.

Questions come from the held-out evaluation split of training.generation.training_data (never
trained on): TAT-QA span questions, PubMedQA questions, unanswerable questions (a question over
other items' passages) and, with ``--financebench``, the 26 FinanceBench questions over their
evidence pages (evaluation-only). Each model answers every question in turn, so a run cut by
``--max-minutes`` still compares the models on the same questions. Other GGUF models join the
table with ``--extra-model NAME=PATH``; each gets its prompts fitted with its own tokenizer, while
the questions are chosen with the first model's (keep ``base`` first to reuse earlier questions).
FinanceBench answers are scored by token F1 and judged correct or not by the written rule of
``bench.answer_labels``; ``--rescore`` recomputes every figure from the stored answers.

    python -m bench.generation_eval --data ../shared/data --max-new-tokens 60
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.digests import file_sha256
from assistant.generation.base import generate
from assistant.generation.citations import parse_answer
from assistant.generation.model_files import BUNDLED_ADAPTER
from assistant.generation.prompt import PromptBuilder, SourcePassage
from assistant.generation.transformers_runtime import TransformersGenerator
from assistant.settings import GenerationSettings
from bench.answer_labels import is_correct
from bench.common import RESULTS_DIR, eval_data_dir, print_table, write_result
from bench.generation_metrics import (
    abstention_scores,
    citation_precision,
    decision,
    exact_match,
    token_f1,
)
from training.generation.training_data import MAX_PASSAGE_TOKENS, Example, build_examples

FINANCEBENCH_FILE = Path("finance/financebench/questions_dev.jsonl")
RESULT_NAME = "generation_eval"
BUILT_IN_MODELS = "base,tuned,tuned-int8"


def predictions_file(result_name: str) -> Path:
    """Where a run stores every answer, next to its figures."""
    return RESULTS_DIR / f"{result_name}_predictions.jsonl"


def parse_extra_model(spec: str) -> tuple[str, Path]:
    """``NAME=PATH`` of an extra GGUF model, as the table's column name and the file."""
    name, separator, path = spec.partition("=")
    name = name.strip()
    if not separator or not name or not path.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {spec!r}")
    if "," in name:
        raise argparse.ArgumentTypeError(f"a model name cannot contain a comma: {name!r}")
    return name, Path(path.strip())


def model_names(built_in: str, extra: Sequence[tuple[str, Path]]) -> list[str]:
    """The table's columns: the built-in models of ``--models`` then the extra ones, each once."""
    names = [n.strip() for n in built_in.split(",") if n.strip()] + [n for n, _ in extra]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"model names must be unique: {', '.join(repeated)}")
    if not names:
        raise ValueError("no model to evaluate")
    return names


def select(examples: Sequence[Example], source: str, count: int, answerable: bool) -> list[Example]:
    return [e for e in examples if e.source == source and e.answerable == answerable][:count]


def unanswerable_mix(examples: Sequence[Example], count: int) -> list[Example]:
    """Unanswerable questions taken in turn from each source."""
    by_source: dict[str, list[Example]] = {}
    for e in examples:
        if not e.answerable:
            by_source.setdefault(e.source, []).append(e)
    mixed: list[Example] = []
    while len(mixed) < count and any(by_source.values()):
        for queue in by_source.values():
            if queue and len(mixed) < count:
                mixed.append(queue.pop(0))
    return mixed


def interleave(groups: Sequence[Sequence[Example]]) -> list[Example]:
    """One question of each group in turn, so a run cut short still covers every kind."""
    order: list[Example] = []
    for index in range(max((len(g) for g in groups), default=0)):
        order.extend(g[index] for g in groups if index < len(g))
    return order


def financebench(data_dir: Path, seed: int = 7) -> list[Example]:
    """FinanceBench questions over their evidence pages plus two other questions' evidence."""
    path = data_dir / FINANCEBENCH_FILE
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    evidence = [
        [
            SourcePassage(e["evidence_text"], f"{e['doc_name']}.pdf", e["evidence_page_num"] + 1)
            for e in row["evidence"]
        ]
        for row in rows
    ]
    rng = random.Random(seed)
    examples = []
    for index, row in enumerate(rows):
        others = [p for i, ps in enumerate(evidence) if i != index for p in ps]
        passages = evidence[index] + rng.sample(others, 2)
        rng.shuffle(passages)
        gold = tuple(i + 1 for i, p in enumerate(passages) if p in evidence[index])
        examples.append(
            Example(
                example_id=row["financebench_id"],
                source="financebench",
                split="eval",
                question=row["question"],
                passages=tuple(passages),
                target="",
                gold=gold,
                answers=(row["answer"],),
                kind=row["question_type"],
            )
        )
    return examples


def run_one(
    model: str, generator: TransformersGenerator, builder: PromptBuilder, example: Example, cap: int
) -> dict[str, Any]:
    """One model's answer to one question, as the record the summaries are computed from."""
    prompt = builder.build(example.question, example.passages)
    result = generate(generator, prompt.messages, max_new_tokens=cap)
    parsed = parse_answer(result.text, len(prompt.passages))
    return {
        "model": model,
        "example_id": example.example_id,
        "source": example.source,
        "answerable": example.answerable,
        "gold": list(example.gold),
        "answers": list(example.answers),
        "answer": parsed.text,
        "abstained": parsed.abstained,
        "cited": list(parsed.cited),
        "invalid": list(parsed.invalid_citations),
        "prompt_tokens": prompt.prompt_tokens,
        "new_tokens": len(result.tokens),
        "max_new_tokens": cap,
        "first_token_s": round(result.first_token_s, 3),
        "total_s": round(result.total_s, 3),
        "tokens_per_s": round(result.tokens_per_s, 2),
    }


def mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 3) if values else None


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one model over its answer records."""
    tatqa = [r for r in records if r["source"] == "tatqa" and r["answerable"]]
    pubmed = [r for r in records if r["source"] == "pubmedqa" and r["answerable"]]
    finance = [r for r in records if r["source"] == "financebench"]
    answered = [r for r in records if r["answerable"] and not r["abstained"]]
    capped = [r for r in records if r.get("new_tokens", 0) >= r.get("max_new_tokens", 0) > 0]
    precisions = [citation_precision(r["cited"], r["gold"]) for r in answered]
    abstention = abstention_scores((r["abstained"], not r["answerable"]) for r in records)
    return {
        "questions": len(records),
        "tatqa_n": len(tatqa),
        "tatqa_exact_match": mean([exact_match(r["answer"], r["answers"]) for r in tatqa]),
        "tatqa_token_f1": mean([token_f1(r["answer"], r["answers"]) for r in tatqa]),
        "pubmedqa_n": len(pubmed),
        "pubmedqa_accuracy": mean(
            [float(decision(r["answer"], r["abstained"]) == r["answers"][0]) for r in pubmed]
        ),
        "financebench_n": len(finance),
        "financebench_token_f1": mean([token_f1(r["answer"], r["answers"]) for r in finance]),
        "financebench_correct": mean(
            [
                float(is_correct("financebench", True, r["answer"], r["abstained"], r["answers"]))
                for r in finance
            ]
        ),
        "abstention_precision": round(abstention.precision, 3),
        "abstention_recall": round(abstention.recall, 3),
        "abstained": abstention.abstained,
        "unanswerable": abstention.unanswerable,
        "false_abstention_rate": mean([float(r["abstained"]) for r in records if r["answerable"]]),
        "citation_precision": mean([p for p in precisions if p is not None]),
        "answered_with_citation": mean([float(p is not None) for p in precisions]),
        "invalid_citations": sum(len(r["invalid"]) for r in records),
        "first_token_s": mean([r["first_token_s"] for r in records]),
        "answer_latency_s": mean([r["total_s"] for r in records]),
        "first_token_p50_s": median([r["first_token_s"] for r in records]),
        "answer_latency_p50_s": median([r["total_s"] for r in records]),
        "capped_answers": len(capped),
        "capped_answer_latency_p50_s": median([r["total_s"] for r in capped]),
        "tokens_per_s": mean([r["tokens_per_s"] for r in records if r["tokens_per_s"] > 0]),
    }


def stored_settings(result_name: str, fallback: dict[str, Any]) -> dict[str, Any]:
    """The settings of the run that produced a result's answers (its command above all), so
    that rescoring the stored answers keeps them; ``fallback`` when there is no result yet."""
    path = RESULTS_DIR / f"{result_name}.json"
    if not path.is_file():
        return fallback
    stored = json.loads(path.read_text(encoding="utf-8"))
    kept = {k: v for k, v in stored.items() if k not in ("measured_at", "machine", "summaries")}
    return {**kept, "rescored_with": fallback["command"]}


def report(records: Sequence[dict[str, Any]], settings: dict[str, Any], result_name: str) -> None:
    """Print the comparison table and store it with the run's settings."""
    models = list(dict.fromkeys(r["model"] for r in records))
    summaries = {m: summarise([r for r in records if r["model"] == m]) for m in models}
    metrics = list(next(iter(summaries.values())))
    print_table(["metric", *models], [[m] + [s[m] for s in summaries.values()] for m in metrics])
    write_result(result_name, {**settings, "summaries": summaries})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--tatqa", type=int, default=40)
    parser.add_argument("--pubmedqa", type=int, default=40)
    parser.add_argument("--unanswerable", type=int, default=20)
    parser.add_argument("--financebench", action="store_true")
    parser.add_argument("--max-new-tokens", type=int, default=60)
    parser.add_argument("--context-tokens", type=int, default=1536)
    parser.add_argument(
        "--passage-tokens",
        type=int,
        default=MAX_PASSAGE_TOKENS,
        help="token budget of the passages of each held-out TAT-QA, PubMedQA and unanswerable "
        "question (the training examples' default; larger gives more and longer passages)",
    )
    parser.add_argument("--max-minutes", type=float, default=60)
    parser.add_argument("--adapter", type=Path, default=BUNDLED_ADAPTER)
    parser.add_argument(
        "--models",
        default=BUILT_IN_MODELS,
        help="base or tuned, optionally -int8, then optionally -stepwise (one token per pass, "
        "no guesses from the passages); empty: only the extra models",
    )
    parser.add_argument(
        "--extra-model",
        type=parse_extra_model,
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another GGUF model to compare (repeatable)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads decoding the answer")
    parser.add_argument(
        "--prefill-threads", type=int, default=None, help="threads reading the prompt (all cores)"
    )
    parser.add_argument(
        "--result-name", default=RESULT_NAME, help="name of the result and predictions files"
    )
    parser.add_argument(
        "--rescore", action="store_true", help="recompute the figures from the stored answers"
    )
    args = parser.parse_args()
    try:
        names = model_names(args.models, args.extra_model)
    except ValueError as error:
        parser.error(str(error))
    predictions = predictions_file(args.result_name)
    settings = {
        "command": "python -m bench.generation_eval " + " ".join(sys.argv[1:]),
        "max_new_tokens": args.max_new_tokens,
        "context_tokens": args.context_tokens,
        "passage_tokens": args.passage_tokens,
        "threads": args.threads,
        "prefill_threads": args.prefill_threads,
    }
    if args.rescore:
        lines = predictions.read_text(encoding="utf-8").splitlines()
        report(
            [json.loads(line) for line in lines if line],
            stored_settings(args.result_name, settings),
            args.result_name,
        )
        return
    data_dir = eval_data_dir(args.data)
    extra = dict(args.extra_model)
    missing = [str(path) for path in extra.values() if not path.is_file()]
    if missing:
        parser.error(f"model file not found: {', '.join(missing)}")
    settings["extra_models"] = {
        name: {"file": path.name, "sha256": file_sha256(path)} for name, path in extra.items()
    }

    lookup_tokens = GenerationSettings().lookup_tokens
    generators = {
        name: TransformersGenerator(
            model_file=extra[name],
            threads=args.threads,
            prefill_threads=args.prefill_threads,
            lookup_tokens=lookup_tokens,
        )
        if name in extra
        else TransformersGenerator(
            adapter=args.adapter if name.startswith("tuned") else None,
            int8="-int8" in name,
            threads=args.threads,
            prefill_threads=args.prefill_threads,
            lookup_tokens=0 if name.endswith("-stepwise") else lookup_tokens,
        )
        for name in names
    }
    for generator in generators.values():
        generator.warm_up()
    builders = {
        name: PromptBuilder(
            generator.tokenizer,
            context_tokens=args.context_tokens,
            answer_tokens=args.max_new_tokens,
        )
        for name, generator in generators.items()
    }
    tokenizer = generators[names[0]].tokenizer
    held_out = build_examples(
        data_dir, "eval", count_tokens=tokenizer.count, passage_tokens=args.passage_tokens
    )
    groups = [
        select(held_out, "tatqa", args.tatqa, answerable=True),
        select(held_out, "pubmedqa", args.pubmedqa, answerable=True),
        unanswerable_mix(held_out, args.unanswerable),
        financebench(data_dir) if args.financebench else [],
    ]
    order = interleave(groups)
    records: list[dict[str, Any]] = []
    started = time.monotonic()
    predictions.parent.mkdir(parents=True, exist_ok=True)
    with predictions.open("w", encoding="utf-8") as out:
        for done, example in enumerate(order, start=1):
            if time.monotonic() - started > args.max_minutes * 60:
                print(f"time budget reached after {done - 1} questions")
                break
            for name, generator in generators.items():
                record = run_one(name, generator, builders[name], example, args.max_new_tokens)
                records.append(record)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
            print(f"{done}/{len(order)} {example.example_id}", flush=True)
    report(records, settings, args.result_name)


if __name__ == "__main__":
    main()
