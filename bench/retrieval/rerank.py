"""Pure parts of the second-stage study (``bench.rerank_eval``): choosing a collection's
weight. The re-scoring itself is the product's
(``indexes.second_stage.rescore``), and so is the model's unpacking
(``indexes.mpnet_package``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

from bench.retrieval.significance import gain_p_value

Setting = TypeVar("Setting", bound=Hashable)


def choose_setting(
    dev: Mapping[Setting, Sequence[float]], without: Sequence[float], level: float
) -> Setting | None:
    """A collection's own setting (a second-stage weight, or a fusion setting and a weight):
    the one with the best mean per-query dev nDCG@10 in ``dev`` (queries in one order), or
    None (the default search) unless its gain over the default's scores ``without`` is
    significant at ``level`` (``gain_p_value``). Among equals, the first."""
    best = max(dev, key=lambda setting: sum(dev[setting]) / max(1, len(dev[setting])))
    gains = [new - old for new, old in zip(dev[best], without, strict=True)]
    return best if gain_p_value(gains) < level else None
