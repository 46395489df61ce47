"""Generation throughput with several questions in flight, measured twice.

Decoding steps: the runtime's batch (the model as the runtime loads it, ``TorchBatch``) reads 1,
4 or 8 prompts and then takes ``--steps`` one-token steps with all of them; tokens/s counts
every row's tokens over the steps' time. This is the decoding rate alone, without reading
prompts and without guessed tokens.

Answers: the same questions answered by the runtime one at a time and with 4 or 8 asked at once,
which the runtime decodes as one batch. Each question gets a prompt of passages from the
bundled sample corpus; the answers are the runtime's own (they end where the model ends them,
or at ``--max-new-tokens``). For each number in flight, that many threads ask the questions
between them, each asking its next question once its last answer is done; throughput is all
answers' tokens over the wall time, prompts read included. Answers given in a batch are
compared with those given alone.

    python -m bench.batched_decoding [--in-flight 1,4,8] [--questions 8] [--max-new-tokens 64]
        [--steps 32]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from assistant.generation.base import Generation, generate
from assistant.generation.factory import build_generator
from assistant.generation.prompt import ChatMessage, PromptBuilder, SourcePassage
from assistant.samples import sample_files
from assistant.settings import GenerationSettings
from bench.common import print_table, write_result
from bench.load_api import QUESTIONS

PASSAGE_CHARS = 700
PASSAGES_PER_PROMPT = 3


def sample_passages() -> list[SourcePassage]:
    """The opening of each bundled sample document, as one passage each."""
    return [
        SourcePassage(path.read_text(encoding="utf-8")[:PASSAGE_CHARS], path.name, None)
        for path in sorted(sample_files())
    ]


def prompts(builder: PromptBuilder, count: int) -> list[list[ChatMessage]]:
    """``count`` prompts: the load test's questions, each with a rotating choice of passages."""
    passages = sample_passages()
    built = []
    for index in range(count):
        chosen = [passages[(index + k) % len(passages)] for k in range(PASSAGES_PER_PROMPT)]
        built.append(list(builder.build(QUESTIONS[index % len(QUESTIONS)], chosen).messages))
    return built


def answer_all(
    generator: Any, messages: list[list[ChatMessage]], in_flight: int, max_new_tokens: int
) -> tuple[list[Generation], float]:
    """Every prompt's generation, ``in_flight`` threads asking them between them, and the wall
    time."""
    results: list[Generation | None] = [None] * len(messages)
    lock = threading.Lock()
    next_index = [0]

    def worker() -> None:
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= len(messages):
                return
            results[index] = generate(generator, messages[index], max_new_tokens=max_new_tokens)

    threads = [threading.Thread(target=worker) for _ in range(in_flight)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    done = [r for r in results if r is not None]
    if len(done) != len(messages):
        raise RuntimeError("a question got no answer")
    return done, wall


def step_rates(
    generator: Any, messages: list[list[ChatMessage]], in_flight: list[int], steps: int
) -> list[dict[str, Any]]:
    """Per number of rows: the time of ``steps`` batched one-token steps after reading that
    many prompts, and the tokens per second they wrote."""
    import torch

    from assistant.generation.batch_model import TorchBatch
    from assistant.generation.hf_model import load_converted
    from assistant.generation.kv_cache import reserved_cache
    from assistant.generation.transformers_runtime import available_cores, default_threads
    from assistant.generation.weight_layout import use_input_major_layout

    tokenizer, model = load_converted(generator.prepare().folder)
    use_input_major_layout(model)
    batch = TorchBatch(
        model,
        new_cache=reserved_cache,
        prefill_threads=available_cores(),
        decode_threads=default_threads(),
    )
    ids = [generator.tokenizer.encode_chat(m) for m in messages]
    runs = []
    for rows in in_flight:
        tokens = [int(torch.argmax(batch.add(ids[row % len(ids)]))) for row in range(rows)]
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        for _ in range(steps):
            scores = batch.step([[token] for token in tokens])
            tokens = [int(torch.argmax(row[-1])) for row in scores]
        elapsed = time.perf_counter() - started
        batch.keep([])
        runs.append(
            {
                "rows": rows,
                "steps": steps,
                "step_ms": round(1000 * elapsed / steps, 1),
                "tokens_per_s": round(rows * steps / elapsed, 1),
                "load_average_1m_before": round(load_before, 2),
                "load_average_1m_after": round(os.getloadavg()[0], 2),
            }
        )
    base = runs[0]["tokens_per_s"]
    for run in runs:
        run["speed_up"] = round(run["tokens_per_s"] / base, 2)
    del tokenizer
    return runs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--in-flight", default="1,4,8", help="numbers of questions at once")
    parser.add_argument("--questions", type=int, default=8, help="questions per measurement")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="generation cap")
    parser.add_argument("--steps", type=int, default=32, help="decoding steps timed per batch")
    parser.add_argument("--model-cache", type=Path, help="converted model folder (kept)")
    args = parser.parse_args(argv)
    args.in_flight = [int(n) for n in args.in_flight.split(",")]
    if min(args.in_flight) <= 0 or args.questions <= 0 or args.max_new_tokens <= 0:
        parser.error("--in-flight, --questions and --max-new-tokens must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="batched-decoding-") as tmp:
        cache = args.model_cache or Path(tmp) / "model-cache"
        settings = GenerationSettings(converted_dir=cache, batch_size=max(args.in_flight))
        generator = build_generator(settings)
        generator.warm_up()
        builder = PromptBuilder(
            generator.tokenizer, context_tokens=settings.context_tokens, answer_tokens=64
        )
        messages = prompts(builder, args.questions)
        prompt_tokens = [generator.tokenizer.count_chat(m) for m in messages]
        generate(generator, messages[0], max_new_tokens=4)  # first pass allocations
        steps = step_rates(generator, messages, args.in_flight, args.steps)
        rows, runs = [], []
        reference: list[str] | None = None
        for in_flight in args.in_flight:
            load_before = os.getloadavg()[0]
            answers, wall = answer_all(generator, messages, in_flight, args.max_new_tokens)
            tokens = sum(len(a.tokens) for a in answers)
            texts = [a.text for a in answers]
            reference = texts if reference is None else reference
            same = sum(a == b for a, b in zip(texts, reference, strict=True))
            run = {
                "in_flight": in_flight,
                "questions": len(answers),
                "tokens": tokens,
                "wall_s": round(wall, 2),
                "tokens_per_s": round(tokens / wall, 1),
                "answer_p50_s": round(statistics.median(a.total_s for a in answers), 2),
                "first_token_p50_s": round(statistics.median(a.first_token_s for a in answers), 2),
                "same_text_as_first_run": same,
                "load_average_1m_before": round(load_before, 2),
                "load_average_1m_after": round(os.getloadavg()[0], 2),
            }
            runs.append(run)
            rows.append([run[k] for k in run if k != "questions"])
    base = runs[0]["tokens_per_s"]
    for run in runs:
        run["speed_up"] = round(run["tokens_per_s"] / base, 2) if base else None
    print_table(
        ["rows", "step ms", "tokens/s", "speed-up", "load before", "load after"],
        [
            [
                s["rows"],
                s["step_ms"],
                s["tokens_per_s"],
                s["speed_up"],
                s["load_average_1m_before"],
                s["load_average_1m_after"],
            ]
            for s in steps
        ],
    )
    print()
    print_table(
        [
            "in flight",
            "tokens",
            "wall s",
            "tokens/s",
            "answer p50 s",
            "first token p50 s",
            "same text",
            "load before",
            "load after",
        ],
        rows,
    )
    path = write_result(
        "batched_decoding",
        {
            "questions": args.questions,
            "max_new_tokens": args.max_new_tokens,
            "prompt_tokens_mean": round(statistics.mean(prompt_tokens)),
            "cores": os.cpu_count(),
            "decoding_steps": steps,
            "answers": runs,
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
