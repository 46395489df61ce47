"""Path parameters shared by the routes, bounded so that no value reaches the database that it
cannot store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from assistant.api.schemas import (
    MAX_COLLECTION_CHARS,
    MAX_FILE_NAME_CHARS,
    MAX_ID,
    MAX_PAGE,
    NO_NUL,
)

CollectionPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_COLLECTION_CHARS,
        pattern=NO_NUL,
        description="Collection name.",
    ),
]
FileNamePath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_FILE_NAME_CHARS,
        pattern=NO_NUL,
        description="The document's file name.",
    ),
]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
PageNumberPath = Annotated[
    int, Path(ge=1, le=MAX_PAGE, description="1-based page number of the document.")
]
