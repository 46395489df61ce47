"""Cluster ingestion on a local two-CPU Ray cluster, against the single-machine pipeline.

The parsers and chunker are the real ones; embeddings come from the model-free hashing
embedder, except in the one test marked ``integration`` that runs MiniLM end to end through
the command line.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import ray
from typer.testing import CliRunner

from assistant.ingestion.pipeline import FailedFile, Outcome, PreparedFile
from assistant.ingestion.ray_pipeline import (
    WORKER_LOST,
    PrecomputedEmbedder,
    RayIngestion,
    RayOptions,
    RayPreparer,
    ray_connection,
)
from assistant.ingestion.steps import FileSteps
from assistant.service import Assistant
from assistant.settings import CollectionFusion, IndexSettings, Settings, get_settings
from ingest.types import PageProgress, ParsedDocument
from tests.unit.indexes.index_fakes import HashingEmbedder, KeywordEmbedder

pytestmark = pytest.mark.ray

KNOWN_PASSAGE = "The warranty period for the turbine gearbox is eighteen months."
TWO_WORKERS = RayOptions(workers=2, cpus_per_worker=0.5, parse_cpus=1, files_per_batch=2)


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


@pytest.fixture(autouse=True)
def _no_answer_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingestion never answers questions; keep the answer check's models out of it."""
    monkeypatch.setenv("ASSISTANT_GUARD__ENABLED", "false")


@pytest.fixture
def corpus(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "corpus"
    folder.mkdir()
    files = {
        "manual.md": "# Turbine manual\n\n## Gearbox\n\n"
        + KNOWN_PASSAGE
        + "\n\n"
        + "\n\n".join(f"Gearbox check {i}: torque within limits at step {i}." for i in range(150))
        + "\n\n## Blades\n\nBlades are inspected for cracks every spring.\n",
        "notes.txt": "Pump notes.\n\n"
        + "\n\n".join(f"Pump {i} needs oil change after {i * 100} hours." for i in range(100)),
        "safety.html": "<html><head><title>Site safety</title></head><body><h1>Safety</h1>"
        "<p>Wear a helmet on site at all times.</p><h2>Ladders</h2>"
        "<p>Inspect every ladder before climbing it.</p></body></html>",
        "empty.txt": "",
    }
    paths = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    broken = folder / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a real PDF body")
    return sorted([*paths, broken])


def chunks_by_file(service: Assistant) -> dict[str, list[tuple[object, ...]]]:
    return {
        doc.file_name: [
            (c.text, c.page, c.char_start, c.char_end, c.heading_path, c.is_table)
            for c in service.chunks_of(doc.id)
        ]
        for doc in service.documents()
    }


def test_cluster_ingestion_matches_single_machine_is_idempotent_and_replaces(
    cluster: None, corpus: list[Path], tmp_path: Path
) -> None:
    single = Assistant(Settings(data_dir=tmp_path / "single"), embedder=HashingEmbedder())
    single.ingest(corpus, collection="plant")

    ingestion = RayIngestion(
        Settings(data_dir=tmp_path / "ray"), TWO_WORKERS, embedder_factory=HashingEmbedder
    )
    first = ingestion.run(corpus, collection="plant")
    again = ingestion.run(corpus, collection="plant")

    outcomes = {r.path.name: r for r in first.results}
    assert [r.path for r in first.results] == corpus
    assert outcomes["manual.md"].outcome == Outcome.ADDED
    assert outcomes["manual.md"].chunks > 1
    assert outcomes["broken.pdf"].outcome == Outcome.FAILED
    assert outcomes["broken.pdf"].error_code == "corrupt_file"
    assert outcomes["empty.txt"].error_code == "empty_document"
    assert ingestion.vectors.misses == 0, "every vector must come from the cluster"

    served = Assistant(Settings(data_dir=tmp_path / "ray"), embedder=HashingEmbedder())
    assert chunks_by_file(served) == chunks_by_file(single)
    assert sum(len(c) for c in chunks_by_file(served).values()) > 10
    stored = {d.file_name: d for d in served.documents()}
    assert stored["broken.pdf"].status == "failed"
    assert "could not be read as a PDF" in (stored["broken.pdf"].error or "")

    assert {r.path.name: r.outcome for r in again.results} == {
        "broken.pdf": Outcome.FAILED,
        "empty.txt": Outcome.FAILED,
        "manual.md": Outcome.UNCHANGED,
        "notes.txt": Outcome.UNCHANGED,
        "safety.html": Outcome.UNCHANGED,
    }
    assert chunks_by_file(served) == chunks_by_file(single)
    assert served.check().consistent

    for query in ("gearbox warranty months", "oil change hours", "helmet"):
        for mode in ("bm25", "dense", "hybrid"):
            got = served.search(query, collections=["plant"], k=5, mode=mode)
            want = single.search(query, collections=["plant"], k=5, mode=mode)
            assert [(p.chunk.file_name, p.chunk.char_start) for p in got] == [
                (p.chunk.file_name, p.chunk.char_start) for p in want
            ]
            assert [p.score for p in got] == pytest.approx([p.score for p in want], abs=1e-5)
    top = served.search("turbine gearbox warranty period", collections=["plant"], k=1)
    assert KNOWN_PASSAGE in top[0].chunk.text

    notes = next(p for p in corpus if p.name == "notes.txt")
    notes.write_text("Pumps were replaced by sealed units that need no oil.", encoding="utf-8")
    changed = ingestion.run([notes], collection="plant")
    assert changed.results[0].outcome == Outcome.REPLACED
    doc = next(d for d in served.documents() if d.file_name == "notes.txt")
    assert doc.version == 2
    assert [c.text for c in served.chunks_of(doc.id)] == [notes.read_text(encoding="utf-8")]
    assert served.check().consistent


def test_the_second_stage_is_embedded_on_the_cluster(
    cluster: None, corpus: list[Path], tmp_path: Path
) -> None:
    index = IndexSettings(
        second_stage_model="keyword-test",
        collection_fusion={"plant": CollectionFusion(second_stage_weight=1.0)},
    )
    settings = Settings(data_dir=tmp_path / "ray", index=index)
    ingestion = RayIngestion(
        settings,
        TWO_WORKERS,
        embedder_factory=HashingEmbedder,
        second_embedder_factory=partial(KeywordEmbedder, "pump"),
    )

    report = ingestion.run(corpus, collection="plant")

    assert sum(r.chunks for r in report.results) > 10
    assert ingestion.second_vectors is not None
    assert (ingestion.vectors.misses, ingestion.second_vectors.misses) == (0, 0)
    served = Assistant(
        settings, embedder=HashingEmbedder(), second_embedder=KeywordEmbedder("pump")
    )
    assert served.check().consistent  # every chunk is in the second part too
    query = "turbine gearbox warranty period eighteen months pump"
    (first_stage,) = served.search(query, collections=["plant"], k=1, mode="bm25")
    (second_stage,) = served.search(query, collections=["plant"], k=1)
    assert KNOWN_PASSAGE in first_stage.chunk.text
    assert "Pump" in second_stage.chunk.text  # ranked by the second model's vectors


def crash_on_doomed(path: Path, on_page: PageProgress | None = None) -> tuple[str, ParsedDocument]:
    """A parser that kills its worker process on one file, as a native parser crash would."""
    if path.name.startswith("doomed"):
        os._exit(3)
    return FileSteps.from_settings(Settings()).parse(path, on_page)


def test_a_file_that_kills_its_worker_fails_alone(cluster: None, tmp_path: Path) -> None:
    paths = []
    for name in ("a.txt", "doomed.txt", "b.txt"):
        paths.append(tmp_path / name)
        paths[-1].write_text(f"Text of {name} about valves.", encoding="utf-8")
    steps = FileSteps.from_settings(Settings())
    vectors = PrecomputedEmbedder(HashingEmbedder())
    preparer = RayPreparer(
        parse=crash_on_doomed,
        chunker=steps.chunk,
        embedder_factories=[HashingEmbedder],
        vectors=[vectors],
        options=dataclasses.replace(TWO_WORKERS, parse_retries=0),
        workers=1,
    )

    results = {item.path.name: item for item in preparer(paths)}

    assert isinstance(results["a.txt"], PreparedFile)
    assert isinstance(results["b.txt"], PreparedFile)
    lost = results["doomed.txt"]
    assert isinstance(lost, FailedFile) and lost.error_code == WORKER_LOST


def test_too_many_workers_for_the_cluster_is_refused(cluster: None, tmp_path: Path) -> None:
    ingestion = RayIngestion(
        Settings(data_dir=tmp_path / "ray"), RayOptions(workers=2), embedder_factory=HashingEmbedder
    )
    with pytest.raises(ValueError, match="fewer workers"):
        ingestion.run([tmp_path / "any.txt"], collection="plant")


def test_connection_leaves_an_existing_session_open(cluster: None) -> None:
    with ray_connection(RayOptions(address="auto")):
        assert ray.is_initialized()
    assert ray.is_initialized()


@pytest.mark.integration
def test_command_line_ingests_on_the_cluster_with_minilm(
    cluster: None, corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.cli import app

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        folder = str(corpus[0].parent)
        ingest = runner.invoke(app, ["ingest-ray", folder, "-c", "plant", "--workers", "1"])
        search = runner.invoke(
            app, ["search", "how long is the gearbox guaranteed", "-c", "plant", "-k", "2"]
        )
        check = runner.invoke(app, ["check"])
    finally:
        get_settings.cache_clear()

    assert ingest.exit_code == 1, ingest.output  # the broken PDF fails, the rest is stored
    assert "added manual.md" in ingest.output
    assert "broken.pdf" in ingest.output
    assert "eighteen months" in search.output
    assert check.exit_code == 0 and "storage and indexes agree" in check.output
