"""Retrieval quality and embedding speed of each embedding backend (``index.embedding_backend``).

    python -m bench.embedding_backends [--data DIR] [--sets tatqa,pubmedqa,legalbench,financebench]
                                       [--backends torch,onnx,onnx-int8] [--speed-texts N]
                                       [--rounds N] [--cache DIR]

Quality: each set's passages are embedded by every backend and indexed as the product indexes
them; nDCG@10 of dense search and of the default hybrid search (``index`` settings) is measured
on the dev and test halves of the queries (``bench/retrieval_eval.py``'s split). A backend is
acceptable when it loses at most ``MAX_DEV_LOSS`` nDCG@10 against torch on every set's dev half,
in both modes.

Speed: the same ``--speed-texts`` passages (drawn with a fixed seed from the loaded sets) are
embedded by each backend in turn, in one process, ``--rounds`` times, with the configured batch
size; the median sentences/s of each backend and its ratio to torch are printed with the load
average seen around the runs, since other work on a small machine moves absolute figures far
more than ratios.

Exports are made in a temporary model cache; embeddings are cached on disk per set and backend
(``--cache``), so a rerun only searches.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

from assistant.collection_settings import index_fusion
from assistant.embedding_backend import settings_embedder
from assistant.settings import EmbeddingBackend, IndexSettings, Settings
from bench.common import eval_data_dir, print_table, write_result
from bench.retrieval.corpora import SET_NAMES, load_set, project_chunker
from bench.retrieval.embedding_cache import EmbeddingCache, default_cache_dir
from bench.retrieval.evaluation import score as score_rankings
from bench.retrieval.evaluation import split_queries
from bench.retrieval.methods import hit_ids, run_indexes
from indexes.embedder import Embedder, packaged_model_path

MAX_DEV_LOSS = 0.005
"""Most nDCG@10 a faster backend may lose against torch on any set's dev half."""
MODES = ("dense", "hybrid")


def _embedder(settings: IndexSettings, backend: str, cache_dir: Path) -> Embedder:
    chosen = settings.model_copy(update={"embedding_backend": backend})
    embedder = settings_embedder(chosen, cache_dir)
    embedder.warm_up()
    return embedder


def _quality(
    name: str,
    data: Path,
    settings: Settings,
    embedders: Mapping[str, Embedder],
    cache: Path,
    workdir: Path,
) -> tuple[dict[str, dict[str, dict[str, float]]], list[str]]:
    """nDCG@10 by backend, mode and half on set ``name``, and the set's passage texts."""
    print(f"[{name}] loading", file=sys.stderr, flush=True)
    eval_set = load_set(name, data, project_chunker(settings.ingest))
    split = split_queries(eval_set.queries)
    queries = [*split.dev, *split.test]
    units = eval_set.unit_by_passage()
    texts = [p.text for p in eval_set.passages]
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for backend, embedder in embedders.items():
        print(f"[{name}] {backend}: embedding {len(texts)} passages", file=sys.stderr, flush=True)
        configured = settings.index.embedding_model
        model_path = Path(configured) if configured else packaged_model_path()
        cached = EmbeddingCache(cache, f"{name}-{backend}", embedder, model_path)
        cached.encode(texts + [q.text for q in queries])
        runs = run_indexes(eval_set, queries, cached, settings.index, workdir / backend)
        fused = runs.fused(index_fusion(settings.index))
        rankings = {"dense": hit_ids(runs.dense), "hybrid": fused}
        figures[backend] = {
            mode: {
                half: score_rankings(rankings[mode], chosen, units).ndcg
                for half, chosen in (("dev", split.dev), ("test", split.test))
            }
            for mode in MODES
        }
    return figures, texts


def _speed(
    embedders: Mapping[str, Embedder], texts: Sequence[str], rounds: int
) -> dict[str, dict[str, Any]]:
    """Sentences/s of each backend on ``texts``, taking turns, with the load averages seen."""
    rates: dict[str, list[float]] = {backend: [] for backend in embedders}
    loads: list[float] = []
    for embedder in embedders.values():
        embedder.encode(texts[:16])  # first-call set-up is not throughput
    for _ in range(rounds):
        for backend, embedder in embedders.items():
            loads.append(os.getloadavg()[0])
            start = time.perf_counter()
            embedder.encode(texts)
            rates[backend].append(len(texts) / (time.perf_counter() - start))
    loads.append(os.getloadavg()[0])
    base = statistics.median(rates["torch"]) if "torch" in rates else None
    return {
        backend: {
            "sentences_per_s": statistics.median(values),
            "ratio_to_torch": None if base is None else statistics.median(values) / base,
            "rounds": values,
            "load_average_1min": {"min": min(loads), "max": max(loads)},
        }
        for backend, values in rates.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--sets", default=",".join(SET_NAMES))
    parser.add_argument("--backends", default=",".join(get_args(EmbeddingBackend)))
    parser.add_argument("--speed-texts", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=default_cache_dir())
    args = parser.parse_args()
    names = [name for name in args.sets.split(",") if name]
    backends = [name for name in args.backends.split(",") if name]
    if unknown := sorted(set(names) - set(SET_NAMES)):
        sys.exit(f"unknown sets {unknown}; choose from {', '.join(SET_NAMES)}")
    if unknown := sorted(set(backends) - set(get_args(EmbeddingBackend))):
        sys.exit(f"unknown backends {unknown}")
    if "torch" not in backends:
        sys.exit("torch is the reference: keep it among --backends")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings()
    data = eval_data_dir(args.data or settings.eval_data)
    with tempfile.TemporaryDirectory(prefix="embedding-backends-") as workdir:
        embedders = {b: _embedder(settings.index, b, Path(workdir) / "models") for b in backends}
        quality: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
        passages: list[str] = []
        for name in names:
            quality[name], texts = _quality(
                name, data, settings, embedders, args.cache, Path(workdir) / name
            )
            passages.extend(texts)
        sample = random.Random(0).sample(passages, min(args.speed_texts, len(passages)))
        speed = _speed(embedders, sample, args.rounds)
    _print(quality, speed, backends)
    verdict = {b: _worst_dev_loss(quality, b) for b in backends if b != "torch"}
    path = write_result(
        "embedding_backends",
        {
            "sets": names,
            "batch_size": settings.index.embedding_batch_size,
            "speed_texts": len(sample),
            "quality_ndcg10": quality,
            "speed": speed,
            "worst_dev_loss": verdict,
            "max_dev_loss": MAX_DEV_LOSS,
        },
    )
    print(f"\nwritten to {path}")


def _worst_dev_loss(quality: Mapping[str, Mapping[str, Any]], backend: str) -> float:
    return max(
        figures["torch"][mode]["dev"] - figures[backend][mode]["dev"]
        for figures in quality.values()
        for mode in MODES
    )


def _print(
    quality: Mapping[str, Mapping[str, Any]],
    speed: Mapping[str, Mapping[str, Any]],
    backends: Sequence[str],
) -> None:
    print("\nnDCG@10, dev / test halves (dense | default hybrid):")
    rows = [
        [name, backend]
        + [
            f"{figures[backend][mode]['dev']:.3f} / {figures[backend][mode]['test']:.3f}"
            for mode in MODES
        ]
        for name, figures in quality.items()
        for backend in backends
    ]
    print_table(["set", "backend", "dense", "hybrid"], rows)
    print(f"\nworst dev loss against torch (limit {MAX_DEV_LOSS}):")
    for backend in backends:
        if backend != "torch":
            loss = _worst_dev_loss(quality, backend)
            verdict = "passes" if loss <= MAX_DEV_LOSS else "fails"
            print(f"  {backend}: {loss:+.4f} ({verdict})")
    print("\nembedding speed (median of rounds, same texts and batch size):")
    print_table(
        ["backend", "sentences/s", "ratio to torch", "load average (1 min)"],
        [
            [
                backend,
                f"{figures['sentences_per_s']:.1f}",
                f"{figures['ratio_to_torch']:.2f}",
                "{min:.1f}-{max:.1f}".format(**figures["load_average_1min"]),
            ]
            for backend, figures in speed.items()
        ],
    )


if __name__ == "__main__":
    main()
