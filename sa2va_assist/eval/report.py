"""Headline metrics from scored items, the human table, and overlays of the worst items."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import metrics as m
from .suites import Worst

HEADLINES = {
    "refvos": ("JF", "J", "F", "fps", "rtf", "latency_p50_s", "latency_p95_s"),
    "refseg": ("cIoU", "gIoU", "latency_p50_s", "latency_p95_s"),
    "describe": ("precision", "recall", "latency_p50_s", "latency_p95_s"),
    "ocr": ("word_recall", "word_precision", "latency_p50_s", "latency_p95_s"),
    "asr": ("WER", "latency_p50_s", "latency_p95_s"),
}


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def summarise(suite: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Headline metrics over the rows that scored (failed rows are counted, not averaged)."""
    ok = [r for r in rows if "error" not in r]
    seconds = [r["seconds"] for r in ok]
    out: dict[str, Any] = {
        "n_items": len(rows),
        "n_failed": len(rows) - len(ok),
        "latency_p50_s": m.percentile(seconds, 50),
        "latency_p95_s": m.percentile(seconds, 95),
    }
    if suite == "refvos" and ok:
        out["J"] = float(np.mean([r["J"] for r in ok]))
        out["F"] = float(np.mean([r["F"] for r in ok]))
        out["JF"] = float(np.mean([r["JF"] for r in ok]))
        frames, secs = sum(r["frames"] for r in ok), sum(seconds)
        out["fps"] = _ratio(frames, secs)
        out["rtf"] = _ratio(secs, frames / 24.0)
    elif suite == "refseg" and ok:
        out["cIoU"] = m.ciou([r["intersection"] for r in ok], [r["union"] for r in ok])
        out["gIoU"] = float(np.mean([r["IoU"] for r in ok]))
    elif suite == "describe":
        scored = [r for r in ok if "objects" in r]
        tp = sum(r["true_positives"] for r in scored)
        out["precision"] = _ratio(tp, sum(len(r["mentioned"]) for r in scored))
        out["recall"] = _ratio(tp, sum(len(r["objects"]) for r in scored))
        out["n_scored"] = len(scored)
    elif suite == "ocr":
        out["word_recall"] = _ratio(sum(r["matched_true"] for r in ok), sum(r["n_true"] for r in ok))
        out["word_precision"] = _ratio(sum(r["matched_output"] for r in ok), sum(r["n_output"] for r in ok))
        kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in ok:
            kinds[r["kind"]].append(r)
        out["per_kind"] = {
            kind: {
                "word_recall": _ratio(sum(r["matched_true"] for r in rs), sum(r["n_true"] for r in rs)),
                "word_precision": _ratio(
                    sum(r["matched_output"] for r in rs), sum(r["n_output"] for r in rs)
                ),
                "n_items": len(rs),
            }
            for kind, rs in sorted(kinds.items())
        }
    elif suite == "asr":
        errors, words = sum(r["errors"] for r in ok), sum(r["ref_words"] for r in ok)
        out["WER"] = _ratio(errors, words)
    return out


COLUMNS = {
    "refvos": ("id", "frames", "J", "F", "JF", "fps", "rtf"),
    "refseg": ("id", "expression", "IoU", "seconds"),
    "describe": ("id", "mentioned", "objects", "description"),
    "ocr": ("id", "kind", "word_recall", "word_precision", "text"),
    "asr": ("id", "WER", "seconds", "transcript"),
}


def _cell(value: Any, width: int = 48) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    text = str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def table(suite: str, doc: dict[str, Any]) -> str:
    """A plain-text table of items then the headline metrics (screen-reader friendly: no box art)."""
    columns = COLUMNS[suite]
    rows = [[_cell(r.get(c)) if "error" not in r or c == "id" else "" for c in columns] for r in doc["items"]]
    for r, row in zip(doc["items"], rows, strict=True):
        if "error" in r:
            row[-1] = "FAILED: " + _cell(r["error"], 80)
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    lines.append("")
    lines.append(f"{suite} with backend {doc['backend']}: {doc['n_items']} items, {doc['n_failed']} failed")
    for key in HEADLINES[suite]:
        lines.append(f"  {key}: {_cell(doc.get(key))}")
    for kind, values in doc.get("per_kind", {}).items():
        lines.append(
            f"  {kind}: word_recall {_cell(values['word_recall'])}, "
            f"word_precision {_cell(values['word_precision'])} ({values['n_items']} items)"
        )
    return "\n".join(lines)


def write_report(out_dir: Path, doc: dict[str, Any], worst: Sequence[Worst], keep: int = 5) -> None:
    """``out_dir/eval.json`` and, for segmentation suites, ``out_dir/worst/NN-<item>.jpg`` overlays
    (prediction and truth tinted in two colours) of the ``keep`` weakest items."""
    import cv2

    from ..io.folders import whole_folder
    from ..io.results import draw_overlay, object_id

    with whole_folder(out_dir, "eval.json") as out:  # whole or not at all, never mixed with a last run
        (out / "eval.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if worst:
            folder = out / "worst"
            folder.mkdir()
        for rank, w in enumerate(sorted(worst, key=lambda w: w.score)[:keep], start=1):
            overlay = draw_overlay(
                w.image, [(f"predicted (score {w.score:.2f})", w.pred), ("truth", w.truth)]
            )
            path = folder / f"{object_id(rank, w.item_id)}.jpg"
            if not cv2.imwrite(str(path), cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR)):
                raise OSError(f"OpenCV could not write {path.name}")
