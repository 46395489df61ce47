"""Time of one decoding pass of the generator, and what each runtime change does to it.

A pass reads 1 token (plain decoding) or 1 + k tokens (the chosen token and a guess of k) after
a prompt of ``--prompt-tokens`` already in the cache; the guessed tokens are then cut from the
cache, as the runtime does when a guess fails. Each setting adds one change to the previous:

* ``reference``: transformers' model and its concatenating cache;
* ``own network``: the same weights in the runtime's own Llama network
  (``assistant/generation/llama.py``), whose attention shares key/value heads in place, with a
  key/value cache that writes into reserved room (``kv_cache.py``);
* ``+layout``: wide linear layers stored transposed (``weight_layout.py``; the runtime's default).

Every setting also reports how far its logits are from the reference's (largest absolute
difference over the prompt's last token and three guessing passes with cuts between).
The default fine-tuned adapter is merged, as in the product; one thread, as the runtime decodes.

    python -m bench.decode_pass --prompt-tokens 1000 --passes 40
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.common import print_table, write_result

SETTINGS = ("reference", "own network", "+layout")
PASS_TOKENS = (1, 2, 5)


def prefilled(model: Any, prompt: Any, new_cache: Callable[[], Any] | None) -> Any:
    """The model's output after reading ``prompt`` into a new cache (``new_cache``, or the
    model's default when None)."""
    extra = {} if new_cache is None else {"cache": new_cache()}
    return model(input_ids=prompt, use_cache=True, logits_to_keep=1, **extra)


def pass_times(
    model: Any, prompt: Any, tokens: int, passes: int, new_cache: Callable[[], Any] | None
) -> list[float]:
    """Seconds of each of ``passes`` passes of ``tokens`` tokens after ``prompt``."""
    import torch

    generator = torch.Generator().manual_seed(tokens)
    times = []
    with torch.inference_mode():
        cache = prefilled(model, prompt, new_cache).cache
        for _ in range(passes):
            ids = torch.randint(100, 40000, (1, tokens), generator=generator)
            start = time.perf_counter()
            model(input_ids=ids, cache=cache, use_cache=True)
            times.append(time.perf_counter() - start)
            if tokens > 1:
                cache.crop(1 - tokens)
    return times


def logits_after(model: Any, prompt: Any, new_cache: Callable[[], Any] | None) -> list[Any]:
    """The logits of the prompt's last token and of three guessing passes, with cuts between."""
    import torch

    generator = torch.Generator().manual_seed(7)
    with torch.inference_mode():
        output = prefilled(model, prompt, new_cache)
        rows = [output.logits[0]]
        for _ in range(3):
            ids = torch.randint(100, 40000, (1, 5), generator=generator)
            output = model(input_ids=ids, cache=output.cache, use_cache=True)
            rows.append(output.logits[0])
            output.cache.crop(-2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompt-tokens", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=40)
    args = parser.parse_args()

    import torch

    from assistant.generation.hf_model import load_model, merge_adapter
    from assistant.generation.kv_cache import reserved_cache
    from assistant.generation.llama import LlamaForCausalLM
    from assistant.generation.model_files import BUNDLED_ADAPTER, resolve_model_file
    from assistant.generation.weight_layout import use_input_major_layout

    model = merge_adapter(load_model(resolve_model_file(None)), BUNDLED_ADAPTER)
    torch.set_num_threads(1)
    prompt = torch.randint(100, 40000, (1, args.prompt_tokens), generator=torch.Generator())

    rows: list[list[Any]] = []
    results: dict[str, Any] = {}
    reference: list[Any] = []
    for setting in SETTINGS:
        if setting == "own network":
            model = LlamaForCausalLM.from_weights(model.config.to_dict(), model.state_dict())
        if setting == "+layout":
            use_input_major_layout(model)
        new_cache = None if setting == "reference" else reserved_cache
        logits = logits_after(model, prompt, new_cache)
        reference = reference or logits
        difference = max(float((a - b).abs().max()) for a, b in zip(reference, logits, strict=True))
        medians = {
            n: statistics.median(pass_times(model, prompt, n, args.passes, new_cache)) * 1000
            for n in PASS_TOKENS
        }
        results[setting] = {"pass_ms_p50": medians, "max_logit_difference": difference}
        rows.append([setting, *(f"{medians[n]:.1f}" for n in PASS_TOKENS), f"{difference:.1e}"])
        print(rows[-1], flush=True)

    headers = ["setting", *(f"{n}-token pass p50 (ms)" for n in PASS_TOKENS), "max logit diff"]
    print_table(headers, rows)
    write_result(
        "decode_pass",
        {"prompt_tokens": args.prompt_tokens, "passes": args.passes, "settings": results},
    )


if __name__ == "__main__":
    main()
