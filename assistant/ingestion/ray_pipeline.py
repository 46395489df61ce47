"""Ingestion spread over a Ray cluster, storing into the same database and indexes.

Ray Data takes the file list, parses and chunks each file in a task (the same parsers and
chunker as the service), and embeds the chunks in a pool of actors that each load the model
once. The results stream back to this process, the driver, in input order, and
``IngestionPipeline.run_prepared`` stores them as a single-machine run would: unchanged files
skipped by content hash, changed ones replaced, one transaction per document, failures
recorded per file. The vectors computed on the cluster reach the dense index (and the second
stage's part, where one is configured) through ``PrecomputedEmbedder``, so the index on disk is
the one the service always writes and serves.

Workers must read the input files at the same paths (a shared mount); only the driver touches
the database and the index directory.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import ray
import ray.data
from ray.util.annotations import RayDeprecationWarning
from sqlalchemy import Engine

from assistant.embedding_backend import settings_embedder
from assistant.index_sync import IndexSync
from assistant.ingestion.pipeline import (
    Chunker,
    FailedFile,
    FileResult,
    IngestionPipeline,
    Parse,
    PreparedFile,
    RunReport,
)
from assistant.ingestion.ray_stages import (
    EmbedderFactory,
    EmbedFiles,
    Prepared,
    decode,
    index_texts,
    prepare_row,
    settings_second_embedder,
)
from assistant.ingestion.steps import FileSteps
from assistant.settings import Settings
from assistant.storage.db import create_db_engine, make_session_factory, migrate
from indexes.embedder import Embedder

log = logging.getLogger(__name__)

WORKER_LOST = "worker_lost"


@dataclass(frozen=True)
class RayOptions:
    """Where cluster ingestion runs and how wide.

    ``address`` names a running cluster: ``"auto"`` for the one this machine has joined,
    ``"ray://HEAD:10001"`` for a remote head. ``None`` starts a local cluster of ``num_cpus``
    CPUs (all of this machine's when ``None``) for the length of the run. A process already
    connected to Ray keeps its connection. ``workers`` embedding actors of ``cpus_per_worker``
    CPUs each are started (``None``: as many as the cluster holds once ``parse_cpus`` are set
    aside for parsing tasks), each embedding ``files_per_batch`` files per call. A parsing
    task whose worker process died (a parser crash, memory exhausted) is retried
    ``parse_retries`` times, then its file is reported as failed rather than retried forever.
    """

    address: str | None = None
    num_cpus: int | None = None
    workers: int | None = None
    cpus_per_worker: float = 1.0
    parse_cpus: float = 1.0
    files_per_batch: int = 1
    parse_retries: int = 2

    def __post_init__(self) -> None:
        if self.address is not None and self.num_cpus is not None:
            raise ValueError("num_cpus sizes a local cluster; a running cluster has its own")
        if self.num_cpus is not None and self.num_cpus < 1:
            raise ValueError(f"num_cpus must be at least 1, got {self.num_cpus}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.cpus_per_worker <= 0 or self.parse_cpus <= 0:
            raise ValueError("cpus_per_worker and parse_cpus must be positive")
        if self.files_per_batch < 1:
            raise ValueError(f"files_per_batch must be at least 1, got {self.files_per_batch}")
        if self.parse_retries < 0:
            raise ValueError(f"parse_retries must not be negative, got {self.parse_retries}")


class PrecomputedEmbedder:
    """An embedder that answers with vectors computed on the cluster, handed over by
    ``remember`` before their texts are indexed; only texts it was not given go to
    ``fallback``, which also names the model, so the index records the model the cluster ran.
    """

    def __init__(self, fallback: Embedder) -> None:
        self._fallback = fallback
        self._known: dict[str, np.ndarray] = {}
        self._dim: int | None = None
        self.misses = 0
        """Texts that had to be embedded here; 0 when the cluster delivered every vector."""

    @property
    def model_name(self) -> str:
        return self._fallback.model_name

    @property
    def dim(self) -> int:
        return self._dim if self._dim is not None else self._fallback.dim

    def warm_up(self) -> None:
        """Nothing to load: the model runs on the cluster."""

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Serve ``vectors`` (row ``i`` for ``texts[i]``) until the next ``remember``."""
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        self._known = dict(zip(texts, vectors, strict=True))
        if len(vectors):
            self._dim = int(vectors.shape[1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        missing = sorted(set(texts) - self._known.keys())
        extra: dict[str, np.ndarray] = {}
        if missing:
            self.misses += len(missing)
            log.warning("%d texts were not embedded on the cluster; embedding here", len(missing))
            extra = dict(zip(missing, self._fallback.encode(missing), strict=True))
        rows = [self._known[t] if t in self._known else extra[t] for t in texts]
        return np.ascontiguousarray(np.stack(rows), dtype=np.float32)


class RayPreparer:
    """``Prepare`` for ``IngestionPipeline.run_prepared`` on the connected Ray cluster: files
    are parsed and chunked in tasks and embedded by ``workers`` actors, with each model of
    ``embedder_factories``; results come back in input order, each file's vectors of each
    model handed to the matching one of ``vectors`` just before it is stored."""

    def __init__(
        self,
        *,
        parse: Parse,
        chunker: Chunker,
        embedder_factories: Sequence[EmbedderFactory],
        vectors: Sequence[PrecomputedEmbedder],
        options: RayOptions,
        workers: int,
    ) -> None:
        if len(embedder_factories) != len(vectors):
            raise ValueError("one vector store per embedder is needed")
        self._prepare_row = partial(prepare_row, parse=parse, chunker=chunker)
        self._embedder_factories = list(embedder_factories)
        self._vectors = list(vectors)
        self._options = options
        self._workers = workers

    def __call__(self, paths: Sequence[Path]) -> Iterator[Prepared]:
        if not paths:
            return
        delivered: set[int] = set()
        for row in self._dataset(paths).iter_rows():
            position = int(row["position"])
            item, vectors = decode(row["payload"])
            item = dataclasses.replace(item, path=paths[position])
            if isinstance(item, PreparedFile) and vectors is not None:
                texts = index_texts(item)
                for store, matrix in zip(self._vectors, vectors, strict=True):
                    store.remember(texts, matrix)
            delivered.add(position)
            yield item
        for position, path in enumerate(paths):
            if position not in delivered:
                message = "a cluster worker stopped while preparing this file; see the Ray logs"
                yield FailedFile(path, message, WORKER_LOST)

    def _dataset(self, paths: Sequence[Path]) -> ray.data.Dataset:
        options = self._options
        rows = [{"position": i, "path": str(path.absolute())} for i, path in enumerate(paths)]
        # One file per block: a parser that crashes its worker loses only that file.
        files = ray.data.from_items(rows, override_num_blocks=len(rows))
        with warnings.catch_warnings():
            # Ray 2.60 deprecates passing max_retries this way but offers no other way to
            # bound the retries of a task whose worker died; revisit before Ray 2.64.
            warnings.simplefilter("ignore", RayDeprecationWarning)
            prepared = files.map(
                self._prepare_row, num_cpus=options.parse_cpus, max_retries=options.parse_retries
            )
        dataset = prepared.map_batches(
            EmbedFiles,
            fn_constructor_args=(self._embedder_factories,),
            batch_size=options.files_per_batch,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self._workers),
            num_cpus=options.cpus_per_worker,
        )
        context = dataset.context
        context.execution_options.preserve_order = True
        context.max_errored_blocks = -1  # a lost file is reported by __call__, not fatal
        context.enable_progress_bars = False
        return dataset


@contextmanager
def ray_connection(options: RayOptions) -> Iterator[None]:
    """Connected to the cluster ``options`` name (or a new local one) for the block; an
    existing connection is used and left open."""
    if ray.is_initialized():
        yield
        return
    if options.address is None:
        ray.init(num_cpus=options.num_cpus, include_dashboard=False)
    else:
        ray.init(address=options.address)
    try:
        yield
    finally:
        ray.shutdown()


def embedding_workers(options: RayOptions) -> int:
    """How many embedding actors to start on the connected cluster. A count that would leave
    no CPU for the parsing tasks is refused: the job would wait forever."""
    cpus = float(ray.cluster_resources().get("CPU", 0))
    workers = options.workers or int((cpus - options.parse_cpus) // options.cpus_per_worker)
    needed = max(workers, 1) * options.cpus_per_worker + options.parse_cpus
    if needed > cpus:
        raise ValueError(
            f"the Ray cluster has {cpus:g} CPUs, but {max(workers, 1)} embedding workers of "
            f"{options.cpus_per_worker:g} CPUs and {options.parse_cpus:g} for parsing need "
            f"{needed:g}; ask for fewer workers or add nodes"
        )
    return workers


class RayIngestion:
    """Ingests into the installation ``settings`` describe, preparing files on Ray.

    ``embedder_factory`` builds the embedder in every actor (default: the one the settings
    configure); it must name the same model as the index, which refuses any other. Where the
    settings configure a second stage, ``second_embedder_factory`` (default: its configured
    model) embeds every chunk on the cluster too, so that the driver embeds nothing.
    """

    def __init__(
        self,
        settings: Settings,
        options: RayOptions | None = None,
        *,
        embedder_factory: EmbedderFactory | None = None,
        second_embedder_factory: EmbedderFactory | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.options = options or RayOptions()
        self._factories = [
            embedder_factory or partial(settings_embedder, settings.index, settings.model_cache_dir)
        ]
        self.vectors = PrecomputedEmbedder(self._factories[0]())
        self.second_vectors: PrecomputedEmbedder | None = None
        if settings.index.second_stage_model is not None:
            self._factories.append(
                second_embedder_factory or partial(settings_second_embedder, settings.index)
            )
            self.second_vectors = PrecomputedEmbedder(self._factories[1]())
        engine = engine or create_db_engine(settings.database_url, echo=settings.storage.echo)
        migrate(engine)
        self._steps = FileSteps.from_settings(settings)
        self._pipeline = IngestionPipeline(
            sessions=make_session_factory(engine),
            parse=self._steps.parse,
            chunker=self._steps.chunk,
            index=IndexSync(
                index_dir=settings.index_dir,
                settings=settings.index,
                embedder=self.vectors,
                second_embedder=self.second_vectors,
            ),
        )

    def _stores(self) -> list[PrecomputedEmbedder]:
        """Where the cluster's vectors go, one per model in the order of the factories."""
        second = [] if self.second_vectors is None else [self.second_vectors]
        return [self.vectors, *second]

    def run(
        self,
        paths: Sequence[Path],
        *,
        collection: str,
        on_file: Callable[[FileResult], None] | None = None,
    ) -> RunReport:
        with ray_connection(self.options):
            preparer = RayPreparer(
                parse=self._steps.parse,
                chunker=self._steps.chunk,
                embedder_factories=self._factories,
                vectors=self._stores(),
                options=self.options,
                workers=embedding_workers(self.options),
            )
            return self._pipeline.run_prepared(
                paths, preparer, collection=collection, on_file=on_file
            )
