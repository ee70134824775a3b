import json
from pathlib import Path

import cv2
import numpy as np

from sa2va_assist.io.results import SCHEMA, draw_overlay, object_id, result_document, write_outputs
from sa2va_assist.io.sources import load_frames
from sa2va_assist.types import Frame, GroundedObject, TextLine, VisionResult
from tests.conftest import paint_scene


def _frames(n: int = 2) -> list[Frame]:
    return [Frame(paint_scene(red_x=100 + 400 * k), k, f"{k:05d}") for k in range(n)]


def _red_object(frames: list[Frame]) -> GroundedObject:
    masks = np.stack([np.all(f.image == (255, 0, 0), axis=-1) for f in frames])
    return GroundedObject("the red cup", masks, label="cup", score=0.9)


def test_object_ids_are_file_safe_and_numbered() -> None:
    assert object_id(1, "The red cup!") == "01-the-red-cup"
    assert object_id(12, "***") == "12-object"


def test_document_places_objects_with_clock_hours_and_motion() -> None:
    frames = _frames()
    missing = GroundedObject("the blue cup", np.zeros((2, 480, 640), bool))
    result = VisionResult(
        "ok",
        "segment",
        "fake",
        [_red_object(frames), missing],
        [TextLine("EXIT", (1, 2, 30, 12), 0.97)],
        {"model_ms": 12.34},
    )
    doc = result_document(result, frames, fov_deg=70.0)
    assert doc["schema"] == SCHEMA and doc["task"] == "segment" and doc["timings_ms"] == {"model_ms": 12.3}
    red, blue = doc["objects"]
    # centres x=130 and x=530 of 640: -23 and +25 degrees through a 70-degree lens
    assert red["frames"][0]["clock_hour"] == 11 and red["frames"][1]["clock_hour"] == 1
    assert red["clock_hour"] == 1 and red["box"] == [500, 200, 560, 260]  # position in the last frame
    assert red["motion"] == "moving right"
    assert red["distance_m"] is not None and "1 o'clock" in red["position"]
    assert blue["found"] is False and blue["clock_hour"] is None and "not found" in blue["position"]
    assert doc["text_lines"][0]["text"] == "EXIT"
    json.dumps(doc)  # serialisable as it is


def test_write_outputs_writes_every_mask_and_overlay(tmp_path: Path) -> None:
    frames = _frames()
    result = VisionResult("ok", "segment", "fake", [_red_object(frames)])
    doc = write_outputs(tmp_path, result, frames)
    on_disk = json.loads((tmp_path / "result.json").read_text())
    assert on_disk == doc
    for k, entry in enumerate(doc["objects"][0]["frames"]):
        mask = cv2.imread(str(tmp_path / entry["mask"]), cv2.IMREAD_GRAYSCALE)
        assert mask.shape == (480, 640) and set(np.unique(mask)) == {0, 255}
        assert np.array_equal(mask > 0, result.objects[0].masks[k])
    overlays = sorted(p.name for p in (tmp_path / "overlays").iterdir())
    assert overlays == ["00000.jpg", "00001.jpg"]
    assert load_frames(tmp_path / "overlays" / "00000.jpg")[1][0].image.shape == (480, 640, 3)


def test_overlay_tints_only_the_object_and_labels_it() -> None:
    frame = np.full((200, 300, 3), 128, np.uint8)
    mask = np.zeros((200, 300), bool)
    mask[100:150, 100:200] = True
    out = draw_overlay(frame, [("thing", mask)])
    assert not np.array_equal(out[125, 150], frame[125, 150])  # inside: tinted
    assert np.array_equal(out[10, 290], frame[10, 290])  # far outside: untouched
    label_area = out[75:100, 100:160]
    assert (label_area != 128).any()  # a label box drawn just above the object
