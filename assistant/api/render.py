"""The service's results as API response bodies."""

from __future__ import annotations

from assistant.answering import Answer
from assistant.api.schemas import (
    AnswerOut,
    CheckOut,
    ChunkOut,
    DocumentOut,
    FileOutcome,
    PassageOut,
    SentenceCheckOut,
    SentenceOut,
    SourceOut,
    SpanOut,
    TimingsOut,
    TokenOut,
)
from assistant.api_tokens import TokenInfo
from assistant.ingestion.pipeline import FileResult
from assistant.passages import ChunkView, Passage
from assistant.service import DocumentInfo
from assistant.verdict import AnswerCheck


def document(info: DocumentInfo) -> DocumentOut:
    return DocumentOut(
        id=info.id,
        collection=info.collection,
        file_name=info.file_name,
        media_type=info.media_type,
        size_bytes=info.size_bytes,
        version=info.version,
        status=info.status,
        error=info.error,
        pages=info.pages,
        chunks=info.chunks,
    )


def chunk(view: ChunkView) -> ChunkOut:
    return ChunkOut(
        chunk_id=view.chunk_id,
        text=view.text,
        page=view.page,
        char_start=view.char_start,
        char_end=view.char_end,
        heading_path=view.heading_path,
        is_table=view.is_table,
    )


def _passage_fields(passage: Passage) -> dict[str, object]:
    c = passage.chunk
    return {
        "chunk_id": c.chunk_id,
        "document_id": c.document_id,
        "file_name": c.file_name,
        "collection": c.collection,
        "page": c.page,
        "char_start": c.char_start,
        "char_end": c.char_end,
        "heading_path": c.heading_path,
        "text": c.text,
        "score": passage.score,
    }


def passage(found: Passage) -> PassageOut:
    return PassageOut.model_validate(_passage_fields(found))


def answer(result: Answer) -> AnswerOut:
    cited = {n for s in result.sentences for n in s.citations}
    t = result.timings
    return AnswerOut(
        question=result.question,
        text=result.text,
        abstained=result.abstained,
        sentences=[
            SentenceOut(text=s.text, citations=list(s.citations), is_abstention=s.is_abstention)
            for s in result.sentences
        ],
        passages=[
            SourceOut.model_validate({**_passage_fields(p), "number": n, "cited": n in cited})
            for n, p in enumerate(result.passages, start=1)
        ],
        invalid_citations=list(result.invalid_citations),
        timings=TimingsOut(
            retrieval_s=t.retrieval_s,
            first_token_s=t.first_token_s,
            generation_s=t.generation_s,
            total_s=t.total_s,
            tokens_per_s=t.tokens_per_s,
        ),
        check=check(result.check) if result.check is not None else None,
    )


def check(verdict: AnswerCheck) -> CheckOut:
    return CheckOut(
        confidence=verdict.confidence,
        threshold=verdict.threshold,
        withheld=verdict.withheld,
        sentences=[
            SentenceCheckOut(
                support=s.support,
                supported=s.supported,
                unsupported=[SpanOut(start=u.start, end=u.end) for u in s.unsupported],
                reasons=list(s.reasons),
                found_in=list(s.found_in),
            )
            for s in verdict.sentences
        ],
        seconds=verdict.seconds,
    )


def file_outcome(result: FileResult, file_name: str) -> FileOutcome:
    return FileOutcome(
        file_name=file_name,
        outcome=result.outcome,
        document_id=result.document_id,
        chunks=result.chunks,
        error=result.error,
        error_code=result.error_code,
    )


def token(info: TokenInfo) -> TokenOut:
    return TokenOut(
        id=info.id,
        name=info.name,
        prefix=info.prefix,
        created_at=info.created_at,
        expires_at=info.expires_at,
        revoked_at=info.revoked_at,
        active=info.active,
    )
