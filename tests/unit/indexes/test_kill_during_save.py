"""Killing the process (kill -9) while it saves the index never loses a save it finished and
never leaves a half-written index: the next start loads the last complete one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assistant.index_sync import IndexSync
from assistant.settings import IndexSettings
from indexes.hybrid import HybridConfig, open_hybrid_index
from indexes.persist import MANIFEST_NAME, read_manifest
from indexes.protocols import IndexedChunk
from tests.unit.indexes.index_fakes import HashingEmbedder

pytestmark = pytest.mark.reliability(
    "faults",
    "kill -9 during an index save: mid-write, between the renames, 10 random moments",
)

ROOT = Path(__file__).resolve().parents[3]
BATCH = 40
PAUSED_SAVE = 3
"""The save during which a paused worker waits to be killed; saves 0 to 2 finish first."""

WORKER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    import indexes.bm25
    from assistant.index_sync import IndexSync
    from assistant.settings import IndexSettings
    from indexes.protocols import IndexedChunk
    from tests.unit.indexes.index_fakes import HashingEmbedder

    index_dir, phase, marker, acks = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    batch, paused_save = int(sys.argv[5]), int(sys.argv[6])
    saving = {"number": -1}

    def wait_here():
        if saving["number"] == paused_save:
            marker.touch()
            time.sleep(60)

    if phase == "writing":  # halfway through the BM25 half's files
        real_save_array, written = indexes.bm25.save_array, []
        def save_array(directory, name, array):
            real_save_array(directory, name, array)
            written.append(name)
            if len(written) % 10 == 5:
                wait_here()
        indexes.bm25.save_array = save_array
    elif phase == "swapping":  # old directory renamed away, new one not yet in place
        real_rename = os.rename
        def rename(source, target):
            real_rename(source, target)
            if str(target).endswith(".previous"):
                wait_here()
        os.rename = rename

    sync = IndexSync(index_dir=index_dir, settings=IndexSettings(), embedder=HashingEmbedder())
    with open(acks, "a", encoding="utf-8") as log:
        for number in range(10_000):
            first = number * batch
            sync.add([
                IndexedChunk(i, 1, f"clause {i} of the agreement, amount {i * 7} EUR")
                for i in range(first, first + batch)
            ])
            saving["number"] = number
            sync.commit()
            log.write(f"{number}\\n")
            log.flush()
            os.fsync(log.fileno())
    """
)


def _start_worker(tmp_path: Path, phase: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    index_dir, marker, acks = tmp_path / "indexes", tmp_path / "paused", tmp_path / "acks"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER,
            *map(str, (index_dir, phase, marker, acks, BATCH, PAUSED_SAVE)),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return worker, marker, acks


def _kill(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)


def _acknowledged(acks: Path) -> int:
    """Number of saves the worker saw finish."""
    lines = acks.read_text(encoding="utf-8").split() if acks.exists() else []
    return len(lines)


def _assert_whole_index(index_dir: Path, saves_done: int) -> None:
    """The index loads, holds every finished save, at most the one in flight, and both
    halves hold the same chunks."""
    index = open_hybrid_index(index_dir, HybridConfig(), HashingEmbedder())
    ids = index.chunk_ids()
    assert set(range(saves_done * BATCH)) <= ids, "a finished save was lost"
    assert ids <= set(range((saves_done + 1) * BATCH)), "the index holds unsaved chunks"
    assert len(ids) % BATCH == 0, "a save was half applied"
    manifest = read_manifest(index_dir, kind="hybrid", format_version=1)
    assert manifest["counts"] == {"bm25": len(ids), "dense": len(ids)}
    hits = index.search("clause 5 of the agreement", 5, None, mode="bm25")
    assert hits and hits[0].chunk_id == 5


def _assert_next_save_cleans_up(index_dir: Path) -> None:
    """A new process saves over what the killed one left, and no staging or backup remains."""
    sync = IndexSync(index_dir=index_dir, settings=IndexSettings(), embedder=HashingEmbedder())
    sync.add([IndexedChunk(10**6, 1, "a later chunk about indemnity")])
    sync.commit()
    leftovers = [p.name for p in index_dir.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert (index_dir / MANIFEST_NAME).is_file()


@pytest.mark.parametrize("phase", ["writing", "swapping"])
def test_kill_at_a_chosen_moment_of_a_save(tmp_path: Path, phase: str) -> None:
    worker, marker, acks = _start_worker(tmp_path, phase)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the worker never reached the save to interrupt"
    finally:
        _kill(worker)

    assert _acknowledged(acks) == PAUSED_SAVE
    stale = [p.name for p in tmp_path.iterdir() if ".staging-" in p.name or "previous" in p.name]
    assert stale, "the kill should have left the interrupted save's files behind"
    _assert_whole_index(tmp_path / "indexes", PAUSED_SAVE)
    _assert_next_save_cleans_up(tmp_path / "indexes")


def test_kill_at_random_moments_while_saving(tmp_path: Path) -> None:
    """Ten kills at random moments of a save loop, each followed by a restart that must load
    every finished save; the next worker continues the same index."""
    chooser = random.Random(20261123)
    for round_number in range(10):
        round_dir = tmp_path / f"round{round_number}"
        round_dir.mkdir()
        worker, _, acks = _start_worker(round_dir, "none")
        try:
            deadline = time.monotonic() + 60
            while _acknowledged(acks) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(chooser.uniform(0.0, 0.3))
        finally:
            _kill(worker)
        _assert_whole_index(round_dir / "indexes", _acknowledged(acks))
        _assert_next_save_cleans_up(round_dir / "indexes")
