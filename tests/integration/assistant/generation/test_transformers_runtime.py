from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import pytest

from assistant.generation.base import Generation, Generator, generate
from assistant.generation.chat_tokenizer import ChatTokenizer
from assistant.generation.citations import parse_answer
from assistant.generation.factory import build_generator
from assistant.generation.prompt import PromptBuilder, SourcePassage
from assistant.settings import GenerationSettings

pytestmark = pytest.mark.integration

PASSAGES = [
    SourcePassage(
        "The tenant must give ninety days written notice to end the lease.", "lease.pdf", 3
    ),
    SourcePassage("Rent is paid monthly in advance by bank transfer.", "lease.pdf", 2),
]


def test_streams_a_short_grounded_answer_with_logprobs(smollm2: Generator) -> None:
    builder = PromptBuilder(smollm2.tokenizer, context_tokens=1024, answer_tokens=24)
    prompt = builder.build("How much notice must the tenant give?", PASSAGES)
    pieces: list[str] = []
    result = generate(smollm2, prompt.messages, max_new_tokens=24, on_token=pieces.append)
    assert 0 < len(result.tokens) <= 24
    assert result.text.strip()
    assert "".join(pieces) == result.text
    assert all(t.logprob <= 0 and math.isfinite(t.logprob) for t in result.tokens)
    assert "<|im_end|>" not in result.text
    assert result.first_token_s > 0
    parsed = parse_answer(result.text, len(prompt.passages))
    assert parsed.sentences or parsed.abstained


def test_greedy_decoding_repeats(smollm2: Generator) -> None:
    builder = PromptBuilder(smollm2.tokenizer, context_tokens=1024, answer_tokens=8)
    prompt = builder.build("How is rent paid?", PASSAGES)
    first = generate(smollm2, prompt.messages, max_new_tokens=8)
    second = generate(smollm2, prompt.messages, max_new_tokens=8)
    assert first.text == second.text
    assert first.token_logprobs == pytest.approx(second.token_logprobs, abs=1e-4)


def test_real_tokenizer_keeps_the_prompt_within_budget(smollm2: Generator) -> None:
    tokenizer = smollm2.tokenizer
    long_passages = [SourcePassage("Clause text goes on. " * 80, f"d{k}.pdf", k) for k in range(5)]
    prompt = PromptBuilder(tokenizer, context_tokens=600, answer_tokens=100).build(
        "What does the clause say?", long_passages
    )
    assert prompt.truncated
    assert tokenizer.count_chat(prompt.messages) <= 500
    assert prompt.messages[1]["content"].endswith("Question: What does the clause say?")
    assert tokenizer.count(tokenizer.truncate("one two three four five six", 3)) <= 3
    assert isinstance(tokenizer, ChatTokenizer)
    rendered = tokenizer.render_chat(prompt.messages)
    assert rendered.startswith("<|im_start|>system\nYou answer questions")
    assert rendered.endswith(
        "Question: What does the clause say?<|im_end|>\n<|im_start|>assistant\n"
    )


def test_guesses_from_the_passages_change_no_answer(smollm2: Generator) -> None:
    stepwise = build_generator(GenerationSettings(lookup_tokens=0))
    builder = PromptBuilder(smollm2.tokenizer, context_tokens=1024, answer_tokens=40)
    for question in ("How much notice must the tenant give?", "Quote the rule on rent."):
        prompt = builder.build(question, PASSAGES)
        guessed = generate(smollm2, prompt.messages, max_new_tokens=40)
        plain = generate(stepwise, prompt.messages, max_new_tokens=40)
        assert guessed.text == plain.text
        assert guessed.token_logprobs == pytest.approx(plain.token_logprobs, abs=1e-3)


@pytest.fixture(scope="module")
def smollm2_fp32() -> Generator:
    """The runtime reading prompts in fp32, whatever the CPU offers."""
    generator = build_generator(GenerationSettings(prefill_precision="fp32"))
    generator.warm_up()
    return generator


def test_the_runtime_answers_as_the_model_loaded_by_transformers(
    smollm2_fp32: Generator,
) -> None:
    """The runtime's own Llama network, its transposed layers and its reserved cache change no
    answer, nor does its tokenizer change a prompt: the model and tokenizer as transformers
    loads them, with transformers' own cache and attention, give the same tokens."""
    smollm2 = smollm2_fp32
    from assistant.generation.greedy import GreedyDecoding, decode_greedy
    from assistant.generation.hf_model import load_model, load_tokenizer, merge_adapter
    from assistant.generation.model_files import BUNDLED_ADAPTER, packaged_model_file
    from assistant.generation.transformers_runtime import TURN_MARKERS
    from assistant.generation.weight_layout import InputMajorLinear

    model_file = packaged_model_file()
    untouched = merge_adapter(load_model(model_file), BUNDLED_ADAPTER)
    assert not any(isinstance(m, InputMajorLinear) for m in untouched.modules())
    reference_tokenizer = load_tokenizer(model_file)
    vocabulary = reference_tokenizer.get_vocab()
    decoding = GreedyDecoding(
        stop_ids=frozenset(vocabulary[name] for name in TURN_MARKERS),
        stop_text=None,
        lookup_tokens=4,
        prefill_threads=1,
        decode_threads=1,
    )
    tokenizer = smollm2.tokenizer
    assert isinstance(tokenizer, ChatTokenizer)
    builder = PromptBuilder(tokenizer, context_tokens=1024, answer_tokens=40)
    for question in ("How much notice must the tenant give?", "Quote the rule on rent."):
        prompt = builder.build(question, PASSAGES)
        runtime = generate(smollm2, prompt.messages, max_new_tokens=40)
        rendered = reference_tokenizer.apply_chat_template(
            list(prompt.messages), tokenize=False, add_generation_prompt=True
        )
        assert tokenizer.render_chat(prompt.messages) == rendered
        ids = reference_tokenizer(rendered, add_special_tokens=False)["input_ids"]
        assert tokenizer.encode_chat(prompt.messages) == ids

        def decode(ids: Sequence[int]) -> str:
            return str(reference_tokenizer.decode(list(ids), skip_special_tokens=True))

        reference = list(decode_greedy(untouched, decode, ids, 40, decoding))
        assert runtime.text == "".join(t.text for t in reference)
        assert runtime.token_logprobs == pytest.approx([t.logprob for t in reference], abs=1e-3)


def test_answers_written_together_are_those_written_alone(smollm2: Generator) -> None:
    builder = PromptBuilder(smollm2.tokenizer, context_tokens=1024, answer_tokens=32)
    questions = (
        "How much notice must the tenant give?",
        "How is rent paid?",
        "Quote the rule on rent.",
        "What does the lease say about pets?",
    )
    prompts = [builder.build(question, PASSAGES).messages for question in questions]
    alone = [generate(smollm2, prompt, max_new_tokens=32) for prompt in prompts]
    together: list[Generation | None] = [None] * len(prompts)

    def ask(index: int) -> None:
        together[index] = generate(smollm2, prompts[index], max_new_tokens=32)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for single, batched in zip(alone, together, strict=True):
        assert batched is not None
        assert batched.text == single.text
        assert batched.token_logprobs == pytest.approx(single.token_logprobs, abs=1e-3)


def test_prompts_read_in_bfloat16_give_the_fp32_answers(
    smollm2_fp32: Generator,
) -> None:
    """Where the CPU computes bfloat16 natively, reading the prompt in it keeps these answers
    word for word, with log-probabilities close to fp32's."""
    rounded = build_generator(GenerationSettings(prefill_precision="bf16"))
    builder = PromptBuilder(smollm2_fp32.tokenizer, context_tokens=512, answer_tokens=40)
    for question in ("How much notice must the tenant give?", "Quote the rule on rent."):
        prompt = builder.build(question, PASSAGES)
        exact = generate(smollm2_fp32, prompt.messages, max_new_tokens=40)
        close = generate(rounded, prompt.messages, max_new_tokens=40)
        assert close.text == exact.text
        assert close.token_logprobs == pytest.approx(exact.token_logprobs, abs=0.15)
