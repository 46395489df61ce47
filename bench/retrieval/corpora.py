"""Reading the four evaluation sets from the data folder, parsed and chunked like the product.

The document sets go through the product's own parsers and chunker with the ingest settings,
so the benchmark measures retrieval over the chunks users would actually get.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.settings import IngestSettings
from bench.retrieval.qrels import (
    ChunkedDocument,
    EvalSet,
    financebench_set,
    legalbench_set,
    pubmedqa_set,
    source_key,
    tatqa_set,
)

SET_NAMES = ("tatqa", "pubmedqa", "legalbench", "financebench")
LEGAL_TASKS = ("contractnli", "cuad", "maud", "privacy_qa")

Chunker = Callable[[Path], ChunkedDocument]


def project_chunker(settings: IngestSettings) -> Chunker:
    """Parse a file and chunk it as ingestion does, with the limits and chunk sizes of
    ``settings`` and the embedding model's own token counter."""
    from assistant.ingestion.steps import parse_limits
    from ingest.tokens import default_counter

    limits = parse_limits(settings)
    counter = default_counter(None)

    def chunk(path: Path) -> ChunkedDocument:
        from ingest.chunking import chunk_document
        from ingest.parsers import parse_file

        parsed = parse_file(path, limits=limits)
        chunks = chunk_document(
            parsed,
            max_tokens=settings.chunk_tokens,
            overlap_tokens=settings.chunk_overlap_tokens,
            count_tokens=counter,
        )
        return ChunkedDocument(path.name, parsed, tuple(chunks))

    return chunk


def load_set(name: str, data_dir: Path, chunker: Chunker) -> EvalSet:
    """The set ``name`` (one of ``SET_NAMES``) from the data folder."""
    if name == "tatqa":
        return tatqa_set(_read_json(data_dir / "finance" / "tatqa_dev.json"))
    if name == "pubmedqa":
        return pubmedqa_set(_read_json(data_dir / "medical" / "pubmedqa_dev.json"))
    if name == "legalbench":
        return _legalbench(data_dir / "legal" / "legalbench_rag_subset", chunker)
    if name == "financebench":
        return _financebench(data_dir / "finance" / "financebench", chunker)
    raise ValueError(f"unknown set {name!r}; choose from {', '.join(SET_NAMES)}")


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _legalbench(folder: Path, chunker: Chunker) -> EvalSet:
    base = folder / "knowledge-base"
    documents = {
        source_key(path.relative_to(base).as_posix()): _chunked(path, chunker)
        for path in sorted(base.rglob("*.txt"))
    }
    questions: list[dict[str, str]] = []
    for task in LEGAL_TASKS:
        with (folder / f"{task}.csv").open(encoding="utf-8", newline="") as handle:
            questions.extend(csv.DictReader(handle))
    return legalbench_set(documents, questions)


def _financebench(folder: Path, chunker: Chunker) -> EvalSet:
    documents = {
        path.stem: _chunked(path, chunker) for path in sorted((folder / "pdfs").glob("*.pdf"))
    }
    with (folder / "questions_dev.jsonl").open(encoding="utf-8") as handle:
        questions = [json.loads(line) for line in handle if line.strip()]
    return financebench_set(documents, questions)


def _chunked(path: Path, chunker: Chunker) -> ChunkedDocument:
    print(f"  parsing {path.name}", file=sys.stderr, flush=True)
    return chunker(path)
