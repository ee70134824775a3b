import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sa2va_assist.cli import main
from sa2va_assist.eval import Context, evaluate
from sa2va_assist.eval.report import table, write_report
from sa2va_assist.types import TextLine, VisionResult
from tests.conftest import paint_scene, write_rgb
from tests.fakes import ColourBackend, ScriptedBackend


def _refvos(root: Path, n: int = 4) -> Path:
    """A tiny layout: a red square moving right; its annotation covers the square exactly."""
    for sub in ("JPEGImages/square", "Annotations/square"):
        (root / sub).mkdir(parents=True)
    for i in range(n):
        image = paint_scene(320, 300, red_x=20 * i)
        write_rgb(root / "JPEGImages/square" / f"{i:05d}.jpg", image)
        mask = np.zeros((300, 320), np.uint8)
        mask[200:260, 20 * i : 20 * i + 60] = 255
        cv2.imwrite(str(root / "Annotations/square" / f"{i:05d}.png"), mask)
    expressions = [
        {"video": "square", "expression": "the red square"},
        {"video": "square", "expression": "the blue square"},
    ]
    (root / "expressions.json").write_text(json.dumps(expressions))
    return root


def test_refvos_scores_perfect_and_missing_predictions(tmp_path: Path) -> None:
    data = _refvos(tmp_path / "refvos")
    doc = evaluate("refvos", data, Context(backend=ColourBackend()), backend_name="fake")
    red, blue = doc["items"]
    assert red["J"] == pytest.approx(100, abs=1.0) and red["F"] == pytest.approx(100, abs=1.0)
    assert blue["J"] == 0 and blue["F"] == 0  # nothing predicted, object present
    assert doc["JF"] == pytest.approx((red["JF"] + blue["JF"]) / 2)
    assert red["frames"] == red["scored_frames"] == 4 and doc["fps"] > 0
    assert doc["rtf"] == pytest.approx(sum(r["seconds"] for r in doc["items"]) / (8 / 24))


def test_refseg_cIoU_gIoU_and_a_bad_item_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    write_rgb(tmp_path / "images/a.png", paint_scene(red_x=100))
    mask = np.zeros((480, 640), np.uint8)
    mask[200:260, 100:190] = 255  # truth is 60x90; the red square 60x60 inside it: IoU 2/3
    cv2.imwrite(str(tmp_path / "masks/a.png"), mask)
    lines = [
        {"image": "images/a.png", "expression": "the red square", "mask": "masks/a.png"},
        {"image": "images/a.png", "expression": "the green square", "mask": "masks/a.png"},
        {"image": "images/missing.png", "expression": "x", "mask": "masks/a.png"},
    ]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    ctx = Context(backend=ColourBackend())
    doc = evaluate("refseg", tmp_path, ctx, backend_name="fake")
    assert doc["n_items"] == 3 and doc["n_failed"] == 1 and "does not exist" in doc["items"][2]["error"]
    assert doc["items"][0]["IoU"] == pytest.approx(2 / 3, abs=0.01) and doc["items"][1]["IoU"] == 0
    assert doc["gIoU"] == pytest.approx(1 / 3, abs=0.01)
    assert doc["cIoU"] == pytest.approx(3600 / (5400 + 5400), abs=0.01)  # total inter / total union
    write_report(tmp_path / "out", doc, ctx.worst)
    assert json.loads((tmp_path / "out/eval.json").read_text())["gIoU"] == doc["gIoU"]
    assert len(list((tmp_path / "out/worst").glob("*.jpg"))) == 2
    assert "FAILED" in table("refseg", doc) and "gIoU: 0.333" in table("refseg", doc)


def _manifest(root: Path, records: list[dict]) -> Path:
    (root / "img").mkdir(parents=True, exist_ok=True)
    write_rgb(root / "img/x.png", paint_scene(64, 48))
    (root / "manifest.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    return root


def test_describe_counts_mentions_only_where_objects_are_known(tmp_path: Path) -> None:
    data = _manifest(
        tmp_path,
        [
            {"image": "img/x.png", "captions": ["a man with a dog"], "objects": ["person", "dog", "car"]},
            {"image": "img/x.png", "captions": ["a blurry photo"]},  # VizWiz-style: objects unknown
        ],
    )
    backend = ScriptedBackend(
        [VisionResult("Two men and a cat.", "caption", "s"), VisionResult("A bottle.", "caption", "s")]
    )
    doc = evaluate("describe", data, Context(backend=backend))
    assert doc["precision"] == 0.5 and doc["recall"] == pytest.approx(1 / 3) and doc["n_scored"] == 1
    assert doc["items"][1]["mentioned"] == ["bottle"] and "objects" not in doc["items"][1]
    assert [r.task for r in backend.requests] == ["caption", "caption"]


def test_ocr_word_recall_per_kind(tmp_path: Path) -> None:
    data = _manifest(
        tmp_path,
        [
            {"image": "img/x.png", "words": ["EXIT", "Carpark"], "kind": "scene"},
            {"image": "img/x.png", "words": ["TOTAL", "3.49"], "kind": "receipt"},
        ],
    )
    lines = [TextLine("Exit!", (0, 0, 5, 5), 0.9), TextLine("stairs", (0, 6, 5, 9), 0.9)]
    backend = ScriptedBackend(
        [VisionResult("", "read", "s", text_lines=lines), VisionResult("TOTAL 3.49", "read", "s")]
    )
    doc = evaluate("ocr", data, Context(backend=backend))
    assert doc["per_kind"]["scene"]["word_recall"] == 0.5 and doc["per_kind"]["receipt"]["word_recall"] == 1
    assert doc["word_recall"] == 0.75 and doc["word_precision"] == pytest.approx(3 / 4)


def test_eval_cli_json_has_headline_keys(tmp_path: Path, fake_backend: ColourBackend, capsys) -> None:  # type: ignore[no-untyped-def]
    data = _refvos(tmp_path / "refvos", n=2)
    assert main(["eval", "refvos", str(data), "--backend", "fake", "--json", "--limit", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"JF", "J", "F", "fps", "rtf", "latency_p50_s", "latency_p95_s", "items"} <= set(doc)
    assert len(doc["items"]) == 1 and doc["backend"] == "fake"


def test_eval_cli_bad_layout_is_one_line_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["eval", "refseg", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "manifest.jsonl is missing" in err and "\n" not in err
