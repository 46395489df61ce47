"""Settings a collection may set for itself, resolved for the collections one question reads.

A collection's own value replaces the installation's for that collection alone. A question
may read several collections at once, so each setting has one rule for combining them, and
every caller goes through this module:

* **Fusion** (``index.collection_fusion``: method, ``rrf_k``, ``convex_alpha``,
  ``candidates``, ``second_stage_weight``): the collections' setting when they all resolve to
  the same one, else the index-wide setting. Scores fused in different ways cannot be ranked
  in one list, and no collection's setting is more right than another's for a mixed list.
* **Answer threshold** (``guard.collection_thresholds``): the highest of the installation's
  threshold and those of the collections asked. A collection's threshold can only raise the
  bar: an answer drawn from a collection must meet that collection's bar.
* **Keeping originals** (``ingest.collection_keep_originals``): a document belongs to one
  collection, so its collection's own value, else the installation's ``keep_originals``.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.settings import GuardSettings, IndexSettings, IngestSettings
from indexes.hybrid import FusionConfig


def index_fusion(settings: IndexSettings) -> FusionConfig:
    """The index-wide fusion, which a collection without its own setting uses."""
    return FusionConfig(
        method=settings.fusion,
        rrf_k=settings.rrf_k,
        convex_alpha=settings.convex_alpha,
        candidates=settings.candidates,
        second_stage_weight=settings.second_stage_weight,
        second_stage_candidates=settings.second_stage_candidates,
    )


def collection_fusion(settings: IndexSettings, name: str) -> FusionConfig:
    """The fusion of collection ``name``: the index-wide one with the collection's own values
    (if any) in place."""
    default = index_fusion(settings)
    own = settings.collection_fusion.get(name)
    if own is None:
        return default
    return FusionConfig(
        method=default.method if own.fusion is None else own.fusion,
        rrf_k=default.rrf_k if own.rrf_k is None else own.rrf_k,
        convex_alpha=default.convex_alpha if own.convex_alpha is None else own.convex_alpha,
        candidates=default.candidates if own.candidates is None else own.candidates,
        second_stage_weight=default.second_stage_weight
        if own.second_stage_weight is None
        else own.second_stage_weight,
        second_stage_candidates=default.second_stage_candidates,
    )


def search_fusion(settings: IndexSettings, names: Iterable[str]) -> FusionConfig:
    """The fusion of a search over collections ``names``: theirs when they all resolve to the
    same one, else the index-wide one."""
    found = {collection_fusion(settings, name) for name in names}
    return found.pop() if len(found) == 1 else index_fusion(settings)


def answer_threshold(settings: GuardSettings, names: Iterable[str]) -> float:
    """The confidence an answer over collections ``names`` needs to be shown: the highest of
    the installation's threshold and those the collections set."""
    own = settings.collection_thresholds
    return max([settings.threshold, *(own[name] for name in names if name in own)])


def keep_originals(settings: IngestSettings, name: str) -> bool:
    """Whether the original files of collection ``name`` may be kept (else only the images of
    their pages are)."""
    return settings.collection_keep_originals.get(name, settings.keep_originals)
