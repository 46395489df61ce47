"""Per-collection fusion settings: how they resolve and how a search applies them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.settings import CollectionFusion, IndexSettings, Settings
from indexes.bm25 import BM25Index
from indexes.dense import DenseIndex
from indexes.hybrid import FusionConfig, HybridIndex
from indexes.protocols import IndexedChunk
from tests.unit.indexes.index_fakes import HashingEmbedder

SETTINGS = IndexSettings(
    fusion="convex",
    convex_alpha=0.6,
    candidates=20,
    collection_fusion={
        "filings": CollectionFusion(convex_alpha=0.2, candidates=100),
        "reports": CollectionFusion(convex_alpha=0.2, candidates=100),
        "contracts": CollectionFusion(fusion="rrf", rrf_k=10),
    },
)


def test_a_collection_overrides_only_the_fields_it_sets() -> None:
    assert FusionConfig.for_collection(SETTINGS, "filings") == FusionConfig(
        method="convex", convex_alpha=0.2, candidates=100
    )
    assert FusionConfig.for_collection(SETTINGS, "contracts") == FusionConfig(
        method="rrf", rrf_k=10, convex_alpha=0.6, candidates=20
    )
    assert FusionConfig.for_collection(SETTINGS, "clinical") == FusionConfig.from_settings(SETTINGS)


def test_several_collections_share_a_setting_only_when_all_agree() -> None:
    tuned = FusionConfig(method="convex", convex_alpha=0.2, candidates=100)
    default = FusionConfig.from_settings(SETTINGS)
    assert FusionConfig.for_collections(SETTINGS, ["filings"]) == tuned
    assert FusionConfig.for_collections(SETTINGS, ["filings", "reports"]) == tuned
    assert FusionConfig.for_collections(SETTINGS, ["filings", "contracts"]) == default
    assert FusionConfig.for_collections(SETTINGS, ["filings", "clinical"]) == default
    assert FusionConfig.for_collections(SETTINGS, []) == default


def test_collection_fusion_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX__COLLECTION_FUSION", '{"filings": {"convex_alpha": 0.3}}')
    settings = Settings()
    assert settings.index.collection_fusion == {"filings": CollectionFusion(convex_alpha=0.3)}
    assert FusionConfig.for_collection(settings.index, "filings").convex_alpha == 0.3


def test_out_of_range_collection_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        IndexSettings(collection_fusion={"x": CollectionFusion(convex_alpha=1.5)})
    with pytest.raises(ValidationError):
        IndexSettings.model_validate({"collection_fusion": {"x": {"candidates": 0}}})


def test_search_uses_the_fusion_it_is_given(embedder: HashingEmbedder) -> None:
    fillers = ["lease termination notice", "rent due monthly", "drug dose daily", "audit fee"]
    chunks = [
        IndexedChunk(1, 1, "dividend policy dividend payout dividend"),
        IndexedChunk(2, 1, "the board sets how much profit is paid to shareholders each year"),
        IndexedChunk(3, 1, "profit paid to shareholders as a dividend"),
        *(IndexedChunk(10 + n, 1, text) for n, text in enumerate(fillers)),
    ]
    index = HybridIndex(BM25Index(), DenseIndex(embedder), FusionConfig(method="rrf"))
    index.add(chunks)
    query = "dividend paid to shareholders"
    dense_only = FusionConfig(method="convex", convex_alpha=1.0)
    bm25_only = FusionConfig(method="convex", convex_alpha=0.0)
    dense = [hit.chunk_id for hit in index.search(query, 3, mode="dense")]
    bm25 = [hit.chunk_id for hit in index.search(query, 3, mode="bm25")]
    assert dense != bm25
    assert [hit.chunk_id for hit in index.search(query, 3, fusion=dense_only)] == dense
    assert [hit.chunk_id for hit in index.search(query, 2, fusion=bm25_only)] == bm25[:2]


def test_a_collection_may_turn_on_the_second_stage() -> None:
    settings = IndexSettings(
        second_stage_model="/models/all-mpnet-base-v2",
        second_stage_candidates=30,
        collection_fusion={"contracts": CollectionFusion(second_stage_weight=0.75)},
    )
    contracts = FusionConfig.for_collection(settings, "contracts")
    assert contracts.second_stage_weight == 0.75
    assert contracts.second_stage_candidates == 30
    assert FusionConfig.for_collection(settings, "filings").second_stage_weight == 0.0
    assert FusionConfig.for_collections(settings, ["contracts", "filings"]).second_stage_weight == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"second_stage_weight": 0.5},
        {"collection_fusion": {"contracts": {"second_stage_weight": 0.5}}},
    ],
)
def test_a_second_stage_weight_needs_a_model(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="second_stage_model"):
        IndexSettings.model_validate(changes)
    assert IndexSettings.model_validate({**changes, "second_stage_model": "/m"})
