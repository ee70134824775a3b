"""The optional SAM2 tracking path, run for real with the sam2 package's tiny model built with random
weights (no checkpoint exists here): shapes, dtypes, objects and frames, state building and errors.

Random weights say nothing about mask quality, only that the predictor's real code path runs end to end.
The default tests run the model at a 128 x 128 input (seconds); the one at the trained 1024 x 1024 input
is marked slow (~10 s a frame on 2 CPU cores).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sam2", reason="sam2 is not installed")
torch = pytest.importorskip("torch", reason="torch is not installed")

from sa2va_assist.errors import ModelError  # noqa: E402
from sa2va_assist.vision.lite.finder import Found, box_of  # noqa: E402
from sa2va_assist.vision.lite.sam2_track import (  # noqa: E402
    Sam2Tracker,
    _init_state,
    load_sam2_tracker,
    sam2_configs,
)

TINY = "configs/sam2.1/sam2.1_hiera_t.yaml"
SMALL_INPUT = 128  # pixels: the model's square input in the fast tests


def video(n: int = 4, h: int = 48, w: int = 64) -> list[np.ndarray]:
    """A bright square drifting right over a noisy background, (H, W, 3) uint8 RGB."""
    rng = np.random.default_rng(3)
    frames = []
    for t in range(n):
        frame = rng.integers(0, 90, (h, w, 3), dtype=np.uint8)
        frame[10:30, 8 + 3 * t : 28 + 3 * t] = (230, 200, 40)
        frames.append(frame)
    return frames


def square(t: int, h: int = 48, w: int = 64) -> np.ndarray:
    mask = np.zeros((h, w), bool)
    mask[10:30, 8 + 3 * t : 28 + 3 * t] = True
    return mask


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Torch's threads spin while they wait: on 2 cores shared with other work, 2 threads ran these
    tests 30x slower (16 s instead of 0.5 s a test) than 1 thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tracker() -> Sam2Tracker:
    torch.manual_seed(0)
    return load_sam2_tracker(TINY, None, image_size=SMALL_INPUT, recheck_every=2)


def test_propagate_gives_one_bool_mask_stack_per_prompt(tracker: Sam2Tracker) -> None:
    frames = video()
    masks = tracker.propagate(frames, 1, [square(1), (40, 5, 60, 40)])  # a mask and a box, from frame 1
    assert len(masks) == 2
    for m in masks:
        assert m.shape == (4, 48, 64) and m.dtype == bool


def test_track_follows_what_select_chooses_once_it_chooses(tracker: Sam2Tracker) -> None:
    frames, calls = video(), []

    def detect(t: int, frame: np.ndarray) -> list[Found]:
        calls.append(t)
        return [
            Found("box", square(t), 0.9, box_of(square(t))),
            Found("box", square(0), 0.5, (8, 10, 28, 30)),
        ]

    result = tracker.track(frames, detect, lambda cands: [0, 1] if len(calls) > 1 else [])
    assert calls == result.keyframes == [0, 2]  # nothing chosen at 0; recheck 2 frames later
    assert [t.label for t in result.tracks] == ["box", "box"]
    for track in result.tracks:
        assert track.masks.shape == (4, 48, 64) and track.masks.dtype == bool
        assert len(track.states) == 4 and track.states[2] == "keyframe"
        assert set(track.states) <= {"keyframe", "tracked", "lost"}
    assert result.timings_ms["propagate"] > 0


def test_nothing_chosen_gives_no_tracks(tracker: Sam2Tracker) -> None:
    result = tracker.track(video(), lambda t, f: [], lambda cands: [])
    assert result.tracks == [] and result.keyframes == [0, 2]


def test_in_memory_state_is_the_one_sam2_builds_from_a_jpeg_folder(
    tracker: Sam2Tracker, tmp_path: Path
) -> None:
    from PIL import Image

    frames = video(n=2)
    for i, frame in enumerate(frames):  # PNG bytes under .jpg names: sam2's loader, no JPEG loss
        Image.fromarray(frame).save(tmp_path / f"{i:05d}.jpg", format="PNG")
    theirs: dict[str, Any] = tracker.predictor.init_state(str(tmp_path))
    ours = _init_state(tracker.predictor, frames)
    assert set(ours) == set(theirs)
    for key in ("num_frames", "video_height", "video_width", "device", "storage_device"):
        assert ours[key] == theirs[key], key
    for i in range(len(frames)):
        assert torch.equal(ours["images"][i], theirs["images"][i].cpu())


def test_unknown_config_and_missing_or_unfit_checkpoint_are_model_errors(tmp_path: Path) -> None:
    assert TINY in sam2_configs()
    with pytest.raises(ModelError, match="unknown SAM2 config") as err:
        load_sam2_tracker("configs/sam2.1/sam2.1_hiera_tiny.yaml", None)
    assert TINY in err.value.hint
    with pytest.raises(ModelError, match="no SAM2 checkpoint at"):
        load_sam2_tracker(TINY, tmp_path / "absent.pt")
    unfit = tmp_path / "unfit.pt"
    torch.save({"model": {"not_a_weight": torch.zeros(1)}}, unfit)
    with pytest.raises(ModelError, match="could not build SAM2"):
        load_sam2_tracker(TINY, unfit, image_size=SMALL_INPUT)


@pytest.mark.slow
def test_trained_input_size_runs_and_is_timed() -> None:
    torch.manual_seed(0)
    tracker = load_sam2_tracker(TINY, None)
    assert tracker.predictor.image_size == 1024
    start = time.perf_counter()
    (masks,) = tracker.propagate(video(n=2), 0, [square(0)])
    seconds = time.perf_counter() - start
    assert masks.shape == (2, 48, 64) and masks.dtype == bool
    print(f"SAM2 tiny at 1024 x 1024 on the CPU: {seconds / 2:.1f} s a frame")
