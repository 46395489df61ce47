"""Generation speed of the CPU runtime variants: load time, first-token latency, tokens/s.

Every variant decodes greedily for exactly ``--new-tokens`` tokens (end-of-turn ignored, so all
variants do the same work) after prompts of several lengths. Variants:

* ``fp32``: the reference runtime (transformers, weights dequantised to float32, dynamic cache);
* ``int8``: the same with ``torch.ao.quantization.quantize_dynamic`` on every linear layer;
* ``static``: float32 with a pre-allocated static key/value cache;
* ``compile``: ``static`` with the model's forward compiled by ``torch.compile``.

It also reports how often the greedy tokens of a variant agree with ``fp32`` (quantisation may
change answers) and times the runtime's own ``stream()`` as a cross-check.

    python -m bench.generation_speed --variants fp32,int8,static,compile
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.common import print_table, write_result

PROMPT_SEED = (
    "The lessee shall pay the rent monthly in advance, and the lessor may end the lease with "
    "ninety days notice in writing if the rent is late for more than two months in a row. "
)
VARIANTS = ("fp32", "int8", "static", "compile")


def prompt_ids(tokenizer: Any, length: int) -> list[int]:
    ids: list[int] = []
    while len(ids) < length:
        ids += tokenizer(PROMPT_SEED, add_special_tokens=False)["input_ids"]
    return ids[:length]


def decode_dynamic(model: Any, ids: list[int], new_tokens: int) -> tuple[float, float, list[int]]:
    """(first-token seconds, total seconds, tokens) with transformers' dynamic cache."""
    import torch

    out_ids: list[int] = []
    with torch.inference_mode():
        start = time.perf_counter()
        output = model(input_ids=torch.tensor([ids]), use_cache=True, logits_to_keep=1)
        token = int(output.logits[0, -1].argmax())
        first = time.perf_counter() - start
        out_ids.append(token)
        for _ in range(new_tokens - 1):
            output = model(
                input_ids=torch.tensor([[token]]),
                cache=output.cache,
                use_cache=True,
            )
            token = int(output.logits[0, -1].argmax())
            out_ids.append(token)
        return first, time.perf_counter() - start, out_ids


def decode_static(model: Any, ids: list[int], new_tokens: int) -> tuple[float, float, list[int]]:
    """As ``decode_dynamic``, with a static cache sized for the prompt and the answer."""
    import torch
    from transformers import StaticCache

    cache = StaticCache(config=model.config, max_cache_len=len(ids) + new_tokens)
    out_ids: list[int] = []
    with torch.inference_mode():
        start = time.perf_counter()
        output = model(
            input_ids=torch.tensor([ids]),
            position_ids=torch.arange(len(ids)).unsqueeze(0),
            cache=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        token = int(output.logits[0, -1].argmax())
        first = time.perf_counter() - start
        out_ids.append(token)
        for step in range(new_tokens - 1):
            output = model(
                input_ids=torch.tensor([[token]]),
                position_ids=torch.tensor([[len(ids) + step]]),
                cache=cache,
                use_cache=True,
            )
            token = int(output.logits[0, -1].argmax())
            out_ids.append(token)
        return first, time.perf_counter() - start, out_ids


def load_variant(variant: str) -> tuple[Any, float]:
    """The model prepared for ``variant`` and the seconds it took (compilation excluded)."""
    import torch

    from assistant.generation.hf_model import load_model
    from assistant.generation.model_files import packaged_model_file

    start = time.perf_counter()
    model = load_model(packaged_model_file())
    if variant == "int8":
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    if variant == "compile":
        model.forward = torch.compile(model.forward, dynamic=False)
    return model, time.perf_counter() - start


def agreement(reference: list[int], other: list[int]) -> float:
    """Share of positions before the first divergence (greedy decoding drifts after one)."""
    same = 0
    for a, b in zip(reference, other, strict=False):
        if a != b:
            break
        same += 1
    return same / max(len(reference), 1)


def stream_check(new_tokens: int) -> dict[str, float]:
    """The runtime's own streaming path on a real grounded prompt."""
    from assistant.generation.base import generate
    from assistant.generation.prompt import SourcePassage, build_messages
    from assistant.generation.transformers_runtime import TransformersGenerator

    generator = TransformersGenerator()
    start = time.perf_counter()
    generator.warm_up()
    load_s = time.perf_counter() - start
    messages = build_messages(
        "How much notice must the lessor give?",
        [SourcePassage(PROMPT_SEED * 3, "lease.pdf", 2)],
    )
    result = generate(generator, messages, max_new_tokens=new_tokens)
    return {
        "load_s": round(load_s, 1),
        "first_token_s": round(result.first_token_s, 3),
        "tokens_per_s": round(result.tokens_per_s, 1),
        "tokens": len(result.tokens),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default="fp32,int8,static")
    parser.add_argument("--prompt-tokens", default="256,1024")
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", default="1,2", help="thread counts to compare")
    args = parser.parse_args()
    import torch

    from assistant.generation.hf_model import load_tokenizer
    from assistant.generation.model_files import packaged_model_file

    tokenizer = load_tokenizer(packaged_model_file())
    lengths = [int(n) for n in args.prompt_tokens.split(",")]
    thread_counts = [int(n) for n in args.threads.split(",")]
    decoders: dict[str, Callable[[Any, list[int], int], tuple[float, float, list[int]]]] = {
        "fp32": decode_dynamic,
        "int8": decode_dynamic,
        "static": decode_static,
        "compile": decode_static,
    }
    rows: list[list[Any]] = []
    results: list[dict[str, Any]] = []
    reference: dict[int, list[int]] = {}
    for variant in args.variants.split(","):
        if variant not in VARIANTS:
            raise SystemExit(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
        torch.set_num_threads(thread_counts[0])
        model, load_s = load_variant(variant)
        decode = decoders[variant]
        for threads in thread_counts:
            torch.set_num_threads(threads)
            warm_start = time.perf_counter()
            decode(model, prompt_ids(tokenizer, 16), 4)  # compiles the compiled variant
            warm_s = time.perf_counter() - warm_start
            for length in lengths:
                ids = prompt_ids(tokenizer, length)
                runs = [decode(model, ids, args.new_tokens) for _ in range(args.repeats)]
                tokens = runs[0][2]
                reference.setdefault(length, tokens)
                record = {
                    "variant": variant,
                    "threads": threads,
                    "prompt_tokens": length,
                    "load_s": round(load_s, 1),
                    "warm_up_s": round(warm_s, 1),
                    "first_token_s": round(min(r[0] for r in runs), 3),
                    "tokens_per_s": round(
                        max((args.new_tokens - 1) / (r[1] - r[0]) for r in runs), 1
                    ),
                    "agreement_with_fp32": round(agreement(reference[length], tokens), 2),
                    "load_average_1min": round(os.getloadavg()[0], 2),
                }
                results.append(record)
                rows.append(list(record.values()))
                print(record, flush=True)
        del model
    check = stream_check(args.new_tokens)
    headers = ["variant", "threads", "prompt", "load s", "warm-up s", "first token s", "tok/s"]
    print_table([*headers, "agree", "load avg"], rows)
    print("runtime stream():", check)
    write_result(
        "generation_speed",
        {
            "command": "python -m bench.generation_speed " + " ".join(sys.argv[1:]),
            "load_average_at_end": os.getloadavg(),
            "new_tokens": args.new_tokens,
            "results": results,
            "runtime_stream": check,
        },
    )


if __name__ == "__main__":
    main()
