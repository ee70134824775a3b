"""Keyframe order, mask order restore, mask fitting/resizing and frame conversion. Pure tables."""

from __future__ import annotations

import numpy as np
import pytest

from sa2va_assist.errors import ConfigError, InputError
from sa2va_assist.vision.sa2va_frames import (
    fit_frames,
    keyframe_indices,
    keyframe_order,
    resize_nearest,
    restore_order,
    same_size,
    to_pil,
)


@pytest.mark.parametrize(
    ("n", "k", "strategy", "keys"),
    [
        (8, 5, "uniform", [0, 2, 4, 5, 7]),
        (100, 5, "uniform", [0, 25, 50, 74, 99]),
        (5, 5, "uniform", [0, 1, 2, 3, 4]),
        (3, 5, "uniform", [0, 1, 2]),
        (10, 1, "uniform", [0]),
        (10, 2, "uniform", [0, 9]),
        (8, 5, "first", [0, 1, 2, 3, 4]),
        (8, 5, "last", [3, 4, 5, 6, 7]),
        (2, 5, "last", [0, 1]),
        (1, 5, "uniform", [0]),
        (0, 5, "uniform", []),
    ],
)
def test_keyframe_indices(n: int, k: int, strategy: str, keys: list[int]) -> None:
    assert keyframe_indices(n, k, strategy) == keys


@pytest.mark.parametrize(
    ("n", "k", "strategy"), [(8, 5, "uniform"), (8, 3, "last"), (20, 5, "first"), (4, 5, "last")]
)
def test_keyframe_order_is_a_permutation_with_keys_first(n: int, k: int, strategy: str) -> None:
    order = keyframe_order(n, k, strategy)
    keys = keyframe_indices(n, k, strategy)
    assert sorted(order) == list(range(n))
    assert order[: len(keys)] == keys
    rest = order[len(keys) :]
    assert rest == sorted(rest)


@pytest.mark.parametrize(("k", "strategy"), [(5, "random"), (0, "uniform"), (-1, "first")])
def test_bad_keyframe_settings(k: int, strategy: str) -> None:
    with pytest.raises(ConfigError):
        keyframe_indices(8, k, strategy)


def test_restore_order_inverts_the_keyframe_order() -> None:
    n = 9
    original = np.zeros((n, 1, n), bool)
    original[np.arange(n), 0, np.arange(n)] = True  # frame i marks column i
    order = keyframe_order(n, 5, "uniform")
    passed = original[order]  # what the model returns: masks in passed order
    assert np.array_equal(restore_order(passed, order), original)
    with pytest.raises(ValueError):
        restore_order(passed[:3], order)


@pytest.mark.parametrize(("have", "want"), [(3, 3), (5, 3), (2, 4)])
def test_fit_frames(have: int, want: int) -> None:
    masks = np.ones((have, 2, 2), bool)
    fitted = fit_frames(masks, want)
    assert fitted.shape == (want, 2, 2)
    assert fitted[: min(have, want)].all() and not fitted[have:].any()


@pytest.mark.parametrize(
    ("src", "dst"), [((4, 6), (8, 12)), ((8, 12), (4, 6)), ((4, 6), (4, 6)), ((3, 5), (7, 2))]
)
def test_resize_nearest(src: tuple[int, int], dst: tuple[int, int]) -> None:
    masks = np.zeros((2, *src), bool)
    masks[0, : src[0] // 2] = True  # top half
    out = resize_nearest(masks, *dst)
    assert out.shape == (2, *dst) and out.dtype == np.bool_
    assert not out[1].any()
    if src[0] % 2 == 0 and dst[0] % 2 == 0:
        assert out[0, : dst[0] // 2].all() and not out[0, dst[0] // 2 :].any()


@pytest.mark.parametrize(
    ("array", "pixel"),
    [
        (np.full((2, 3, 3), (10, 20, 30), np.uint8), (10, 20, 30)),
        (np.full((2, 3), 7, np.uint8), (7, 7, 7)),
        (np.full((2, 3, 1), 7, np.uint8), (7, 7, 7)),
        (np.full((2, 3, 4), (1, 2, 3, 255), np.uint8), (1, 2, 3)),
        (np.full((2, 3, 3), 0.5, np.float32), (127, 127, 127)),
        (np.full((2, 3, 3), 300, np.int32), (255, 255, 255)),
    ],
)
def test_to_pil(array: np.ndarray, pixel: tuple[int, int, int]) -> None:
    image = to_pil(array)
    assert image.mode == "RGB" and image.size == (3, 2)
    assert image.getpixel((0, 0)) == pixel


@pytest.mark.parametrize("shape", [(2, 3, 2), (2,), (0, 3, 3)])
def test_to_pil_rejects_non_images(shape: tuple[int, ...]) -> None:
    with pytest.raises(InputError):
        to_pil(np.zeros(shape, np.uint8))


def test_same_size_resizes_to_the_first_frame() -> None:
    images = [to_pil(np.zeros((4, 6, 3), np.uint8)), to_pil(np.zeros((8, 12, 3), np.uint8))]
    assert [im.size for im in same_size(images)] == [(6, 4), (6, 4)]
    assert same_size([]) == []
