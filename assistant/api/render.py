"""The service's results as API response bodies, where a body holds more than the object it
is read from: an answer numbers its passages and says which ones it cites, and an upload's
outcome names the file as it was sent."""

from __future__ import annotations

from assistant.answering import Answer
from assistant.api.schemas import AnswerOut, FileOutcome, PassageOut, SourceOut
from assistant.ingestion.pipeline import FileResult


def answer(result: Answer) -> AnswerOut:
    cited = {n for s in result.sentences for n in s.citations}
    sources = [
        SourceOut(**PassageOut.model_validate(p).model_dump(), number=n, cited=n in cited)
        for n, p in enumerate(result.passages, start=1)
    ]
    return AnswerOut.model_validate({**vars(result), "passages": sources})


def file_outcome(result: FileResult, file_name: str) -> FileOutcome:
    return FileOutcome.model_validate({**vars(result), "file_name": file_name})
