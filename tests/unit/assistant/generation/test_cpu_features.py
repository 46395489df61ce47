"""Reading whether the CPU computes bfloat16 natively from Linux's list of its flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.generation.cpu_features import has_bfloat16


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ("fpu sse2 avx2 avx512f avx512_vnni avx512_bf16", True),
        ("fpu sse2 avx2 amx_tile amx_bf16", True),
        ("fpu sse2 avx2 avx512f avx512bw", False),
        ("fpu sse2 avx512_bf16x", False),
    ],
)
def test_bfloat16_instructions_are_read_from_the_flags(
    tmp_path: Path, flags: str, expected: bool
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: test\nflags\t\t: {flags}\n")
    assert has_bfloat16(cpuinfo) is expected


def test_no_cpu_description_means_no_bfloat16(tmp_path: Path) -> None:
    assert has_bfloat16(tmp_path / "missing") is False
    empty = tmp_path / "empty"
    empty.write_text("processor\t: 0\n")
    assert has_bfloat16(empty) is False
