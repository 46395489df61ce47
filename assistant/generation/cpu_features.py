"""What the CPU can compute quickly, for choices that pay only on some processors."""

from __future__ import annotations

from functools import cache
from pathlib import Path

BFLOAT16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
"""Linux's names for instructions that compute bfloat16 products natively."""


@cache
def has_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU computes bfloat16 products natively (where Linux says so; elsewhere
    ``False``, since emulated bfloat16 is slower than fp32)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(BFLOAT16_FLAGS & set(line.partition(":")[2].split()))
    return False
