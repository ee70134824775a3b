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
    problem: str = ""  # why this line of the manifest cannot be evaluated (reported, then skipped)


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        raise InputError(f"{path} is missing", f"The {what} layout needs it; see the data README.")
    return path


def read_manifest(data_dir: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, JSON object) for each line of ``data_dir/manifest.jsonl``, or (line number, what
    is wrong with it) for a line that is not a JSON object: one bad line never hides the others."""
    manifest = _need(data_dir / "manifest.jsonl", "manifest")
    try:
        text = manifest.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read {manifest}: {err}", "Save it as UTF-8 JSON lines.") from err
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            yield number, f"line {number} of {manifest.name} is not JSON ({err.msg}): fix or remove it"
            continue
        if not isinstance(record, dict):
            yield number, f"line {number} of {manifest.name} is not a JSON object: fix or remove it"
            continue
        yield number, record


def manifest_items(data_dir: Path, path_key: str) -> list[Item]:
    """Items of a manifest suite; ids are the file stem plus a counter when a file repeats. A line
    that cannot be an item becomes one with its ``problem`` said (``line-N``), so the rest still run."""
    items: list[Item] = []
    seen: dict[str, int] = {}
    manifest = data_dir / "manifest.jsonl"
    for number, record in read_manifest(data_dir):
        if isinstance(record, dict) and not isinstance(record.get(path_key), str):
            record = f"line {number} of {manifest.name} has no '{path_key}' path: every line needs one"
        if isinstance(record, str):
            items.append(Item(f"line-{number}", manifest, {}, data_dir, record))
            continue
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
