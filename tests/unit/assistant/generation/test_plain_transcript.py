from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.generation.greedy import stop_position
from assistant.generation.hf_model import (
    ANSWER_CUE,
    TRANSCRIPT_STOP,
    HFPromptTokenizer,
    plain_transcript,
)
from assistant.generation.prompt import ChatMessage, build_messages


class TemplatedTokenizer:
    """A raw tokenizer whose file carries a chat template."""

    chat_template = "{{ messages }}"
    add_bos_token = False
    bos_token = None

    def apply_chat_template(
        self, messages: Sequence[ChatMessage], *, tokenize: bool, add_generation_prompt: bool
    ) -> str:
        return "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>"


class BaseModelTokenizer:
    """A raw tokenizer without a chat template that wants a start-of-text token."""

    chat_template = None
    add_bos_token = True
    bos_token = "<bos>"

    def apply_chat_template(self, *args: Any, **kwargs: Any) -> str:
        raise AssertionError("a tokenizer without a template must not be asked to apply one")


def test_plain_transcript_ends_on_the_answer_cue() -> None:
    messages = [
        ChatMessage(role="system", content="Rules."),
        ChatMessage(role="user", content="Question: Why?"),
        ChatMessage(role="assistant", content="Because [1]."),
        ChatMessage(role="user", content="Question: How?"),
    ]
    text = plain_transcript(messages, bos="<s>")
    assert text == (
        "<s>Rules.\n\nQuestion: Why?\n\nAnswer: Because [1].\n\nQuestion: How?\n\nAnswer:"
    )
    assert plain_transcript(messages[:1]).startswith("Rules.")


def test_adapter_uses_the_template_when_the_file_has_one() -> None:
    tokenizer = HFPromptTokenizer(TemplatedTokenizer())
    rendered = tokenizer.render_chat(build_messages("Why?", []))
    assert rendered.startswith("<system>You answer questions")
    assert rendered.endswith("<assistant>")
    assert tokenizer.stop_text is None


def test_adapter_falls_back_to_a_transcript_with_bos() -> None:
    tokenizer = HFPromptTokenizer(BaseModelTokenizer())
    messages = build_messages("Why?", [])
    rendered = tokenizer.render_chat(messages)
    assert rendered.startswith("<bos>You answer questions")
    assert rendered.endswith(f"Question: Why?\n\n{ANSWER_CUE}")
    assert tokenizer.stop_text == TRANSCRIPT_STOP


def test_stop_position_skips_leading_whitespace() -> None:
    assert stop_position(" Yes [1].\n\nQuestion: next", "\n\n") == len(" Yes [1].")
    assert stop_position("\n\nYes [1].", "\n\n") is None
    assert stop_position("\n\nYes [1].\n\nMore", "\n\n") == len("\n\nYes [1].")
    assert stop_position("Yes [1].\n\nMore", None) is None
