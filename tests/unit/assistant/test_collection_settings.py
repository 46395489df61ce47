"""Per-collection settings resolved for the collections a question reads."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.collection_settings import (
    answer_threshold,
    collection_fusion,
    index_fusion,
    search_fusion,
)
from assistant.settings import CollectionFusion, GuardSettings, IndexSettings, Settings
from indexes.hybrid import FusionConfig

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
    assert collection_fusion(SETTINGS, "filings") == FusionConfig(
        method="convex", convex_alpha=0.2, candidates=100
    )
    assert collection_fusion(SETTINGS, "contracts") == FusionConfig(
        method="rrf", rrf_k=10, convex_alpha=0.6, candidates=20
    )
    assert collection_fusion(SETTINGS, "clinical") == index_fusion(SETTINGS)


def test_several_collections_share_a_setting_only_when_all_agree() -> None:
    tuned = FusionConfig(method="convex", convex_alpha=0.2, candidates=100)
    default = index_fusion(SETTINGS)
    assert search_fusion(SETTINGS, ["filings"]) == tuned
    assert search_fusion(SETTINGS, ["filings", "reports"]) == tuned
    assert search_fusion(SETTINGS, ["filings", "contracts"]) == default
    assert search_fusion(SETTINGS, ["filings", "clinical"]) == default
    assert search_fusion(SETTINGS, []) == default


def test_collection_fusion_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX__COLLECTION_FUSION", '{"filings": {"convex_alpha": 0.3}}')
    settings = Settings()
    assert settings.index.collection_fusion == {"filings": CollectionFusion(convex_alpha=0.3)}
    assert collection_fusion(settings.index, "filings").convex_alpha == 0.3


def test_out_of_range_collection_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        IndexSettings(collection_fusion={"x": CollectionFusion(convex_alpha=1.5)})
    with pytest.raises(ValidationError):
        IndexSettings.model_validate({"collection_fusion": {"x": {"candidates": 0}}})


def test_a_collection_may_turn_on_the_second_stage() -> None:
    settings = IndexSettings(
        second_stage_model="/models/all-mpnet-base-v2",
        second_stage_candidates=30,
        collection_fusion={"contracts": CollectionFusion(second_stage_weight=0.75)},
    )
    contracts = collection_fusion(settings, "contracts")
    assert contracts.second_stage_weight == 0.75
    assert contracts.second_stage_candidates == 30
    assert collection_fusion(settings, "filings").second_stage_weight == 0.0
    assert search_fusion(settings, ["contracts", "filings"]).second_stage_weight == 0


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


def test_an_answer_threshold_takes_the_highest_that_applies() -> None:
    settings = GuardSettings(threshold=0.5, collection_thresholds={"a": 0.7, "b": 0.3})
    assert answer_threshold(settings, ["b"]) == 0.5
    assert answer_threshold(settings, ["a", "b"]) == 0.7
    assert answer_threshold(settings, ["c"]) == 0.5
    assert answer_threshold(settings, []) == 0.5
