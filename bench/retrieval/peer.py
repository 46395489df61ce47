"""txtai as the reference hybrid retriever, on the same passages and the same embedding model.

txtai's hybrid mode combines its own BM25 scoring with dense vectors from a
sentence-transformers model. It is configured as a user would start: the local
all-MiniLM-L6-v2 copy, ``hybrid=True``, no stored content, everything else default. Its
keyword mode (``keyword=True``) is the same BM25 alone, which tells its tokenizer and BM25
apart from its fusion. A built index is saved in the cache directory, keyed by a hash of the
passages, the mode and the txtai version, so a rerun only searches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.retrieval.qrels import Passage, Query


def txtai_rankings(
    passages: Sequence[Passage],
    queries: Sequence[Query],
    depth: int,
    model_path: Path,
    cache_dir: Path,
    keyword_only: bool = False,
) -> dict[str, list[int]]:
    """Passage ids ranked by txtai's hybrid search, or by its BM25 alone with
    ``keyword_only``, for each query (``depth`` at most), by query id."""
    from txtai import Embeddings

    mode = "\nkeyword" if keyword_only else ""
    digest = hashlib.sha256(f"{version('txtai')}\n{model_path}{mode}".encode())
    for passage in passages:
        digest.update(f"{passage.passage_id}\t{passage.text}\0".encode())
    saved = cache_dir / "txtai" / digest.hexdigest()[:24]
    embeddings: Any = (
        Embeddings(keyword=True, content=False)
        if keyword_only
        else Embeddings(path=str(model_path), hybrid=True, content=False)
    )
    if saved.is_dir():
        embeddings.load(str(saved))
    else:
        embeddings.index([(passage.passage_id, passage.text, None) for passage in passages])
        saved.parent.mkdir(parents=True, exist_ok=True)
        embeddings.save(str(saved))
    results = embeddings.batchsearch([query.text for query in queries], depth)
    return {
        query.query_id: [int(uid) for uid, _ in hits]
        for query, hits in zip(queries, results, strict=True)
    }
