"""Referring phrases followed through video: the referent chosen on a keyframe (preferring the
moving candidate when the phrase says it moves), then masks carried by a tracker (optical flow, or SAM2
when a checkpoint is configured), with the detector run more often on frames sampled far apart.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from ...config import LiteConfig
from ...types import Frame, Target
from .finder import Found
from .objects import Grounding, ObjectFinder, grounded_objects
from .resolving import Candidate, resolve
from .tracking import Detect, MaskTracker, Select, TrackerOptions, TrackResult

# Words that say the referent moves ("the man running", "the car driving down the street", "the person
# riding the scooter"): on video the moving candidate of the class is then preferred.
_MOVING = re.compile(r"\b(\w+ing|moving|walks?|runs?|rides?|drives?)\b")
MOVING_MIN_PX = 1.0  # least motion (pixels per frame at full size, camera motion removed) that counts
MOVING_MARGIN = 2.0  # the moving candidate replaces the resolver's pick when it moves this many times more
MOTION_GAP = 1  # frames between the two images motion is measured on (DIS loses large jumps)


def mentions_motion(ref: Target) -> bool:
    """Whether the phrase says its referent moves (an action word after the noun, or riding)."""
    riding = ref.relation is not None and ref.relation.kind == "riding"
    return riding or bool(_MOVING.search(ref.rest))


def box_motion(first: np.ndarray, later: np.ndarray, boxes: Sequence[Sequence[int]], gap: int) -> list[float]:
    """Per box, pixels per frame its content moved between two (H, W, 3) RGB frames ``gap`` frames
    apart, relative to the whole frame's median motion (so a panning camera does not count)."""
    import cv2

    half = [cv2.resize(f, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA) for f in (first, later)]
    small = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in half]
    flow = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(small[0], small[1], None)  # type: ignore[call-overload]
    background = np.median(flow.reshape(-1, 2), axis=0)
    out = []
    for x0, y0, x1, y1 in boxes:
        region = flow[y0 // 2 : max(y0 // 2 + 1, y1 // 2), x0 // 2 : max(x0 // 2 + 1, x1 // 2)].reshape(-1, 2)
        moved = np.median(region, axis=0) - background if region.size else np.zeros(2)
        out.append(float(np.hypot(*moved)) * 2.0 / max(gap, 1))
    return out


def prefer_moving(
    chosen: list[int], cands: Sequence[Found], ref: Target, motion: Sequence[float]
) -> list[int]:
    """``chosen`` with its first pick replaced by the clearly most moving candidate of the head's class."""
    same = [i for i, c in enumerate(cands) if c.label in ref.classes]
    if not chosen or not same:
        return chosen
    best = max(same, key=lambda i: motion[i])
    if motion[best] >= MOVING_MIN_PX and motion[best] >= MOVING_MARGIN * motion[chosen[0]]:
        return [best, *[i for i in chosen[1:] if i != best]]
    return chosen


def ground_video(
    finder: ObjectFinder, tracker: Tracker, frames: Sequence[Frame], ref: Target, phrase: str
) -> Grounding:
    """Choose the referent on the first keyframe where it resolves, then follow it with masks. For a
    kind ("the animal", "the goat": ``Target.kind``) the detector may call the same animal a dog in one
    frame and a sheep in the next, so it is followed as the kind and reported as the class it was
    chosen as."""
    seen: dict[str, Any] = {}

    def detect(index: int, image: np.ndarray) -> list[Found]:
        seen["image"], seen["index"] = image, index
        found = finder.found(image, ref)
        seen["labels"] = [f.label for f in found]
        return [replace(f, label=ref.kind) for f in found] if ref.kind else found

    def select(cands: list[Found]) -> list[int]:
        cands = [replace(c, label=label) for c, label in zip(cands, seen["labels"], strict=True)]
        resolution = resolve(ref, [Candidate.from_found(c) for c in cands], seen["image"])
        if resolution.chosen or "resolution" not in seen:
            seen["resolution"], seen["frame"] = resolution, seen["index"]
            seen["boxes"] = [c.box for c in cands]
        chosen = list(resolution.chosen)
        if chosen and mentions_motion(ref) and len(frames) > 1:
            i = seen["index"]
            later = min(i + MOTION_GAP, len(frames) - 1) if i + 1 < len(frames) else max(i - MOTION_GAP, 0)
            motion = box_motion(frames[i].image, frames[later].image, [c.box for c in cands], abs(later - i))
            chosen = prefer_moving(chosen, cands, ref, motion)
        if chosen:
            seen.setdefault("chosen", [cands[i].label for i in chosen])
        return chosen

    result = spaced_for(tracker, frames).track([f.image for f in frames], detect, select)
    finder.timings_ms["track_ms"] = result.tracking_ms_per_frame() * result.n_frames
    # a track is as sure as the best detection it was matched on: doubt is said on video too
    labels = seen.get("chosen", [])
    tracks = [
        (labels[k] if ref.kind and k < len(labels) else t.label, t.masks, 1.0 if t.score is None else t.score)
        for k, t in enumerate(result.tracks)
    ]
    objects = grounded_objects(phrase, ref, tracks)
    return Grounding(objects, seen.get("resolution"), seen.get("frame", 0), seen.get("boxes", []))


class Tracker(Protocol):
    """Follows the targets ``select`` picks among ``detect``'s candidates through ``frames``:
    ``MaskTracker`` (optical flow, real time) or ``Sam2Tracker`` (SAM2, when a checkpoint is set)."""

    def track(self, frames: Sequence[np.ndarray], detect: Detect, select: Select) -> TrackResult: ...


def frame_gap(frames: Sequence[Frame]) -> int:
    """Median number of source frames between consecutive ``frames`` (1 for consecutive frames or
    fewer than two)."""
    gaps = [b.index - a.index for a, b in itertools.pairwise(frames)]
    return max(1, int(np.median(gaps))) if gaps else 1


def spaced_for(tracker: Tracker, frames: Sequence[Frame]) -> Tracker:
    """The tracker for ``frames``: when they were sampled far apart (a long video brought down to
    ``input.max_frames``, a camera window), optical flow cannot carry masks across the jumps, so the
    detector runs ``gap`` times as often (every frame from a gap of ``keyframe_every`` on). Dev DAVIS,
    mean J with every 2nd / 4th / 8th frame: 54.3 / 49.4 / 39.5 at the usual schedule, 57.0 / 60.0 /
    45.3 with this one (BENCHMARKS.md). SAM2 keeps its own memory and is returned as it is."""
    gap = frame_gap(frames)
    if gap <= 1 or not isinstance(tracker, MaskTracker) or tracker.options.keyframe_every <= 0:
        return tracker
    every = max(1, round(tracker.options.keyframe_every / gap))
    return MaskTracker(replace(tracker.options, keyframe_every=every))


def build_tracker(config: LiteConfig) -> Tracker:
    """SAM2 propagation when ``config.sam2_checkpoint`` names a checkpoint, else the optical-flow mask
    tracker with the configured detector schedule (its other options are the measured defaults)."""
    if config.sam2_checkpoint:
        from .sam2_track import load_sam2_tracker

        return load_sam2_tracker(config.sam2_config, config.sam2_checkpoint)
    return MaskTracker(TrackerOptions(keyframe_every=config.keyframe_every))
