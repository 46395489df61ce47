"""The generator the settings ask for."""

from __future__ import annotations

from assistant.generation.cpu_features import has_bfloat16
from assistant.generation.model_files import BUNDLED_ADAPTER
from assistant.generation.transformers_runtime import TransformersGenerator
from assistant.settings import GenerationSettings


def build_generator(settings: GenerationSettings) -> TransformersGenerator:
    """A generator configured by ``settings``; nothing is loaded until it is first used."""
    adapter = (settings.adapter or BUNDLED_ADAPTER) if settings.use_adapter else None
    precision = settings.prefill_precision
    if precision == "auto":
        precision = "bf16" if has_bfloat16() else "fp32"
    int8 = settings.runtime == "transformers-int8"
    return TransformersGenerator(
        model_file=settings.model_file,
        adapter=adapter,
        threads=settings.threads,
        prefill_threads=settings.prefill_threads,
        lookup_tokens=settings.lookup_tokens,
        int8=int8,
        prefill_bf16=precision == "bf16" and not int8,  # int8 layers are quantised already
        converted_dir=settings.converted_dir,
        batch_size=settings.batch_size,
        queue_length=settings.queue_length,
    )
