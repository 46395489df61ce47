"""Turning the public evaluation sets into passages, queries and relevance judgements.

Everything here works on data already read into memory (and, for the document sets, already
parsed and chunked), so the judging rules can be tested on tiny made-up inputs.

Each passage carries an evaluation unit: the passage itself for sets judged passage by
passage, or ``(document, page)`` for FinanceBench, which is judged by page. A query's relevant
units are what its ranking is scored against.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from bisect import bisect_right
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.index_text import draft_index_text
from ingest.parsers.pagebuilder import render_markdown_table
from ingest.types import ChunkDraft, ParsedDocument

MIN_QUOTE_WORDS = 5
"""Quoted fragments shorter than this are defined terms or headings (“Confidential
Information”), which occur all over a contract and do not point at one clause."""

TABLE_ANSWER_SOURCES = frozenset({"table", "table-text"})


@dataclass(frozen=True)
class Passage:
    """One retrievable text and the unit it counts as when a ranking is judged."""

    passage_id: int
    text: str
    unit: Hashable


@dataclass(frozen=True)
class Query:
    """A question and the units that answer it."""

    query_id: str
    text: str
    relevant: frozenset[Hashable]


@dataclass(frozen=True)
class EvalSet:
    """A corpus, its queries, and facts about how the judgements were made (for the report)."""

    name: str
    passages: tuple[Passage, ...]
    queries: tuple[Query, ...]
    notes: Mapping[str, int] = field(default_factory=dict)

    def unit_by_passage(self) -> dict[int, Hashable]:
        return {passage.passage_id: passage.unit for passage in self.passages}


# --- TAT-QA -------------------------------------------------------------------------------


def tatqa_set(contexts: Sequence[Mapping[str, Any]]) -> EvalSet:
    """Every table and paragraph of every context pooled into one corpus.

    Tables are rendered as Markdown rows, as the product's parsers render them. A question's
    relevant passages are its ``rel_paragraphs`` (the 1-based ``order`` of paragraphs in its
    own context, given as strings) plus its context's table when the answer comes from the
    table (``table`` or ``table-text``). Texts that occur in several contexts become one
    passage, so a copy of the right paragraph elsewhere is not judged wrong.
    """
    builder = _PassagePool()
    queries: list[Query] = []
    for context in contexts:
        table_id = builder.add(render_markdown_table(context["table"]["table"])[0])
        paragraph_ids = {int(p["order"]): builder.add(p["text"]) for p in context["paragraphs"]}
        for question in context["questions"]:
            wanted: list[int | None] = []
            for order in question["rel_paragraphs"]:
                if int(order) not in paragraph_ids:
                    raise ValueError(
                        f"question {question['uid']} names paragraph {order}, "
                        "which its context does not have"
                    )
                wanted.append(paragraph_ids[int(order)])
            if question["answer_from"] in TABLE_ANSWER_SOURCES:
                wanted.append(table_id)
            relevant = frozenset(i for i in wanted if i is not None)
            queries.append(Query(str(question["uid"]), question["question"], relevant))
    return EvalSet("tatqa", builder.passages(), tuple(queries), {"duplicates": builder.merged})


class _PassagePool:
    """Passages with identical text (ignoring spacing) merged into one; blank texts left out."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._texts: list[str] = []
        self.merged = 0

    def add(self, text: str) -> int | None:
        key = " ".join(text.split())
        if not key:
            return None
        if key in self._ids:
            self.merged += 1
            return self._ids[key]
        passage_id = len(self._texts)
        self._ids[key] = passage_id
        self._texts.append(text)
        return passage_id

    def passages(self) -> tuple[Passage, ...]:
        return tuple(Passage(i, text, i) for i, text in enumerate(self._texts))


# --- PubMedQA -----------------------------------------------------------------------------


def pubmedqa_set(items: Mapping[str, Mapping[str, Any]]) -> EvalSet:
    """All abstracts pooled; each question's own abstract (its sections joined) is relevant."""
    passages: list[Passage] = []
    queries: list[Query] = []
    for pubmed_id, item in items.items():
        passage_id = len(passages)
        passages.append(Passage(passage_id, "\n".join(item["CONTEXTS"]), passage_id))
        queries.append(Query(str(pubmed_id), item["QUESTION"], frozenset({passage_id})))
    return EvalSet("pubmedqa", tuple(passages), tuple(queries))


# --- Chunked documents --------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkedDocument:
    """A parsed document, its file name and the chunks the project's chunker cut from it."""

    file_name: str
    parsed: ParsedDocument
    chunks: tuple[ChunkDraft, ...]


def _document_passages(
    documents: Mapping[str, ChunkedDocument], unit: Callable[[str, ChunkDraft, int], Hashable]
) -> tuple[list[Passage], dict[str, list[tuple[int, ChunkDraft]]]]:
    """Passages of every chunk (documents in name order) and, per document, its chunks with
    their passage ids. ``unit(name, chunk, passage_id)`` gives each passage's unit. A
    passage's text is what the product's indexes see of the chunk (``draft_index_text``), with
    the document's name (its file name) and the chunk's heading path in front."""
    passages: list[Passage] = []
    by_document: dict[str, list[tuple[int, ChunkDraft]]] = {}
    for name in sorted(documents):
        entries = by_document.setdefault(name, [])
        for chunk in documents[name].chunks:
            passage_id = len(passages)
            text = draft_index_text(chunk, documents[name].file_name)
            passages.append(Passage(passage_id, text, unit(name, chunk, passage_id)))
            entries.append((passage_id, chunk))
    return passages, by_document


# --- LegalBench-RAG -----------------------------------------------------------------------

_QUOTED = re.compile(r"“([^“”]+)”|\"([^\"]+)\"")
_QUOTE_BREAK = re.compile(r"\.(?: ?\.){2}|…|\[[^\]]*\]")
_WORD = re.compile(r"[^\W_]+")


def source_key(source_file: str) -> str:
    """A ``source_file`` as a comparable key: URL escapes undone (``%20``), Unicode in NFC."""
    return unicodedata.normalize("NFC", urllib.parse.unquote(source_file))


def quoted_fragments(completion: str) -> list[str]:
    """The verbatim pieces quoted in an answer.

    Quotes are cut at ellipses and at bracketed insertions, where the quoting answer left the
    source text; pieces shorter than ``MIN_QUOTE_WORDS`` words are dropped.
    """
    fragments: list[str] = []
    for match in _QUOTED.finditer(completion):
        quoted = match.group(1) or match.group(2)
        for piece in _QUOTE_BREAK.split(quoted):
            if len(_normalised_words(piece)) >= MIN_QUOTE_WORDS:
                fragments.append(piece.strip())
    return fragments


def _normalised_words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


class WordLocator:
    """Finds a fragment in a text by its words alone (case, punctuation, quotes, dashes and
    spacing ignored) and answers with character spans of the original text."""

    def __init__(self, text: str) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        words: list[str] = []
        for match in _WORD.finditer(text):
            folded = unicodedata.normalize("NFKC", match.group()).casefold()
            for word in _WORD.findall(folded):
                words.append(word)
                self._starts.append(match.start())
                self._ends.append(match.end())
        self._joined = " " + " ".join(words) + " "
        self._offsets: list[int] = []
        position = 1
        for word in words:
            self._offsets.append(position)
            position += len(word) + 1

    def find_all(self, fragment: str) -> list[tuple[int, int]]:
        """Every ``(start, end)`` span of the text whose words equal the fragment's."""
        words = _normalised_words(fragment)
        if not words:
            return []
        needle = " " + " ".join(words) + " "
        spans: list[tuple[int, int]] = []
        at = self._joined.find(needle)
        while at >= 0:
            first = bisect_right(self._offsets, at + 1) - 1
            last = first + len(words) - 1
            spans.append((self._starts[first], self._ends[last]))
            at = self._joined.find(needle, at + 1)
        return spans


def legalbench_set(
    documents: Mapping[str, ChunkedDocument], questions: Sequence[Mapping[str, str]]
) -> EvalSet:
    """Chunks of the knowledge-base documents; relevance from the clauses the answers quote.

    ``documents`` is keyed by ``source_key`` of the path under ``knowledge-base/``. A
    question's relevant chunks are those of its ``source_file`` that overlap a span quoted in
    its ``expected completion``. When no quote can be found in the document, every chunk of
    the document is relevant (the set's own, document-level judgement); ``notes`` counts
    both cases.
    """
    passages, by_document = _document_passages(documents, lambda name, chunk, pid: pid)
    locators = {
        name: {page.number: WordLocator(page.text) for page in document.parsed.pages}
        for name, document in documents.items()
    }
    queries: list[Query] = []
    notes = {"clause_level": 0, "document_level": 0}
    for index, question in enumerate(questions):
        name = source_key(question["source_file"])
        if name not in by_document:
            raise ValueError(f"question {index} names {name!r}, which is not in the corpus")
        spans = {
            (page, span)
            for fragment in quoted_fragments(question["expected completion"])
            for page, locator in locators[name].items()
            for span in locator.find_all(fragment)
        }
        relevant = {
            passage_id
            for passage_id, chunk in by_document[name]
            if any(_overlaps(chunk, page, span) for page, span in spans)
        }
        if relevant:
            notes["clause_level"] += 1
        else:
            notes["document_level"] += 1
            relevant = {passage_id for passage_id, _ in by_document[name]}
        queries.append(Query(f"legal-{index}", question["prompt"], frozenset(relevant)))
    return EvalSet("legalbench", tuple(passages), tuple(queries), notes)


def _overlaps(chunk: ChunkDraft, page: int | None, span: tuple[int, int]) -> bool:
    return chunk.page == page and chunk.char_start < span[1] and span[0] < chunk.char_end


# --- FinanceBench -------------------------------------------------------------------------


def financebench_set(
    documents: Mapping[str, ChunkedDocument], questions: Sequence[Mapping[str, Any]]
) -> EvalSet:
    """Chunks of the filings, judged by page: a chunk's unit is ``(document, page)``.

    ``documents`` is keyed by ``doc_name`` (the PDF's file name without ``.pdf``). Evidence
    pages are 0-based in the data and chunk pages 1-based, hence the ``+ 1``. Questions whose
    documents are missing are left out and counted in ``notes``.
    """
    passages, _ = _document_passages(documents, lambda name, chunk, pid: (name, chunk.page))
    pages_with_chunks = {passage.unit for passage in passages}
    queries: list[Query] = []
    notes = {"skipped_missing_document": 0, "evidence_pages_without_chunks": 0}
    for question in questions:
        pages = {
            (str(evidence["doc_name"]), int(evidence["evidence_page_num"]) + 1)
            for evidence in question["evidence"]
        }
        if any(name not in documents for name, _ in pages):
            notes["skipped_missing_document"] += 1
            continue
        notes["evidence_pages_without_chunks"] += len(pages - pages_with_chunks)
        queries.append(
            Query(str(question["financebench_id"]), question["question"], frozenset(pages))
        )
    return EvalSet("financebench", tuple(passages), tuple(queries), notes)
