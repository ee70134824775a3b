"""The real Sa2VA model on synthetic scenes. Needs SA2VA_MODEL_PATH (a downloaded checkpoint) and a
CUDA GPU; skipped with the reason otherwise. SA2VA_MODEL names the checkpoint's hub id when it is not
the default (the family is read from the folder's config.json either way)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest

from sa2va_assist.config import Config, Sa2vaConfig
from sa2va_assist.types import Frame, VisionRequest
from sa2va_assist.vision.sa2va import Sa2vaBackend, load

pytestmark = pytest.mark.needs_weights

W, H = 320, 240
BOX = (100, 60, 180, 140)  # x0, y0, x1, y1 of the red square, pixels


@pytest.fixture(scope="module")
def sa2va() -> Iterator[Sa2vaBackend]:
    path = os.environ.get("SA2VA_MODEL_PATH")
    if not path:
        pytest.skip("SA2VA_MODEL_PATH is not set (a folder with downloaded Sa2VA weights)")
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU: the released Sa2VA code runs on CUDA only")
    sa2va_config = replace(
        Sa2vaConfig(), model_path=path, model=os.environ.get("SA2VA_MODEL", Sa2vaConfig.model)
    )
    yield load(replace(Config(), backend="sa2va", sa2va=sa2va_config))


def scene(dx: int = 0) -> Frame:
    image = np.full((H, W, 3), 255, np.uint8)
    x0, y0, x1, y1 = BOX
    image[y0:y1, x0 + dx : x1 + dx] = (220, 20, 20)
    return Frame(image=image, index=dx, name=f"{dx:05d}")


def truth(dx: int = 0) -> np.ndarray:
    mask = np.zeros((H, W), bool)
    x0, y0, x1, y1 = BOX
    mask[y0:y1, x0 + dx : x1 + dx] = True
    return mask


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_segments_the_red_square(sa2va: Sa2vaBackend) -> None:
    result = sa2va.run(VisionRequest(frames=(scene(),), task="segment", text="Please segment the red square"))
    (obj,) = result.objects
    assert obj.masks.shape == (1, H, W)
    assert iou(obj.masks[0], truth()) > 0.5, result.raw
    assert "[SEG]" not in result.answer and "<|" not in result.answer


def test_video_masks_follow_the_square_in_request_order(sa2va: Sa2vaBackend) -> None:
    shifts = [0, 20, 40, 60, 80, 100, 120]
    result = sa2va.run(
        VisionRequest(frames=tuple(scene(dx) for dx in shifts), task="segment", text="the red square")
    )
    (obj,) = result.objects
    assert obj.masks.shape == (len(shifts), H, W)
    for j, dx in enumerate(shifts):
        assert iou(obj.masks[j], truth(dx)) > 0.5, f"frame {j}"


def test_caption_is_clean_text(sa2va: Sa2vaBackend) -> None:
    result = sa2va.run(VisionRequest(frames=(scene(),), task="caption"))
    assert result.answer and "<|" not in result.answer and "</s>" not in result.answer
    assert result.timings_ms["model_ms"] > 0
