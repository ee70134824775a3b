"""Frames in, masks out: keyframe order for Sa2VA video calls and the mask bookkeeping back. Pure.

Only the first 5 frames passed to ``predict_forward`` reach the language model (every frame reaches
SAM2). So the frames the model should *read* are put first, the rest follow in their original order,
and the returned masks, which come back in that passed order, are put back into the request's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

import numpy as np
from PIL import Image

from ..errors import ConfigError, InputError

KeyframeStrategy = Literal["uniform", "first", "last"]
KEYFRAME_STRATEGIES: tuple[KeyframeStrategy, ...] = ("uniform", "first", "last")
LM_FRAMES = 5  # frames of a video the language model reads (modeling_sa2va_chat.py: frame_idx < 5)


def keyframe_indices(n_frames: int, num_keyframes: int, strategy: str) -> list[int]:
    """Which frames (indices into the clip, ascending) the language model should read.

    ``uniform``: spread evenly from the first to the last frame; ``first``: the opening frames;
    ``last``: the most recent frames (a live camera). ``num_keyframes`` is capped at ``n_frames``.
    """
    if strategy not in KEYFRAME_STRATEGIES:
        raise ConfigError(
            f"unknown keyframe strategy '{strategy}'",
            f"Set sa2va.keyframes to one of: {', '.join(KEYFRAME_STRATEGIES)}.",
        )
    if num_keyframes < 1:
        raise ConfigError(f"sa2va.num_keyframes must be at least 1, got {num_keyframes}")
    k = min(num_keyframes, n_frames)
    if k <= 0:
        return []
    if strategy == "first":
        return list(range(k))
    if strategy == "last":
        return list(range(n_frames - k, n_frames))
    if k == 1:
        return [0]
    # Spacing is >= 1 frame when k <= n_frames, so rounding never produces duplicates.
    return [round(float(x)) for x in np.linspace(0, n_frames - 1, k)]


def keyframe_order(n_frames: int, num_keyframes: int, strategy: str) -> list[int]:
    """A permutation of ``range(n_frames)``: the keyframes first, then every other frame in order.

    ``order[i]`` is the request index of the i-th frame passed to the model.
    """
    keys = keyframe_indices(n_frames, num_keyframes, strategy)
    chosen = set(keys)
    return keys + [i for i in range(n_frames) if i not in chosen]


def restore_order(masks: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """Masks (n_frames, H, W) in the order passed to the model -> the request's frame order."""
    if len(order) != masks.shape[0]:
        raise ValueError(f"{masks.shape[0]} mask frames for an order of {len(order)} frames")
    restored = np.empty_like(masks)
    restored[np.asarray(order, dtype=np.intp)] = masks
    return restored


def fit_frames(masks: np.ndarray, n_frames: int) -> np.ndarray:
    """Masks with exactly ``n_frames`` frames: missing frames are empty, extra ones are dropped.

    A single-frame mask for a multi-frame request is not repeated: SAM2 tracks per frame, so a
    frame without a mask from the model has no mask here either.
    """
    have = masks.shape[0]
    if have == n_frames:
        return masks
    if have > n_frames:
        return masks[:n_frames]
    pad = np.zeros((n_frames - have, *masks.shape[1:]), dtype=masks.dtype)
    return np.concatenate([masks, pad], axis=0)


def resize_nearest(masks: np.ndarray, height: int, width: int) -> np.ndarray:
    """(n, h, w) bool masks resampled to (n, height, width) by nearest neighbour (pixel centres)."""
    h, w = masks.shape[1:]
    if (h, w) == (height, width):
        return masks
    rows = np.minimum(((np.arange(height) + 0.5) * h / height).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * w / width).astype(np.intp), w - 1)
    return masks[:, rows[:, None], cols[None, :]]


def to_pil(image: np.ndarray) -> Image.Image:
    """A frame array, (H, W, 3) uint8 RGB (also (H, W), (H, W, 1) or (H, W, 4)), as a PIL RGB image."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or array.size == 0:
        raise InputError(f"a frame must be an (H, W, 3) RGB array, got shape {array.shape}")
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and array.size and float(np.nanmax(array)) <= 1.0:
            array = array * 255.0
        array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(array)).convert("RGB")


def same_size(images: Sequence[Image.Image]) -> list[Image.Image]:
    """Frames of one video at the first frame's size: the model reads ``video[0].size`` for every
    mask, so a frame of another size is resized (bilinear) to match."""
    if not images:
        return []
    size = images[0].size
    return [im if im.size == size else im.resize(size, Image.Resampling.BILINEAR) for im in images]


def as_strategy(value: str) -> KeyframeStrategy:
    """``value`` checked against ``KEYFRAME_STRATEGIES``."""
    keyframe_indices(1, 1, value)
    return cast(KeyframeStrategy, value)


__all__ = [
    "KEYFRAME_STRATEGIES",
    "LM_FRAMES",
    "KeyframeStrategy",
    "as_strategy",
    "fit_frames",
    "keyframe_indices",
    "keyframe_order",
    "resize_nearest",
    "restore_order",
    "same_size",
    "to_pil",
]
