"""The upload panel's row for a file: its outcome, stage, counts, share done and time left."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingestion.progress import FileProgress, Stage
from ui.jobs import FileState, FileStatus
from ui.views.documents import file_row, time_left

BIG = Path("annual-report.pdf")


def test_a_file_being_embedded_shows_its_counts_share_and_time_left() -> None:
    progress = FileProgress(BIG, Stage.EMBEDDING, 260, 260, 640, 1427, seconds_left=130.0)
    row = file_row(FileStatus(BIG.name, FileState.PROCESSING, progress=progress))

    assert row == {
        "file": BIG.name,
        "status": "processing",
        "stage": "embedding",
        "pages": "260 of 260",
        "chunks": "640 of 1427",
        "progress": pytest.approx(640 / 1427),
        "time left": "about 2 min",
        "error": "",
    }


def test_a_file_being_read_shows_its_pages() -> None:
    progress = FileProgress(BIG, Stage.PARSING, 120, 260, seconds_left=20.4)
    row = file_row(FileStatus(BIG.name, FileState.PROCESSING, progress=progress))

    assert (row["stage"], row["pages"], row["chunks"]) == ("parsing", "120 of 260", "")
    assert row["time left"] == "about 20 s"


def test_a_stored_file_waits_indexed_until_the_index_is_saved() -> None:
    progress = FileProgress(BIG, Stage.INDEXED, 260, 260, 1427, 1427)
    row = file_row(FileStatus(BIG.name, FileState.ADDED, chunks=1427, progress=progress))

    assert (row["status"], row["stage"], row["progress"], row["time left"]) == (
        "added",
        "indexed",
        1.0,
        "",
    )


def test_a_queued_or_unchanged_file_has_no_stage() -> None:
    queued = file_row(FileStatus("later.txt"))
    unchanged = file_row(FileStatus("same.txt", FileState.UNCHANGED))

    assert (queued["stage"], queued["progress"]) == ("", 0.0)
    assert (unchanged["stage"], unchanged["progress"]) == ("", 1.0)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, ""), (0.2, "about 1 s"), (59.4, "about 59 s"), (150, "about 2 min")],
)
def test_time_left_reads_as_a_person_says_it(seconds: float | None, shown: str) -> None:
    assert time_left(seconds) == shown
