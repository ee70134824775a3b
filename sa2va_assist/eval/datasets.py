"""Readers for the evaluation layouts (see the data README): each yields small item records and
never depends on particular file names. Paths inside a manifest are relative to the manifest's folder.

| suite    | layout                                                                         |
|----------|--------------------------------------------------------------------------------|
| refvos   | JPEGImages/<video>/*.jpg, Annotations/<video>/*.png (0/255), expressions.json  |
| refseg   | manifest.jsonl: {"image", "expression", "mask"}                                |
| describe | manifest.jsonl: {"image", "captions": [...], "objects": [...] (optional)}      |
| ocr      | manifest.jsonl: {"image", "words": [...], "kind"}                              |
| asr      | manifest.jsonl: {"audio", "text"}                                              |
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io.sources import IMAGE_EXTENSIONS, natural_key


@dataclass(frozen=True)
class Item:
    """One thing to evaluate: an id for reports, the input path(s), and the ground truth fields."""

    id: str
    path: Path  # image, audio file or frame folder
    truth: dict[str, Any]  # the manifest fields (refvos: "expression", "annotations" folder)
    root: Path  # the folder that the manifest's relative paths start from


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        raise InputError(f"{path} is missing", f"The {what} layout needs it; see the data README.")
    return path


def read_manifest(data_dir: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of ``data_dir/manifest.jsonl``; a bad line raises InputError naming it."""
    manifest = _need(data_dir / "manifest.jsonl", "manifest")
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(
                f"{manifest} line {number} is not JSON ({err.msg})", "Fix or remove that line."
            ) from None
        if not isinstance(record, dict):
            raise InputError(f"{manifest} line {number} is not a JSON object", "Fix or remove that line.")
        yield record


def manifest_items(data_dir: Path, path_key: str) -> list[Item]:
    """Items of a manifest suite; ids are the file stem plus a counter when a file repeats."""
    items: list[Item] = []
    seen: dict[str, int] = {}
    for record in read_manifest(data_dir):
        if path_key not in record:
            raise InputError(
                f"a record in {data_dir / 'manifest.jsonl'} has no '{path_key}'",
                f"Every line needs '{path_key}'.",
            )
        path = (data_dir / record[path_key]).resolve()
        stem = path.stem
        seen[stem] = seen.get(stem, 0) + 1
        item_id = stem if seen[stem] == 1 else f"{stem}#{seen[stem]}"
        items.append(Item(item_id, path, record, data_dir))
    return items


def refvos_items(data_dir: Path, expressions_file: Path | None = None) -> list[Item]:
    """One item per expression: the video's frame folder, with its annotation folder in ``truth``.
    ``expressions_file``: other expressions for the same videos (same layout as expressions.json:
    ``[{"video", "expression"}]``), e.g. a set of phrasings kept out of tuning."""
    source = expressions_file or _need(data_dir / "expressions.json", "refvos")
    try:
        expressions = json.loads(source.read_text(encoding="utf-8"))
        pairs = [(str(e["video"]), str(e["expression"])) for e in expressions]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(
            f"cannot read the expressions in {source}: {err}",
            'Use a JSON list of {"video": ..., "expression": ...} objects.',
        ) from err
    items = []
    for number, (video, expression) in enumerate(pairs):
        frames = _need(data_dir / "JPEGImages" / video, "refvos")
        annotations = _need(data_dir / "Annotations" / video, "refvos")
        truth = {"video": video, "expression": expression, "annotations": str(annotations)}
        items.append(Item(f"{video}#{number}", frames, truth, data_dir))
    return items


def annotation_files(folder: Path) -> list[Path]:
    """Annotation PNGs sorted like the frames they belong to."""
    return sorted(
        (f for f in folder.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS),
        key=lambda f: natural_key(f.name),
    )
