"""Turn a VisionResult into what people and programs use: a JSON document, mask PNGs, overlays.

Layout written by ``write_outputs(out_dir, ...)``::

    out_dir/result.json                       the document below, with mask paths filled in
    out_dir/masks/<object-id>/<frame>.png     one 0/255 PNG per object per frame
    out_dir/overlays/<frame>.jpg              the frame with every object drawn and labelled

Document schema (``"schema": "sa2va-assist/result@1"``)::

    answer        str    the answer as spoken/printed
    task          str    segment | caption | ask | gcg | read
    backend       str    lite | sa2va | ...
    source        {kind, path, total_frames, fps, sampled}
    frames        [{index, name, time_s, width, height}]      frames the masks refer to, in order
    objects       [{id, phrase, label, score, found,
                    position, clock_hour, box, distance_m, motion,     where it is in the last frame seen
                    frames: [{frame, mask, found, box, area_share, clock_hour, position}]}]
    text_lines    [{text, box, confidence, frame}]
    timings_ms    {stage: milliseconds}
Boxes are [x0, y0, x1, y1] in pixels of that frame. ``mask`` is a path relative to out_dir, or null
when no files were written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..spatial import Position, locate, motion, position_phrase
from ..types import Frame, GroundedObject, VisionResult
from .folders import whole_folder
from .sources import SourceInfo

SCHEMA = "sa2va-assist/result@1"
# Distinct, colour-blind-friendly colours (Okabe-Ito), RGB.
PALETTE = [
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (0, 0, 0),
]


def object_id(number: int, phrase: str) -> str:
    """A file-safe, unique id: "01-red-cup"."""
    slug = re.sub(r"[^a-z0-9]+", "-", phrase.lower()).strip("-")[:40] or "object"
    return f"{number:02d}-{slug}"


def _object_summary(obj: GroundedObject, frames: Sequence[Frame], fov_deg: float) -> dict[str, Any]:
    per_frame: list[dict[str, Any]] = []
    seen: list[Position] = []
    for frame, mask in zip(frames, obj.masks, strict=False):
        pos = locate(mask, obj.label, fov_deg)
        if pos.found:
            seen.append(pos)
        per_frame.append(
            {
                "frame": frame.name,
                "mask": None,
                "found": pos.found,
                "box": list(pos.box) if pos.box else None,
                "area_share": round(pos.area_share, 5),
                "clock_hour": pos.clock_hour,
                "position": position_phrase(obj.phrase, pos) if pos.found else None,
            }
        )
    last = seen[-1] if seen else locate(np.zeros((1, 1), bool))
    width = frames[0].size[0] if frames else 1
    return {
        "phrase": obj.phrase,
        "label": obj.label,
        "score": obj.score,
        "found": bool(seen),
        "position": position_phrase(obj.phrase, last),
        "clock_hour": last.clock_hour,
        "box": list(last.box) if last.box else None,
        "distance_m": None if last.distance_m is None else round(last.distance_m, 2),
        "motion": motion(seen[0], seen[-1], width) if len(seen) > 1 else None,
        "frames": per_frame,
    }


def result_document(
    result: VisionResult, frames: Sequence[Frame], info: SourceInfo | None = None, fov_deg: float = 70.0
) -> dict[str, Any]:
    """The JSON-ready document for ``result`` (mask paths null until written)."""
    objects = []
    for number, obj in enumerate(result.objects, start=1):
        summary = _object_summary(obj, frames, fov_deg)
        objects.append({"id": object_id(number, obj.phrase), **summary})
    return {
        "schema": SCHEMA,
        "answer": result.answer,
        "task": result.task,
        "backend": result.backend,
        "source": asdict(info) if info else None,
        "frames": [
            {"index": f.index, "name": f.name, "time_s": f.time_s, "width": f.size[0], "height": f.size[1]}
            for f in frames
        ],
        "objects": objects,
        "text_lines": [
            {"text": t.text, "box": list(t.box), "confidence": round(t.confidence, 4), "frame": t.frame}
            for t in result.text_lines
        ],
        "timings_ms": {k: round(v, 1) for k, v in result.timings_ms.items()},
    }


def draw_overlay(frame: np.ndarray, objects: Sequence[tuple[str, np.ndarray]]) -> np.ndarray:
    """``frame`` (H, W, 3) RGB with each (label, mask) tinted, outlined and labelled. Returns RGB."""
    import cv2

    canvas = frame.astype(np.float32)
    for k, (_, mask) in enumerate(objects):
        if mask.any():
            tint = np.array(PALETTE[k % len(PALETTE)], np.float32)
            canvas[mask] = canvas[mask] * 0.5 + tint * 0.5
    out = canvas.astype(np.uint8)
    scale = max(0.4, min(out.shape[:2]) / 900)
    for k, (label, mask) in enumerate(objects):
        if not mask.any():
            continue
        colour = tuple(float(c) for c in PALETTE[k % len(PALETTE)])
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, colour, max(1, round(2 * scale)))
        ys, xs = np.nonzero(mask)
        x, y = int(xs.min()), int(max(ys.min() - 6, 14))
        text = label[:40]
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        cv2.rectangle(out, (x, y - th - 4), (x + tw + 4, y + 2), colour, -1)
        cv2.putText(
            out, text, (x + 2, y - 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA
        )
    return out


def write_outputs(
    out_dir: str | Path,
    result: VisionResult,
    frames: Sequence[Frame],
    info: SourceInfo | None = None,
    fov_deg: float = 70.0,
) -> dict[str, Any]:
    """Write result.json, every object's masks and one overlay per frame, whole or not at all
    (``folders.whole_folder``: a second run replaces the first run's folder, never mixes with it);
    return the document. Raises ``OutputError`` when the folder cannot be written."""
    import cv2

    doc = result_document(result, frames, info, fov_deg)
    with whole_folder(out_dir, "result.json") as out:
        (out / "overlays").mkdir()
        for obj, entry in zip(result.objects, doc["objects"], strict=True):
            mask_dir = out / "masks" / entry["id"]
            mask_dir.mkdir(parents=True, exist_ok=True)
            for mask, frame_entry in zip(obj.masks, entry["frames"], strict=False):
                rel = f"masks/{entry['id']}/{frame_entry['frame']}.png"
                _written(cv2.imwrite(str(out / rel), mask.astype(np.uint8) * 255), out / rel)
                frame_entry["mask"] = rel
        for k, frame in enumerate(frames):
            layers = [(o.phrase, o.masks[k]) for o in result.objects if k < len(o.masks)]
            overlay = draw_overlay(frame.image, layers)
            path = out / "overlays" / f"{frame.name}.jpg"
            bgr = cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR)
            _written(cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, 90]), path)
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        (out / "result.json").write_text(text, encoding="utf-8")
    return doc


def _written(ok: bool, path: Path) -> None:
    if not ok:  # OpenCV says False instead of raising (a full disk, a name it cannot encode)
        raise OSError(f"OpenCV could not write {path.name}")
