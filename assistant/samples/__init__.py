"""A small bundled corpus (legal, finance, medical) so a new installation is useful at once.

Every document here is fictional and was written for this project.
"""

from pathlib import Path

SAMPLE_COLLECTION = "samples"
SAMPLES_DIR = Path(__file__).parent
_SUFFIXES = {".pdf", ".docx", ".html", ".md", ".txt", ".csv"}


def sample_files() -> list[Path]:
    """The sample documents, in a stable order (this folder's README is not one of them)."""
    return sorted(
        p
        for p in SAMPLES_DIR.rglob("*")
        if p.is_file() and p.suffix in _SUFFIXES and p.parent != SAMPLES_DIR
    )
