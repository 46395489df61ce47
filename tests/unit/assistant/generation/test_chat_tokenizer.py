"""The answer model's tokenizer view, on a small word-level tokenizer built here: the chat
template rendered as transformers renders it, the plain transcript for a model without one,
counting, cutting and decoding, and reading a converted model's folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers

from assistant.generation.chat_tokenizer import (
    ANSWER_CUE,
    TEMPLATE_FILE,
    TRANSCRIPT_STOP,
    ChatTokenizer,
    plain_transcript,
)
from assistant.generation.greedy import stop_position
from assistant.generation.prompt import ChatMessage, build_messages

TEMPLATE = (
    "{% for message in messages %}\n"
    "{{ '<' + message['role'] + '>' + message['content'] + eos_token }}\n"
    "{% endfor %}\n"
    "{% if add_generation_prompt %}{{ '<assistant>' }}{% endif %}"
)
"""Block tags on lines of their own: transformers drops the line break after a block tag (not
after an expression), so must the renderer."""

WORDS = ["<unk>", "<end>", "<bos>", "the", "fee", "is", "due", "monthly", "."]


def word_tokenizer() -> Tokenizer:
    vocabulary = {word: index for index, word in enumerate(WORDS)}
    tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.add_special_tokens(["<end>", "<bos>"])
    return tokenizer


def templated() -> ChatTokenizer:
    return ChatTokenizer(
        word_tokenizer(), chat_template=TEMPLATE, special_tokens={"eos_token": "<end>"}
    )


def test_the_template_renders_turns_with_block_lines_trimmed() -> None:
    tokenizer = templated()
    rendered = tokenizer.render_chat([ChatMessage(role="user", content="Why?")])
    assert rendered == "<user>Why?<end>\n<assistant>"
    assert tokenizer.stop_text is None


def test_a_template_that_refuses_says_so() -> None:
    refusing = "{{ raise_exception('no system turn allowed') }}"
    tokenizer = ChatTokenizer(word_tokenizer(), chat_template=refusing, special_tokens={})
    with pytest.raises(ValueError, match="no system turn allowed"):
        tokenizer.render_chat(build_messages("Why?", []))


def test_the_template_cannot_reach_python_internals() -> None:
    hostile = "{{ messages.__class__.__mro__[1].__subclasses__() }}"
    tokenizer = ChatTokenizer(word_tokenizer(), chat_template=hostile, special_tokens={})
    with pytest.raises(Exception, match=r"unsafe|access"):
        tokenizer.render_chat(build_messages("Why?", []))


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


def test_without_a_template_the_prompt_is_a_transcript_with_bos() -> None:
    tokenizer = ChatTokenizer(
        word_tokenizer(), chat_template=None, special_tokens={"bos_token": "<bos>"}, add_bos=True
    )
    rendered = tokenizer.render_chat(build_messages("Why?", []))
    assert rendered.startswith("<bos>You answer questions")
    assert rendered.endswith(f"Question: Why?\n\n{ANSWER_CUE}")
    assert tokenizer.stop_text == TRANSCRIPT_STOP


def test_counting_cutting_and_decoding() -> None:
    tokenizer = templated()
    text = "the fee is due monthly ."
    assert tokenizer.encode(text) == [3, 4, 5, 6, 7, 8]
    assert tokenizer.count(text) == 6
    assert tokenizer.truncate(text, 3) == "the fee is"
    assert tokenizer.truncate(text, 6) == text
    assert tokenizer.truncate(text, 0) == ""
    assert tokenizer.decode([2, 3, 4, 1]) == "the fee"  # special tokens are left out
    assert tokenizer.eos_token_id == 1
    assert tokenizer.token_id("absent") is None


def test_a_converted_folder_is_read_with_its_template_file(tmp_path: Path) -> None:
    word_tokenizer().save(str(tmp_path / "tokenizer.json"))
    config = {"eos_token": {"content": "<end>"}, "bos_token": "<bos>"}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    (tmp_path / TEMPLATE_FILE).write_text(TEMPLATE, encoding="utf-8")
    tokenizer = ChatTokenizer.from_folder(tmp_path)
    assert tokenizer.render_chat([ChatMessage(role="user", content="Hi")]) == (
        "<user>Hi<end>\n<assistant>"
    )
    assert tokenizer.eos_token_id == 1


def test_stop_position_skips_leading_whitespace() -> None:
    assert stop_position(" Yes [1].\n\nQuestion: next", "\n\n") == len(" Yes [1].")
    assert stop_position("\n\nYes [1].", "\n\n") is None
    assert stop_position("\n\nYes [1].\n\nMore", "\n\n") == len("\n\nYes [1].")
    assert stop_position("Yes [1].\n\nMore", None) is None
