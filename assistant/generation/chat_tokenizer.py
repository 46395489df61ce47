"""The answer model's tokenizer and chat template, read with the ``tokenizers`` library and
Jinja alone.

transformers' tokenizer classes give the same tokens, but importing them costs a fresh process
more than a second; the converted model's folder keeps ``tokenizer.json``, the special tokens
in ``tokenizer_config.json`` and the template in ``chat_template.jinja``, which is all a prompt
needs. The template is rendered as transformers renders it (a sandboxed Jinja environment that
trims block lines). A model without a chat template (a base model never tuned to chat) gets the
prompt as a plain transcript ending on an answer cue instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from tokenizers import Tokenizer

from assistant.generation.prompt import ChatMessage

ANSWER_CUE = "Answer:"
"""Where a plain transcript hands over to the model, and what marks earlier answers in it."""

TRANSCRIPT_STOP = "\n\n"
"""Ends an answer in a plain transcript: a base model goes on to invent the next question."""

TEMPLATE_FILE = "chat_template.jinja"


def plain_transcript(messages: Sequence[ChatMessage], bos: str = "") -> str:
    """``messages`` as plain text for a model without a chat template.

    A base model continues text rather than following turns, so the instructions and the
    question stay as written, earlier answers follow the cue, and the text ends on the cue.
    ``bos`` is prepended for models that expect a start-of-text token.
    """
    parts = [
        f"{ANSWER_CUE} {m['content']}" if m["role"] == "assistant" else m["content"]
        for m in messages
    ]
    return bos + "\n\n".join([*parts, ANSWER_CUE])


class ChatTokenizer:
    """The prompt builder's and the decoder's view of the model's tokenizer."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        *,
        chat_template: str | None,
        special_tokens: dict[str, str],
        add_bos: bool = False,
    ) -> None:
        self._tokenizer = tokenizer
        self._special = special_tokens
        self._add_bos = add_bos
        self._template = None if chat_template is None else _compiled(chat_template)

    @classmethod
    def from_folder(cls, folder: Path) -> ChatTokenizer:
        """The tokenizer a converted model's folder keeps."""
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        template_file = folder / TEMPLATE_FILE
        template = (
            template_file.read_text(encoding="utf-8")
            if template_file.is_file()
            else config.get("chat_template")
        )
        return cls(
            Tokenizer.from_file(str(folder / "tokenizer.json")),
            chat_template=template,
            special_tokens=_special_tokens(config),
            add_bos=bool(config.get("add_bos_token", False)),
        )

    @classmethod
    def from_transformers(cls, tokenizer: Any) -> ChatTokenizer:
        """The same view of a transformers tokenizer (one read from a GGUF file)."""
        config = {
            name: getattr(tokenizer, name, None)
            for name in ("bos_token", "eos_token", "pad_token", "unk_token")
        }
        return cls(
            tokenizer.backend_tokenizer,
            chat_template=getattr(tokenizer, "chat_template", None),
            special_tokens=_special_tokens(config),
            add_bos=bool(getattr(tokenizer, "add_bos_token", False)),
        )

    @property
    def has_chat_template(self) -> bool:
        return self._template is not None

    @property
    def stop_text(self) -> str | None:
        """Text that ends the answer besides the end-of-turn tokens (None: only those)."""
        return None if self.has_chat_template else TRANSCRIPT_STOP

    @property
    def eos_token_id(self) -> int | None:
        eos = self._special.get("eos_token")
        return None if eos is None else self.token_id(eos)

    def token_id(self, token: str) -> int | None:
        """The id of ``token`` in the vocabulary, ``None`` when it has none."""
        return self._tokenizer.token_to_id(token)

    def encode(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: Sequence[int]) -> str:
        return self._tokenizer.decode(list(ids), skip_special_tokens=True)

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def render_chat(self, messages: Sequence[ChatMessage]) -> str:
        """``messages`` in the model's chat template, ending where the answer starts."""
        if self._template is None:
            bos = self._special.get("bos_token") if self._add_bos else None
            return plain_transcript(messages, bos or "")
        return str(
            self._template.render(
                messages=list(messages), add_generation_prompt=True, **self._special
            )
        )

    def encode_chat(self, messages: Sequence[ChatMessage]) -> list[int]:
        return self.encode(self.render_chat(messages))

    def count_chat(self, messages: Sequence[ChatMessage]) -> int:
        return len(self.encode_chat(messages))

    def truncate(self, text: str, max_tokens: int) -> str:
        offsets = self._tokenizer.encode(text, add_special_tokens=False).offsets
        if len(offsets) <= max_tokens:
            return text
        return text[: offsets[max_tokens - 1][1]] if max_tokens > 0 else ""


def _special_tokens(config: dict[str, Any]) -> dict[str, str]:
    """The named special tokens a template may use, as text (a config may give them as
    objects with a ``content``)."""
    named: dict[str, str] = {}
    for name in ("bos_token", "eos_token", "pad_token", "unk_token"):
        value = config.get(name)
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str):
            named[name] = value
    return named


def _compiled(template: str) -> Any:
    """``template`` compiled as transformers compiles chat templates: sandboxed, with block
    lines trimmed, loop controls, and the helpers templates call."""
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> NoReturn:
        raise ValueError(f"the chat template refused the messages: {message}")

    def tojson(value: Any, indent: int | None = None) -> str:
        return json.dumps(value, indent=indent, ensure_ascii=False)

    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]
    )
    environment.filters["tojson"] = tojson
    environment.globals["raise_exception"] = raise_exception
    environment.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return environment.from_string(template)
