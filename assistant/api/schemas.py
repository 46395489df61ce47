"""Request and response bodies of the REST API; they define its OpenAPI schema.

Response bodies are read from the product's own objects (``model_validate`` of a document,
a passage, an answer), field by field under the same names, so the API cannot drift from
them; a field that lives deeper in the object names its path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from assistant.api_tokens import MAX_NAME_CHARS
from assistant.ingestion.pipeline import Outcome
from assistant.reading.question import Operation
from assistant.storage.models import DocumentStatus, Right, Role

MAX_QUERY_CHARS = 2000
MAX_COLLECTIONS = 100
MAX_COLLECTION_CHARS = 200
MAX_TOKEN_DAYS = 3650
MAX_FILE_NAME_CHARS = 255
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
"""Above any page count a document may have (``ingest.max_pages``)."""
NO_NUL = r"^[^\x00]*$"
"""Text fields may hold anything but NUL, which databases do not store in text."""

CollectionName = Annotated[
    str, Field(min_length=1, max_length=MAX_COLLECTION_CHARS, pattern=NO_NUL)
]
CollectionNames = Annotated[list[CollectionName], Field(max_length=MAX_COLLECTIONS)] | None


class Strict(BaseModel):
    """A request body: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Derived(BaseModel):
    """A response body read from the attributes of the object it describes.

    An aliased field is read from its path in that object, or by its own name from a body
    that was already rendered.
    """

    model_config = ConfigDict(from_attributes=True, validate_by_name=True, validate_by_alias=True)


def _chunk(name: str) -> AliasPath:
    """Where a retrieved passage (``assistant.passages.Passage``) keeps its chunk's ``name``."""
    return AliasPath("chunk", name)


def _cell(name: str) -> AliasPath:
    """Where a cell an answer cites (``CitedCell``) keeps the table cell's ``name``."""
    return AliasPath("cell", name)


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong, fit to show to a person.")


class Health(BaseModel):
    status: Literal["ok"]
    loading: str | None = Field(
        default=None,
        description="What the server is still loading after its start (the models), left out "
        "once it is ready; a question asked meanwhile waits for it.",
    )


class Me(Derived):
    username: str
    role: Role
    created_at: datetime


class CollectionOut(BaseModel):
    name: str
    right: Right = Field(description="What the caller can do there: read, or also edit.")
    can_grant: bool
    documents: int = Field(ge=0)


class CollectionCreate(Strict):
    name: CollectionName


class DocumentOut(Derived):
    id: int
    collection: str
    file_name: str
    media_type: str
    size_bytes: int
    version: int
    status: DocumentStatus = Field(
        description="`indexing`: stored, its passages not searchable yet (uploads through "
        "this API answer once theirs are); `ready`: searchable; `failed`: see `error`."
    )
    error: str | None
    pages: int | None
    chunks: int


class ChunkOut(Derived):
    chunk_id: int
    text: str
    page: int | None = Field(description="1-based page of paged formats, else null.")
    page_label: str | None = Field(
        description="The number printed on the page where it differs from `page`, else null."
    )
    char_start: int
    char_end: int
    heading_path: str
    is_table: bool


class DocumentDetail(BaseModel):
    document: DocumentOut
    chunks: list[ChunkOut]


class FileOutcome(Derived):
    file_name: str
    outcome: Outcome
    document_id: int | None
    chunks: int
    error: str | None
    error_code: str | None


class UploadOut(BaseModel):
    collection: str
    files: list[FileOutcome]


class Deleted(BaseModel):
    collection: str
    file_name: str
    chunks_removed: int


class SearchRequest(Strict):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NO_NUL)
    collections: CollectionNames = Field(
        default=None,
        description="Collections to search; all readable ones when omitted. Naming one the "
        "caller cannot read answers 404, as for a missing one.",
    )
    k: int = Field(default=10, ge=1, le=50)
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"


class PassageOut(Derived):
    """A retrieved passage: its chunk, where it comes from, and its retrieval score."""

    chunk_id: int = Field(validation_alias=_chunk("chunk_id"))
    document_id: int = Field(validation_alias=_chunk("document_id"))
    file_name: str = Field(validation_alias=_chunk("file_name"))
    collection: str = Field(validation_alias=_chunk("collection"))
    page: int | None = Field(validation_alias=_chunk("page"))
    page_label: str | None = Field(
        validation_alias=_chunk("page_label"),
        description="The number printed on the page where it differs from `page`, else null.",
    )
    char_start: int = Field(validation_alias=_chunk("char_start"))
    char_end: int = Field(validation_alias=_chunk("char_end"))
    heading_path: str = Field(validation_alias=_chunk("heading_path"))
    text: str = Field(validation_alias=_chunk("text"))
    score: float = Field(description="Retrieval score; higher is better.")


class SearchOut(BaseModel):
    passages: list[PassageOut]


class AskRequest(Strict):
    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NO_NUL)
    collections: CollectionNames = Field(
        default=None,
        description="Collections to answer from; all readable ones when omitted. Naming one the "
        "caller cannot read answers 404, as for a missing one.",
    )
    stream: bool = Field(
        default=False,
        description="Stream the answer: NDJSON (or server-sent events when the Accept header "
        "asks for text/event-stream) of token events carrying the draft as it is written, then "
        "one answer event with the checked answer.",
    )


class SentenceOut(Derived):
    text: str
    citations: list[int] = Field(description="Numbers of the passages the sentence cites.")
    is_abstention: bool


class SourceOut(PassageOut):
    number: int = Field(description="The passage's number in citations, from 1.")
    cited: bool


class TimingsOut(Derived):
    retrieval_s: float
    first_token_s: float
    generation_s: float
    total_s: float
    tokens_per_s: float


class SpanOut(Derived):
    start: int
    end: int


class SentenceCheckOut(Derived):
    support: float = Field(description="How likely the passages support the sentence, 0 to 1.")
    supported: bool
    unsupported: list[SpanOut] = Field(
        description="Character ranges of the sentence found in no passage."
    )
    reasons: list[str]
    found_in: list[int] = Field(
        description="For a supported sentence that cites nothing: the number of the passage "
        "where the check found it."
    )


class CheckOut(Derived):
    confidence: float | None = Field(
        description="Calibrated probability that the answer is right; null when the model "
        "abstained by itself."
    )
    threshold: float
    withheld: bool = Field(
        description="The draft fell below the threshold and was replaced by an abstention."
    )
    sentences: list[SentenceCheckOut] = Field(
        description="One per answer sentence; empty when withheld or abstained."
    )
    seconds: float
    removed: list[str] = Field(
        description="Sentences taken out of the draft because they stated a figure that is "
        "neither in a passage nor computed from passages, each with the reason."
    )
    reasons: list[str] = Field(
        description="The two or three strongest reasons behind the confidence, in words, most "
        "important first; for a withheld answer, why it was withheld."
    )


class CellOut(Derived):
    passage: int = Field(description="Number of the passage whose table holds the cell.")
    row_label: str = Field(
        validation_alias=_cell("row_label"),
        description="The label of the cell's row (with its section, if any).",
    )
    column_header: str = Field(
        validation_alias=_cell("column_header"), description="The header of the cell's column."
    )
    text: str = Field(
        validation_alias=_cell("text"), description="The cell as the table writes it."
    )


class ComputationOut(Derived):
    operation: Operation = Field(
        description="What the answer does with the cells: copies one (a lookup, the largest or "
        "smallest period) or computes from them."
    )
    expression: str | None = Field(
        description="The formula evaluated exactly over the cells' values; null when the answer "
        "copies a cell rather than computing from cells."
    )
    value: str = Field(description="The result as the answer states it, with unit and scale.")
    cells: list[CellOut] = Field(
        description="The cells used: in the order the question names them, in period "
        "order for a formula."
    )


class AnswerOut(Derived):
    question: str
    text: str
    abstained: bool = Field(description="True when the documents do not hold the answer.")
    sentences: list[SentenceOut]
    passages: list[SourceOut] = Field(description="The passages the answer was written from.")
    invalid_citations: list[int]
    timings: TimingsOut
    check: CheckOut | None = Field(
        description="What checking the answer against the passages found; null when the "
        "server does not check answers."
    )
    computation: ComputationOut | None = Field(
        validation_alias="reading",
        description="How the answer was read from table cells, and computed from them, when it "
        "was; null when the answer was written by the language model.",
    )


class TokenCreate(Strict):
    name: str = Field(default="", max_length=MAX_NAME_CHARS, pattern=NO_NUL)
    days: int | None = Field(
        default=None, ge=1, le=MAX_TOKEN_DAYS, description="Days of validity; none: no expiry."
    )


class TokenOut(Derived):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool


class IssuedTokenOut(Derived):
    token: str = Field(description="The secret; shown this once only.")
    info: TokenOut
