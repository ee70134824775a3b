"""Follow the chosen objects of a video with masks, in real time on two CPU cores.

A detector call costs ~0.15 s on a CPU, so it runs on keyframes only; optical flow carries masks between.

* Keyframes: frame 0, every ``keyframe_every`` frames, every ``recheck_every`` while a target is lost,
  unconfirmed or not chosen yet, the frame after a mask vanished, and (bidirectional) the last frame.
  ``select`` chooses the targets there until it chooses some; afterwards each target takes the
  candidate of its label with the best IoU with its warped mask (histogram distance breaks ties; one
  candidate per target, best pairs first), whose mask replaces the target's.
* Between keyframes: DIS flow from frame t to t-1 around all live targets at once (as many pixels as
  the frame at ``flow_scale``, so small objects get a finer flow); each soft mask (uint8, 255 = in) is
  backward-warped with ``cv2.remap``; a pixel is in at one half. ``bidirectional``: each keyframe also
  warps its mask back through the stretch before it and every frame takes the nearer keyframe's mask
  where the two disagree, so a stretch's masks are final at its closing keyframe.
* Lost: after ``misses_to_lose`` keyframes in a row without a match, or when the warped mask shrinks
  under ``min_area_ratio`` of its keyframe area. Lost masks are empty; only a candidate of the label
  that looks alike (``refind_distance``) near where it was lost (a radius growing with time) ends it.

Dev DAVIS (854x480), the true mask as the only candidate: J&F 88.7 at K=8 (83.8 without the backward
pass; 82.1 with masks 5 px off), 6-8 ms a frame on 2 shared cores: ~32 fps with a 0.15 s detector.
Frames are (H, W, 3) uint8 RGB, masks (H, W) bool (``sa2va_assist.types``); one tracker per thread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from .finder import Found

State = Literal["keyframe", "tracked", "lost"]
Detect = Callable[[int, np.ndarray], list[Found]]  # (frame index, RGB frame) -> candidates
Select = Callable[[list[Found]], list[int]]  # candidates -> indices of the targets; [] = none yet

STAGES = ("prepare", "flow", "propagate", "detect", "select", "match")
_ON = 128  # soft masks are uint8 0..255; a pixel is in the mask at >= one half
_HIST_BINS = [16, 4, 4]  # hue, saturation, value bins of the appearance histogram
_HIST_RANGES = [0, 180, 0, 256, 0, 256]  # OpenCV's 8-bit HSV ranges
_TIE_WEIGHT = 0.1  # histogram distance (0..1) counts this much against IoU when matching
_HIST_KEEP = 0.75  # appearance update on each match: keep this share of the old histogram
_NEVER = 1 << 40  # a frame index no video reaches
_PAD_PX, _PAD_SHARE = 16, 0.25  # flow region: the masks' box grown by 16 px + 25% of its longer side
_MIN_FLOW_PX = 32  # smallest side of the image the flow is computed on (DIS needs a few patches)
# Where a flow was computed (rows, columns of the frame) and its (rows, cols, 2) float32 map from each
# of those pixels to (x, y) in the other frame.
_Region = tuple[slice, slice, np.ndarray]


@dataclass(frozen=True)
class TrackerOptions:
    """How often to detect, how to carry masks, when a target is lost (defaults measured on DAVIS)."""

    keyframe_every: int = 8  # frames between scheduled detector calls; 0 = only when one is needed
    recheck_every: int = 6  # frames between detector calls while a target is lost or unconfirmed
    flow_scale: float = 0.35  # flow budget: as many pixels as the frame at this scale (a region: finer)
    flow_preset: int = cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST  # a cv2.DISOPTICAL_FLOW_PRESET_* value
    flow_finest: int = 1  # DIS finest pyramid level: the flow field is flow_scale / 2**flow_finest
    bidirectional: bool = True  # also warp each keyframe's mask backwards (masks final one stretch late)
    match_iou: float = 0.2  # least mask IoU of warped mask and candidate that continues a track ...
    match_distance: float = 0.7  # ... and largest histogram distance (0..1): no switch to another colour
    misses_to_lose: int = 2  # keyframes in a row without a matching candidate that make a target lost
    min_area_ratio: float = 0.1  # warped mask under this share of its last keyframe area -> lost
    refind_distance: float = 0.5  # largest histogram distance (0..1) at which a lost target is found
    refind_radius: float = 0.15  # how far (share of the frame diagonal) from where it was lost ...
    refind_growth: float = 0.01  # ... plus this share of the diagonal per frame lost


@dataclass
class Track:
    """One followed object."""

    label: str  # the candidate's class label
    masks: np.ndarray  # (n_frames, H, W) bool; empty where lost and before the target was chosen
    states: list[State]  # per frame; "lost" also before the frame the target was chosen on
    score: float | None = None  # the best detection score of the keyframes it was matched on


@dataclass
class TrackResult:
    """Every target's masks and states, the frames the detector ran on, and where the time went."""

    tracks: list[Track]  # one per target, in the order ``select`` gave them; [] if none was chosen
    keyframes: list[int]  # frame indices the detector ran on
    n_frames: int
    timings_ms: dict[str, float] = field(default_factory=dict)  # total milliseconds per stage (STAGES)

    def tracking_ms_per_frame(self) -> float:
        """Milliseconds per frame of everything but the ``detect`` and ``select`` calls."""
        own = sum(ms for stage, ms in self.timings_ms.items() if stage not in ("detect", "select"))
        return own / max(self.n_frames, 1)


class _Target:
    """A track's running state (internal)."""

    def __init__(self, label: str, n_frames: int, shape: tuple[int, int]) -> None:
        self.track = Track(label, np.zeros((n_frames, *shape), bool), ["lost"] * n_frames)
        self.soft = np.zeros(shape, np.uint8)  # current mask, 0..255
        self.key_area, self.misses, self.lost = 0, 0, True  # keyframe mask pixels, keyframes unmatched
        self.since = 0  # frame from which it has been followed without a break (lost: where it was lost)
        self.centre = (0.0, 0.0)  # x, y pixels where it was last seen
        self.hist: np.ndarray | None = None  # appearance model

    def take(self, cand: Found, hist: np.ndarray, t: int) -> None:
        """Continue (or resume) the track on ``cand``: its mask replaces the soft mask."""
        if cand.mask.shape != self.soft.shape:
            raise ValueError(f"a candidate mask is {cand.mask.shape}, frames are {self.soft.shape}")
        np.multiply(cand.mask, 255, out=self.soft, casting="unsafe")
        self.track.score = max(self.track.score or 0.0, float(cand.score))
        if self.lost:
            self.since = t
        self.key_area, self.misses, self.lost = cand.area, 0, False
        self.centre = ((cand.box[0] + cand.box[2]) / 2, (cand.box[1] + cand.box[3]) / 2)
        self.hist = hist if self.hist is None else _HIST_KEEP * self.hist + (1 - _HIST_KEEP) * hist

    def lose(self, t: int) -> None:
        ys, xs = np.nonzero(self.soft >= _ON)
        if xs.size:
            self.centre = (float(xs.mean()), float(ys.mean()))
        self.soft[:] = 0
        self.lost, self.since, self.misses = True, t, 0


class MaskTracker:
    """Carries keyframe masks with optical flow. Build once, ``track`` many videos (one at a time)."""

    def __init__(self, options: TrackerOptions | None = None) -> None:
        self.options = options or TrackerOptions()
        self._dis = cv2.DISOpticalFlow.create(self.options.flow_preset)
        self._dis.setFinestScale(self.options.flow_finest)
        self._grid = np.zeros((0, 0, 2), np.float32)  # full-resolution pixel coordinates (x, y)
        self._map = np.zeros(0, np.float32)  # flat buffer for the flow maps of regions
        self._spare = np.zeros((0, 0), np.uint8)  # warp destination, swapped with a soft mask
        self._timings: dict[str, float] = {}

    def track(self, frames: Sequence[np.ndarray], detect: Detect, select: Select) -> TrackResult:
        """Follow the targets ``select`` picks through ``frames`` (each (H, W, 3) uint8 RGB, one size).

        ``detect(i, frames[i])`` runs on keyframes only and returns candidates with (H, W) bool masks;
        ``select(candidates)`` runs on keyframes until it returns indices (the targets, plural phrases
        give several, each followed on its own).
        """
        if len(frames) == 0:
            raise ValueError("no frames to track")
        o, n = self.options, len(frames)
        h, w = frames[0].shape[:2]
        if self._grid.shape[:2] != (h, w):
            self._grid = np.dstack(
                np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            )
            self._map, self._spare = np.empty(h * w * 2, np.float32), np.zeros((h, w), np.uint8)
        self._timings = dict.fromkeys(STAGES, 0.0)
        targets: list[_Target] = []
        keyframes: list[int] = []
        stretch: list[np.ndarray] = []  # grey frames since the last keyframe, for the backward warp
        next_key = 0
        for t, frame in enumerate(frames):
            if frame.shape[:2] != (h, w):
                raise ValueError(f"frame {t} is {frame.shape[:2]}, frame 0 is {(h, w)}; resize first")
            with self._stage("prepare"):
                gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
            live = [g for g in targets if not g.lost]
            if live and stretch:
                region = self._flow(gray, stretch[-1], [g.soft for g in live])
                with self._stage("propagate"):
                    for g in live:
                        g.soft = self._warp(g.soft, region)
                        if np.count_nonzero(g.soft >= _ON) < max(1.0, o.min_area_ratio * g.key_area):
                            g.lose(t)  # shrank away: occluded or left the frame
                            next_key = min(next_key, t + 1)
            stretch.append(gray)
            matched: set[int] = set()
            if t >= next_key:
                keyframes.append(t)
                with self._stage("detect"):
                    cands = detect(t, frame)
                if not targets:
                    with self._stage("select"):
                        chosen = select(cands)
                    targets = [_Target(cands[j].label, n, (h, w)) for j in chosen]
                    for g, j in zip(targets, chosen, strict=True):
                        g.take(cands[j], _hist(frame, cands[j]), t)
                    matched = set(range(len(targets)))
                else:
                    with self._stage("match"):
                        matched = self._match(targets, cands, frame, t)
                    if o.bidirectional:
                        self._backward([targets[i] for i in sorted(matched)], stretch, t)
                stretch = [gray]
                next_key = t + self._gap(targets)
                if o.bidirectional and targets:
                    next_key = min(next_key, n - 1)  # the last stretch is closed by a keyframe too
            for i, g in enumerate(targets):
                np.greater_equal(g.soft, _ON, out=g.track.masks[t])
                g.track.states[t] = "lost" if g.lost else "keyframe" if i in matched else "tracked"
        return TrackResult([g.track for g in targets], keyframes, n, dict(self._timings))

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self._timings[name] += (time.perf_counter() - start) * 1000

    def _flow(self, gray: np.ndarray, other: np.ndarray, masks: list[np.ndarray]) -> _Region:
        """Flow from ``gray``'s frame to ``other``'s over the region the ``masks`` (in ``other``'s
        frame) can reach, at the scale that costs as many pixels as the frame at ``flow_scale``."""
        with self._stage("flow"):
            h, w = gray.shape
            boxes = [cv2.boundingRect(m) for m in masks]
            x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
            x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
            pad = _PAD_PX + round(_PAD_SHARE * max(x1 - x0, y1 - y0))
            x0, y0, x1, y1 = max(x0 - pad, 0), max(y0 - pad, 0), min(x1 + pad, w), min(y1 + pad, h)
            scale = min(1.0, self.options.flow_scale * math.sqrt(h * w / ((x1 - x0) * (y1 - y0))))
            size = (max(_MIN_FLOW_PX, round((x1 - x0) * scale)), max(_MIN_FLOW_PX, round((y1 - y0) * scale)))
            pair = [cv2.resize(g[y0:y1, x0:x1], size, interpolation=cv2.INTER_LINEAR) for g in (gray, other)]
            flow = self._dis.calc(pair[0], pair[1], None)  # type: ignore[call-overload]
            flow_map = self._map[: (y1 - y0) * (x1 - x0) * 2].reshape(y1 - y0, x1 - x0, 2)
            cv2.resize(flow, (x1 - x0, y1 - y0), dst=flow_map, interpolation=cv2.INTER_LINEAR)
            cv2.multiply(flow_map, ((x1 - x0) / size[0], (y1 - y0) / size[1], 0, 0), dst=flow_map)  # type: ignore[call-overload]
            cv2.add(flow_map, self._grid[y0:y1, x0:x1], dst=flow_map)
            return slice(y0, y1), slice(x0, x1), flow_map

    def _warp(self, soft: np.ndarray, region: _Region) -> np.ndarray:
        """``soft`` carried along the region's map (empty outside it); ``soft`` becomes the spare."""
        warped, self._spare = self._spare, soft
        warped.fill(0)
        rows, cols, flow_map = region
        warped[rows, cols] = cv2.remap(soft, flow_map, None, cv2.INTER_LINEAR)  # type: ignore[call-overload]
        return warped

    def _backward(self, matched: list[_Target], stretch: list[np.ndarray], t: int) -> None:
        """Blend the keyframe masks of ``matched`` warped back through the stretch ending at ``t``
        into the forward masks already written, for targets followed through the whole stretch."""
        start = t - len(stretch) + 1
        todo = [(g, g.soft.copy()) for g in matched if g.since < t]
        for k in range(len(stretch) - 2, 0, -1):
            frame = start + k
            todo = [(g, back) for g, back in todo if g.since < frame and back.any()]
            if not todo:
                return
            region = self._flow(stretch[k], stretch[k + 1], [back for _, back in todo])
            with self._stage("propagate"):
                weight = k / (len(stretch) - 1)  # share of the backward mask: nearness to frame t
                for i, (g, back) in enumerate(todo):
                    todo[i] = (g, self._warp(back, region))
                    forward = g.track.masks[frame].view(np.uint8)
                    blend = cv2.addWeighted(todo[i][1], weight, forward, 255 * (1 - weight), 0)
                    np.greater_equal(blend, _ON, out=g.track.masks[frame])

    def _match(self, targets: list[_Target], cands: list[Found], frame: np.ndarray, t: int) -> set[int]:
        """Give each target at most one candidate; returns the indices of the targets that got one."""
        o, hists = self.options, [_hist(frame, c) for c in cands]
        pairs: list[tuple[float, int, int]] = []
        for i, g in enumerate(targets):
            mask = g.soft >= _ON
            for j, c in enumerate(cands):
                if not g.lost and c.label == g.track.label:
                    iou, distance = _iou(mask, c.mask), _distance(g.hist, hists[j])
                    if iou >= o.match_iou and distance <= o.match_distance:
                        pairs.append((iou - _TIE_WEIGHT * distance, i, j))
        matched: dict[int, int] = {}  # target -> candidate
        for _, i, j in sorted(pairs, reverse=True):
            if i not in matched and j not in matched.values():
                matched[i] = j
                targets[i].take(cands[j], hists[j], t)
        diagonal = math.hypot(*frame.shape[:2])
        for i, g in enumerate(targets):
            if i in matched:
                continue
            if not g.lost:
                g.misses += 1
                if g.misses < o.misses_to_lose:
                    continue
                g.lose(t)  # ... and may be found again right here, by looks and place
            radius = diagonal * (o.refind_radius + o.refind_growth * (t - g.since))
            near = [
                (_distance(g.hist, hists[j]), j)
                for j, c in enumerate(cands)
                if c.label == g.track.label
                and j not in matched.values()
                and math.dist(((c.box[0] + c.box[2]) / 2, (c.box[1] + c.box[3]) / 2), g.centre) <= radius
            ]
            distance, j = min(near, default=(math.inf, -1))
            if distance <= o.refind_distance:
                g.take(cands[j], hists[j], t)
                matched[i] = j
        return set(matched)

    def _gap(self, targets: list[_Target]) -> int:
        """Frames until the next keyframe."""
        if not targets or any(g.lost or g.misses for g in targets):
            return max(1, self.options.recheck_every)
        return self.options.keyframe_every if self.options.keyframe_every > 0 else _NEVER


def _hist(frame: np.ndarray, cand: Found) -> np.ndarray:
    """Normalised HSV histogram of the candidate's pixels (computed inside its box only)."""
    x0, y0, x1, y1 = cand.box
    crop = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([crop], [0, 1, 2], cand.mask[y0:y1, x0:x1].astype(np.uint8), _HIST_BINS, _HIST_RANGES)
    return hist / max(float(hist.sum()), 1.0)


def _distance(a: np.ndarray | None, b: np.ndarray) -> float:
    """Bhattacharyya distance: 0 same colours .. 1 nothing in common (or nothing to compare)."""
    if a is None or not a.any() or not b.any():
        return 1.0
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 0.0 if union == 0 else np.count_nonzero(a & b) / union
