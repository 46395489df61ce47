"""Our greedy decoding with prompt lookup against transformers' own ``generate`` with
``prompt_lookup_num_tokens``, on the same model and prompts.

The model is the runtime's, loaded as the product loads it (``build_generator`` with the default
settings: the packaged GGUF dequantised, the bundled adapter merged, wide layers transposed,
grouped attention in guessing passes). Prompts are held-out TAT-QA and PubMedQA questions with
their passages, built by the product's ``PromptBuilder``. Both decode greedily until a stop token
or ``--max-new-tokens``, guess ``lookup_tokens`` tokens (the setting's default) after a match of
up to ``MAX_MATCH`` tokens, keep each token's score (ours its log-probability, ``generate`` its
logits), and run on one thread. They take turns on each prompt, so that other work on the
machine slows both alike, and each answer is checked to be the same text.

    python -m bench.prompt_lookup_speed --data ../shared/data --questions 24
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from bench.common import eval_data_dir, print_table, write_result

Decode = Callable[[list[int]], str]


def ours(model: Any, tokenizer: Any, decoding: Any, max_new_tokens: int) -> Decode:
    """The runtime's decoding (``assistant.generation.greedy``), on one thread."""
    from assistant.generation.greedy import decode_greedy

    one_thread = dataclasses.replace(decoding, prefill_threads=1, decode_threads=1)

    def answer(prompt: list[int]) -> str:
        tokens = decode_greedy(model, tokenizer.decode, prompt, max_new_tokens, one_thread)
        return "".join(token.text for token in tokens)

    return answer


def transformers_generate(model: Any, tokenizer: Any, decoding: Any, max_new_tokens: int) -> Decode:
    """transformers' ``generate`` with its prompt lookup, greedy, on one thread."""
    import torch

    from assistant.generation.prompt_lookup import MAX_MATCH

    stops = sorted(decoding.stop_ids)

    def answer(prompt: list[int]) -> str:
        torch.set_num_threads(1)
        output = model.generate(
            torch.tensor([prompt]),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            prompt_lookup_num_tokens=decoding.lookup_tokens,
            max_matching_ngram_size=MAX_MATCH,
            eos_token_id=stops,
            pad_token_id=stops[0],
            output_logits=True,
            return_dict_in_generate=True,
        )
        for logits in output.logits:
            torch.log_softmax(logits.float(), dim=-1)
        new = output.sequences[0, len(prompt) :].tolist()
        return str(tokenizer.decode([t for t in new if t not in decoding.stop_ids]))

    return answer


def timed_in_turn(
    decoders: dict[str, Decode], prompts: Sequence[list[int]]
) -> tuple[dict[str, list[float]], int]:
    """Seconds per prompt of each decoder, taking turns on each prompt, and how many prompts
    got a different answer from the decoders."""
    seconds: dict[str, list[float]] = {name: [] for name in decoders}
    differing = 0
    for prompt in prompts:
        answers = set()
        for name, decode in decoders.items():
            start = time.perf_counter()
            answers.add(decode(prompt))
            seconds[name].append(time.perf_counter() - start)
        differing += len(answers) > 1
    return seconds, differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--questions", type=int, default=24)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    args = parser.parse_args()

    from assistant.generation.batch_model import TorchBatch
    from assistant.generation.factory import build_generator
    from assistant.generation.prompt import PromptBuilder
    from assistant.settings import GenerationSettings
    from training.generation.training_data import build_examples

    data_dir = eval_data_dir(args.data)
    generator = build_generator(GenerationSettings())
    started = time.perf_counter()
    scheduler, tokenizer = generator._loaded()  # the runtime's own loading
    batch = cast(TorchBatch, scheduler.batch)
    model, decoding = batch.model, scheduler.decoding
    load_s = time.perf_counter() - started
    builder = PromptBuilder(tokenizer, context_tokens=1536, answer_tokens=args.max_new_tokens)
    examples = [
        e
        for e in build_examples(data_dir, "eval", count_tokens=tokenizer.count)
        if e.answerable and e.source in ("tatqa", "pubmedqa")
    ][: args.questions]
    prompts = [
        tokenizer.encode_chat(builder.build(e.question, e.passages).messages) for e in examples
    ]
    decoders = {
        "ours": ours(model, tokenizer, decoding, args.max_new_tokens),
        "transformers generate": transformers_generate(
            model, tokenizer, decoding, args.max_new_tokens
        ),
    }
    decoders["ours"](prompts[0])  # first passes pay for one-off set-up
    decoders["transformers generate"](prompts[0])
    load_before = os.getloadavg()[0]
    seconds, differing = timed_in_turn(decoders, prompts)
    load_after = os.getloadavg()[0]

    figures = {
        name: {
            "total_s": round(sum(values), 2),
            "median_s": round(statistics.median(values), 3),
        }
        for name, values in seconds.items()
    }
    ratio = sum(seconds["transformers generate"]) / sum(seconds["ours"])
    print(
        f"model loaded in {load_s:.1f} s; {len(prompts)} prompts, lookup {decoding.lookup_tokens}"
    )
    print_table(
        ["decoding", "total s", "median s per answer"],
        [[name, f["total_s"], f["median_s"]] for name, f in figures.items()],
    )
    print(f"generate / ours (total time): {ratio:.2f}x; different answers: {differing}")
    print(f"load average (1 min) {load_before:.1f} before, {load_after:.1f} after")
    write_result(
        "prompt_lookup_speed",
        {
            "questions": len(prompts),
            "max_new_tokens": args.max_new_tokens,
            "lookup_tokens": decoding.lookup_tokens,
            "threads": 1,
            "decoders": figures,
            "generate_over_ours": round(ratio, 3),
            "different_answers": differing,
            "load_average_1min": [round(load_before, 1), round(load_after, 1)],
        },
    )


if __name__ == "__main__":
    main()
