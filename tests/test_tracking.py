"""MaskTracker on synthetic videos whose right answer is known: textured disks moving over a textured
background, an occluder that hides one for a while, a look-alike that enters, several targets.

The detector here is a real implementation of the ``detect`` callback: it returns every disk whose
visible part is big enough, with its visible pixels as the mask, and records the frames it ran on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from sa2va_assist.vision.lite.finder import Found, box_of
from sa2va_assist.vision.lite.tracking import MaskTracker, TrackerOptions

H, W = 270, 480  # frame size in pixels
RADIUS = 36  # disk radius in pixels
RED, ORANGE, GREEN = (210, 40, 40), (215, 120, 30), (40, 170, 60)


@dataclass
class Disk:
    colour: tuple[int, int, int]
    start: tuple[float, float]  # x, y centre at frame 0 (pixels)
    step: tuple[float, float]  # pixels per frame
    enters: int = 0  # first frame it is in the scene
    label: str = "ball"

    def centre(self, t: int) -> tuple[float, float]:
        return self.start[0] + self.step[0] * t, self.start[1] + self.step[1] * t

    def mask(self, t: int) -> np.ndarray:
        if t < self.enters:
            return np.zeros((H, W), bool)
        ys, xs = np.mgrid[0:H, 0:W]
        cx, cy = self.centre(t)
        return (xs - cx) ** 2 + (ys - cy) ** 2 <= RADIUS**2


@dataclass
class Scene:
    disks: list[Disk]
    occluder: tuple[int, int] | None = None  # x0, x1 of a full-height bar in front of everything
    n_frames: int = 40
    calls: list[int] = field(default_factory=list)  # frames the detector ran on

    def __post_init__(self) -> None:
        rng = np.random.default_rng(7)
        background = rng.integers(60, 200, (H // 4 + 1, W // 4 + 1, 3)).astype(np.uint8)
        self.background = np.kron(background, np.ones((4, 4, 1), np.uint8))[:H, :W]  # blocky texture
        blocks = rng.integers(-45, 45, (2 * RADIUS // 6 + 1, 2 * RADIUS // 6 + 1, 1))
        self.shading = np.kron(blocks, np.ones((6, 6, 1), int))  # texture that moves with a disk

    def visible(self, t: int) -> list[np.ndarray]:
        """Each disk's visible pixels at frame t (later disks are in front of earlier ones)."""
        masks = [d.mask(t) for d in self.disks]
        for i in range(len(masks)):
            for later in masks[i + 1 :]:
                masks[i] = masks[i] & ~later
            if self.occluder:
                masks[i][:, self.occluder[0] : self.occluder[1]] = False
        return masks

    def frames(self) -> list[np.ndarray]:
        out = []
        for t in range(self.n_frames):
            frame = self.background.copy()
            for disk in self.disks:
                ys, xs = np.nonzero(disk.mask(t))
                cx, cy = disk.centre(t)
                shade = self.shading[
                    np.clip(ys - round(cy) + RADIUS, 0, 2 * RADIUS),
                    np.clip(xs - round(cx) + RADIUS, 0, 2 * RADIUS),
                ]
                frame[ys, xs] = np.clip(np.array(disk.colour) + shade, 0, 255)
            if self.occluder:
                frame[:, self.occluder[0] : self.occluder[1]] = (90, 90, 200)
                frame[::6, self.occluder[0] : self.occluder[1]] = (30, 30, 120)  # stripes: texture
            out.append(frame)
        return out

    def detect(self, t: int, frame: np.ndarray) -> list[Found]:
        self.calls.append(t)
        found = []
        for disk, mask in zip(self.disks, self.visible(t), strict=True):
            if mask.sum() >= 0.3 * np.pi * RADIUS**2:
                found.append(Found(disk.label, mask, 0.9, box_of(mask)))
        return found


def first(cands: list[Found]) -> list[int]:
    return [0] if cands else []


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


@pytest.mark.parametrize(
    ("bidirectional", "every", "keyframes"),
    [(True, 6, [0, 6, 12, 18, 24, 30, 36, 39]), (False, 4, list(range(0, 40, 4)))],
    ids=["bidirectional", "online"],
)
def test_follows_a_moving_disk_on_the_keyframe_schedule(
    bidirectional: bool, every: int, keyframes: list[int]
) -> None:
    scene = Scene([Disk(RED, (60, 130), (3, 0.5))])
    result = MaskTracker(TrackerOptions(keyframe_every=every, bidirectional=bidirectional)).track(
        scene.frames(), scene.detect, first
    )
    (track,) = result.tracks
    assert scene.calls == result.keyframes == keyframes  # bidirectional: the last frame closes
    assert track.masks.shape == (40, H, W) and track.masks.dtype == bool
    ious = [iou(track.masks[t], scene.visible(t)[0]) for t in range(40)]
    assert min(ious) > 0.8, ious
    assert [t for t, s in enumerate(track.states) if s == "keyframe"] == keyframes
    assert track.states.count("lost") == 0
    assert set(result.timings_ms) >= {"flow", "propagate", "detect", "match"}
    assert 0 < result.tracking_ms_per_frame() < 50


@pytest.mark.parametrize(
    "twin",
    [
        Disk(RED, (440, 240), (0, 0), enters=20),  # looks the same but is far from where it was lost
        Disk(ORANGE, (150, 215), (0, 0), enters=20),  # is near, but looks different
    ],
    ids=["same-colour-far", "other-colour-near"],
)
def test_occlusion_gives_lost_then_found_without_jumping_to_a_look_alike(twin: Disk) -> None:
    scene = Scene([Disk(RED, (120, 120), (4, 0)), twin], occluder=(200, 300), n_frames=60)
    options = TrackerOptions(keyframe_every=6, recheck_every=3)
    result = MaskTracker(options).track(scene.frames(), scene.detect, first)
    track = result.tracks[0]
    shares = [m.sum() / (np.pi * RADIUS**2) for m, _ in map(scene.visible, range(scene.n_frames))]
    hidden = [t for t, share in enumerate(shares) if share == 0]
    for t in range(scene.n_frames):
        target, other = scene.visible(t)
        assert not (track.masks[t] & other).any(), f"frame {t}: the mask moved onto the look-alike"
        if t in hidden:
            assert track.states[t] == "lost" and not track.masks[t].any(), f"frame {t}"
        elif shares[t] > 0.97 and (t < hidden[0] or track.states[t] != "lost"):
            assert iou(track.masks[t], target) > 0.8, f"frame {t}: {track.states[t]}"
    detectable = next(t for t in range(hidden[-1], scene.n_frames) if shares[t] >= 0.3)
    found = next(t for t in range(hidden[-1], scene.n_frames) if track.states[t] == "keyframe")
    assert detectable <= found <= detectable + options.recheck_every
    assert "lost" not in track.states[found:]
    assert len(result.keyframes) <= scene.n_frames // 2  # rechecks while lost, not every frame


def test_several_targets_are_followed_independently() -> None:
    scene = Scene([Disk(RED, (60, 80), (3, 0.5)), Disk(GREEN, (420, 200), (-3, -0.5), label="cup")])
    result = MaskTracker(TrackerOptions(keyframe_every=6)).track(
        scene.frames(), scene.detect, lambda cands: list(range(len(cands)))
    )
    assert [t.label for t in result.tracks] == ["ball", "cup"]
    for k, track in enumerate(result.tracks):
        ious = [iou(track.masks[t], scene.visible(t)[k]) for t in range(scene.n_frames)]
        assert min(ious) > 0.8, (k, ious)
    assert not (result.tracks[0].masks & result.tracks[1].masks).any()
    assert len(scene.calls) == 8  # one detector call per keyframe (0, 6, ..., 36, 39) for both


def test_targets_chosen_late_leave_earlier_frames_empty() -> None:
    scene = Scene([Disk(RED, (60, 130), (5, 0), enters=5)], n_frames=20)
    result = MaskTracker(TrackerOptions(keyframe_every=8, recheck_every=3)).track(
        scene.frames(), scene.detect, first
    )
    track = result.tracks[0]
    assert result.keyframes[:3] == [0, 3, 6]  # nothing to choose at 0 and 3: rechecks
    assert track.states[:6] == ["lost"] * 6 and not track.masks[:6].any()
    assert track.states[6] == "keyframe" and result.keyframes[3] == 14


def test_nothing_chosen_gives_no_tracks_and_no_frames_is_an_error() -> None:
    scene = Scene([Disk(RED, (60, 130), (5, 0))], n_frames=8)
    result = MaskTracker().track(scene.frames(), scene.detect, lambda cands: [])
    assert result.tracks == [] and result.keyframes == [0, 6]
    with pytest.raises(ValueError, match="no frames"):
        MaskTracker().track([], scene.detect, first)
