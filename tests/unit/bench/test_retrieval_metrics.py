"""Ranking metrics, query splits and relevance judgements of the retrieval benchmark, on tiny
made-up inputs."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

from bench.retrieval.evaluation import mean_ranks, score, split_queries
from bench.retrieval.metrics import ndcg_at_k, ranked_units, recall_at_k
from bench.retrieval.qrels import (
    ChunkedDocument,
    EvalSet,
    Query,
    WordLocator,
    financebench_set,
    legalbench_set,
    pubmedqa_set,
    quoted_fragments,
    tatqa_set,
)
from ingest.types import ChunkDraft, Page, ParsedDocument


def _relevant_texts(result: EvalSet, query: Query) -> list[str]:
    return sorted(p.text for p in result.passages if p.unit in query.relevant)


# --- metrics ------------------------------------------------------------------------------


def test_ndcg_of_known_ranking() -> None:
    # relevant at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3)
    expected = 1.5 / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "x", "b", "y"], {"a", "b"}, k=10) == pytest.approx(expected)
    assert expected == pytest.approx(0.91972, abs=1e-5)


def test_ndcg_is_one_for_ideal_and_zero_without_hits() -> None:
    assert ndcg_at_k(["a", "b", "x"], {"a", "b"}) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"a"}) == 0.0


def test_ndcg_ideal_is_capped_at_k() -> None:
    # three relevant units but only two ranks count: two hits at the top are ideal
    assert ndcg_at_k(["a", "b", "c"], {"a", "b", "c"}, k=2) == pytest.approx(1.0)
    # a hit just past k does not count: one hit at rank 2 of k=2
    assert ndcg_at_k(["x", "a", "b"], {"a", "b", "c"}, k=2) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )


def test_single_relevant_unit_at_rank_three() -> None:
    assert ndcg_at_k(["x", "y", "a"], {"a"}) == pytest.approx(0.5)


def test_recall_counts_relevant_units_within_k() -> None:
    assert recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, k=10) == pytest.approx(0.5)
    assert recall_at_k(["x", "a"], {"a"}, k=1) == 0.0
    assert recall_at_k(["a", "a", "b"], {"a", "b"}, k=3) == pytest.approx(1.0)


def test_query_without_relevant_units_scores_zero() -> None:
    assert ndcg_at_k(["a"], set()) == 0.0
    assert recall_at_k(["a"], set()) == 0.0


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError, match="k must be"):
        ndcg_at_k(["a"], {"a"}, k=0)
    with pytest.raises(ValueError, match="k must be"):
        recall_at_k(["a"], {"a"}, k=0)


def test_ranked_units_keeps_first_rank_of_each_unit() -> None:
    pages = {1: ("doc", 4), 2: ("doc", 4), 3: ("doc", 9), 4: ("doc", 4), 5: ("other", 4)}
    assert ranked_units([1, 2, 3, 4, 5], pages.__getitem__) == [
        ("doc", 4),
        ("doc", 9),
        ("other", 4),
    ]


def test_score_judges_pages_after_merging_chunks() -> None:
    unit_of = {10: ("d", 1), 11: ("d", 1), 12: ("d", 2), 13: ("d", 3)}
    queries = [
        Query("q1", "first", frozenset({("d", 2)})),
        Query("q2", "second", frozenset({("d", 3)})),
    ]
    rankings = {"q1": [10, 11, 12], "q2": [13]}
    result = score(rankings, queries, unit_of, k=2)
    # q1: chunks 10 and 11 are one page, so page 2 ranks second (within k=2)
    assert result.ndcg == pytest.approx((1 / math.log2(3) + 1.0) / 2)
    assert result.recall == pytest.approx(1.0)
    assert result.queries == 2


def test_score_counts_missing_rankings_as_zero() -> None:
    queries = [Query("q1", "a", frozenset({1})), Query("q2", "b", frozenset({2}))]
    result = score({"q1": [1]}, queries, {1: 1, 2: 2})
    assert result.ndcg == pytest.approx(0.5)


# --- split --------------------------------------------------------------------------------


def _queries(count: int) -> list[Query]:
    return [Query(f"q{i:03d}", f"question {i}", frozenset({i})) for i in range(count)]


def test_split_is_disjoint_complete_and_stable() -> None:
    queries = _queries(11)
    split = split_queries(queries)
    dev_ids = {q.query_id for q in split.dev}
    test_ids = {q.query_id for q in split.test}
    assert len(split.dev) == 6 and len(split.test) == 5
    assert not dev_ids & test_ids
    assert dev_ids | test_ids == {q.query_id for q in queries}
    assert split_queries(list(reversed(queries))) == split
    assert split_queries(queries, seed=1) != split


def test_split_limit_applies_before_halving() -> None:
    split = split_queries(_queries(40), limit=10)
    assert len(split.dev) == 5 and len(split.test) == 5


def test_mean_ranks_average_each_sets_ranking() -> None:
    dev = {
        "a": {"big": 0.90, "small": 0.10},
        "b": {"big": 0.50, "small": 0.30},
        "c": {"big": 0.50, "small": 0.20},
    }
    # big: a 1st, b and c tie for 2nd; small: b 1st, c 2nd, a 3rd
    assert mean_ranks(dev) == {"a": 2.0, "b": 1.5, "c": 2.0}


# --- TAT-QA and PubMedQA ------------------------------------------------------------------


def _tatqa_context(table: list[list[str]], paragraphs: list[str], questions: list[dict]) -> dict:
    return {
        "table": {"uid": "t", "table": table},
        "paragraphs": [
            {"uid": f"p{i}", "order": i + 1, "text": text} for i, text in enumerate(paragraphs)
        ],
        "questions": questions,
    }


def _tatqa_question(uid: str, rel: list[str], answer_from: str) -> dict:
    return {
        "uid": uid,
        "question": f"question {uid}",
        "rel_paragraphs": rel,
        "answer_from": answer_from,
    }


def test_tatqa_pools_tables_and_paragraphs_with_one_based_orders() -> None:
    contexts = [
        _tatqa_context(
            [["", "2019"], ["Revenue", "10"]],
            ["Alpha paragraph.", "Shared paragraph."],
            [
                _tatqa_question("a", ["2"], "text"),
                _tatqa_question("b", ["1"], "table-text"),
                _tatqa_question("c", [], "table"),
            ],
        ),
        _tatqa_context(
            [["Item", "Cost"], ["Rent", "5"]],
            ["Shared   paragraph.", "Beta paragraph."],
            [_tatqa_question("d", ["1", "2"], "text")],
        ),
    ]
    result = tatqa_set(contexts)
    texts = [p.text for p in result.passages]
    relevant = {q.query_id: set(_relevant_texts(result, q)) for q in result.queries}

    assert len(result.passages) == 5  # 2 tables + 3 distinct paragraphs
    assert result.notes["duplicates"] == 1
    assert relevant["a"] == {"Shared paragraph."}
    first_table = next(t for t in texts if "Revenue" in t)
    assert first_table.splitlines()[0].startswith("|") and "---" in first_table
    assert relevant["b"] == {"Alpha paragraph.", first_table}
    assert relevant["c"] == {first_table}
    assert relevant["d"] == {"Shared paragraph.", "Beta paragraph."}


def test_tatqa_rejects_a_paragraph_the_context_lacks() -> None:
    contexts = [_tatqa_context([["a"]], ["One."], [_tatqa_question("x", ["3"], "text")])]
    with pytest.raises(ValueError, match="paragraph 3"):
        tatqa_set(contexts)


def test_pubmedqa_marks_each_questions_own_abstract() -> None:
    items = {
        "111": {"QUESTION": "Does A help?", "CONTEXTS": ["Background A.", "Results A."]},
        "222": {"QUESTION": "Does B help?", "CONTEXTS": ["Background B."]},
    }
    result = pubmedqa_set(items)
    by_query = {q.query_id: q for q in result.queries}
    assert _relevant_texts(result, by_query["111"]) == ["Background A.\nResults A."]
    assert _relevant_texts(result, by_query["222"]) == ["Background B."]


# --- LegalBench-RAG -----------------------------------------------------------------------


def test_quoted_fragments_split_at_ellipses_and_drop_short_quotes() -> None:
    completion = (
        "The “Confidential Information” is defined. It says: “the Recipient shall keep "
        "all data secret … and shall return every copy on request” and also "
        '"no licence is granted under this Agreement [to the Recipient] by implication". '
        "Also “Information does not include . . . data received from a free third party.”"
    )
    assert quoted_fragments(completion) == [
        "the Recipient shall keep all data secret",
        "and shall return every copy on request",
        "no licence is granted under this Agreement",
        "data received from a free third party.",
    ]


def test_word_locator_ignores_case_punctuation_and_spacing() -> None:
    text = "1. Term.\nThe  Agreement shall   remain in effect\nuntil the end-of-year; then it ends."
    locator = WordLocator(text)
    spans = locator.find_all("the agreement shall remain in effect until the end of year")
    assert len(spans) == 1
    start, end = spans[0]
    assert text[start:end] == "The  Agreement shall   remain in effect\nuntil the end-of-year"
    assert locator.find_all("remain in force") == []


def test_word_locator_matches_whole_words_only() -> None:
    locator = WordLocator("interest rates rose; the rest fell")
    assert locator.find_all("rest fell") == [(25, 34)]


def _chunk(ordinal: int, text: str, start: int, end: int, page: int | None = None) -> ChunkDraft:
    return ChunkDraft(
        ordinal=ordinal, text=text[start:end], page=page, char_start=start, char_end=end
    )


def _document(text: str, cuts: list[int], file_name: str = "a.txt") -> ChunkedDocument:
    parsed = ParsedDocument(pages=(Page(number=None, text=text),))
    chunks = tuple(_chunk(i, text, a, b) for i, (a, b) in enumerate(pairwise(cuts)))
    return ChunkedDocument(file_name, parsed, chunks)


def test_legalbench_marks_chunks_overlapping_the_quoted_clause() -> None:
    nda = (
        "Section one covers definitions of the parties. "
        "Section two: the receiving party shall not disclose any confidential information "
        "to third parties. Section three covers the term of five years."
    )
    second = nda.index("Section two")
    third = nda.index("Section three")
    documents = {
        "contractnli/Mutual NDA.txt": _document(
            nda, [0, second, third, len(nda)], "Mutual NDA.txt"
        ),
        "privacy_qa/Other.txt": _document("Another policy text entirely.", [0, 29]),
    }
    questions = [
        {
            "prompt": "Does the NDA forbid disclosure?",
            "expected completion": "Yes: “the Receiving Party shall NOT disclose any "
            "confidential information to third-parties.”",
            "source_file": "contractnli/Mutual%20NDA.txt",
        },
        {
            "prompt": "Who owns the data?",
            "expected completion": "The excerpt does not say.",
            "source_file": "contractnli/Mutual NDA.txt",
        },
    ]
    result = legalbench_set(documents, questions)
    clause, fallback = result.queries

    named = "Mutual NDA\n"
    assert _relevant_texts(result, clause) == [named + nda[second:third]]
    assert _relevant_texts(result, fallback) == sorted(
        [named + nda[:second], named + nda[second:third], named + nda[third:]]
    )
    assert result.notes == {"clause_level": 1, "document_level": 1}


def test_legalbench_clause_across_a_chunk_boundary_marks_both_chunks() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    cut = text.index("epsilon")
    documents = {"cuad/a.txt": _document(text, [0, cut, len(text)])}
    questions = [
        {
            "prompt": "q",
            "expected completion": "“gamma delta epsilon zeta eta”",
            "source_file": "cuad/a.txt",
        }
    ]
    result = legalbench_set(documents, questions)
    assert len(result.queries[0].relevant) == 2


def test_legalbench_rejects_an_unknown_source_file() -> None:
    questions = [{"prompt": "q", "expected completion": "", "source_file": "cuad/missing.txt"}]
    with pytest.raises(ValueError, match="missing"):
        legalbench_set({"cuad/a.txt": _document("some text here", [0, 14])}, questions)


# --- FinanceBench -------------------------------------------------------------------------


def _paged_document(pages: dict[int, list[str]], file_name: str = "a.pdf") -> ChunkedDocument:
    parsed = ParsedDocument(
        pages=tuple(Page(number=n, text=" ".join(texts)) for n, texts in pages.items())
    )
    chunks: list[ChunkDraft] = []
    for number, texts in pages.items():
        offset = 0
        for text in texts:
            chunks.append(
                ChunkDraft(
                    len(chunks), text, page=number, char_start=offset, char_end=offset + len(text)
                )
            )
            offset += len(text) + 1
    return ChunkedDocument(file_name, parsed, tuple(chunks))


def test_financebench_relevance_is_the_one_based_evidence_page() -> None:
    documents = {
        "ACME_2022_10K": _paged_document(
            {1: ["cover"], 2: ["revenue a", "revenue b"], 3: ["notes"]}, "ACME_2022_10K.pdf"
        ),
        "OTHER_2022_10K": _paged_document({1: ["other cover"]}),
    }
    questions = [
        {
            "financebench_id": "fb1",
            "question": "What was revenue?",
            "evidence": [{"doc_name": "ACME_2022_10K", "evidence_page_num": 1}],
        },
        {
            "financebench_id": "fb2",
            "question": "Missing filing?",
            "evidence": [{"doc_name": "GONE_2022_10K", "evidence_page_num": 0}],
        },
        {
            "financebench_id": "fb3",
            "question": "Beyond the last page?",
            "evidence": [{"doc_name": "OTHER_2022_10K", "evidence_page_num": 5}],
        },
    ]
    result = financebench_set(documents, questions)
    by_query = {q.query_id: q for q in result.queries}

    assert by_query["fb1"].relevant == {("ACME_2022_10K", 2)}
    assert set(by_query) == {"fb1", "fb3"}
    assert result.notes == {"skipped_missing_document": 1, "evidence_pages_without_chunks": 1}
    units = result.unit_by_passage()
    revenue_chunks = [p.passage_id for p in result.passages if "\nrevenue" in p.text]
    assert {units[i] for i in revenue_chunks} == {("ACME_2022_10K", 2)}
    assert len(result.passages) == 5


def test_document_passages_are_indexed_with_the_document_name_and_headings() -> None:
    text = "Either party may end this agreement without cause."
    chunk = ChunkDraft(0, text, page=1, char_start=0, char_end=len(text), heading_path=("Term",))
    parsed = ParsedDocument(pages=(Page(number=1, text=text),))
    documents = {"ACME_2022_10K": ChunkedDocument("ACME_2022_10K.pdf", parsed, (chunk,))}
    result = financebench_set(documents, [])
    assert [p.text for p in result.passages] == [f"ACME 2022 10K\nTerm\n{text}"]
