from pathlib import Path

import cv2
import numpy as np
import pytest

from sa2va_assist.errors import InputError
from sa2va_assist.io.sources import load_frames, uniform_indices
from tests.conftest import paint_scene, write_rgb, write_video


def test_image_is_rgb_at_its_size(scene_png: Path) -> None:
    info, frames = load_frames(scene_png)
    assert info.kind == "image" and len(frames) == 1
    image = frames[0].image
    assert image.shape == (480, 640, 3) and image.dtype == np.uint8
    assert tuple(image[230, 500]) == (255, 0, 0)  # red stays red: BGR was converted to RGB


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".bmp", ".tiff"])
def test_every_image_format_reads(tmp_path: Path, suffix: str) -> None:
    path = write_rgb(tmp_path / f"scene{suffix}", paint_scene())
    _, frames = load_frames(path)
    assert frames[0].image.shape == (480, 640, 3)
    assert frames[0].image[230, 500, 0] > 200 and frames[0].image[230, 500, 2] < 60


def test_grey_rgba_and_16_bit_are_converted(tmp_path: Path) -> None:
    grey = np.full((50, 60), 77, np.uint8)
    cv2.imwrite(str(tmp_path / "grey.png"), grey)
    rgba = np.zeros((50, 60, 4), np.uint8)  # fully transparent -> composited onto white
    rgba[:, :30] = (0, 0, 255, 255)  # opaque red (BGRA) on the left half
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    deep = np.full((50, 60, 3), 65535, np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), deep)

    g = load_frames(tmp_path / "grey.png")[1][0].image
    a = load_frames(tmp_path / "rgba.png")[1][0].image
    d = load_frames(tmp_path / "deep.png")[1][0].image
    assert g.shape == (50, 60, 3) and set(np.unique(g)) == {77}
    assert tuple(a[10, 5]) == (255, 0, 0) and tuple(a[10, 50]) == (255, 255, 255)
    assert d.dtype == np.uint8 and d.max() == 255


def test_large_image_is_downscaled(tmp_path: Path) -> None:
    path = write_rgb(tmp_path / "big.png", np.zeros((1000, 3000, 3), np.uint8))
    assert load_frames(path, max_side=600)[1][0].image.shape == (200, 600, 3)


def test_video_is_sampled_uniformly_keeping_original_indices(tmp_path: Path) -> None:
    frames = [paint_scene(320, 300, red_x=i * 8) for i in range(30)]
    path = write_video(tmp_path / "clip.mp4", frames)
    info, got = load_frames(path, max_frames=6)
    assert info.kind == "video" and info.total_frames == 30 and info.sampled and info.fps == 24.0
    assert [f.index for f in got] == uniform_indices(30, 6) == [0, 6, 12, 17, 23, 29]
    assert got[-1].time_s == pytest.approx(29 / 24)
    # the red square moved right: frame content follows the index, not the sample position
    xs = [np.nonzero(f.image[:, :, 0] > 200)[1].min() for f in got]
    assert xs == sorted(xs) and xs[-1] > xs[0] + 60


def test_folder_sorted_naturally(tmp_path: Path) -> None:
    for n in (10, 2, 1):
        write_rgb(tmp_path / f"{n}.png", paint_scene(64, 48, red_x=n))
    (tmp_path / "notes.txt").write_text("not a frame")
    info, frames = load_frames(tmp_path)
    assert info.kind == "folder" and [f.name for f in frames] == ["1", "2", "10"]


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.jpg", None, "does not exist"),
        ("empty.jpg", b"", "empty (0 bytes)"),
        ("bad.jpg", b"not a jpeg", "is damaged or not an image"),
        ("bad.mp4", b"garbage" * 10, "not a readable video"),
        ("empty.mp4", b"", "empty (0 bytes)"),
        ("frames", "dir", "holds no image files"),
        ("doc.pdf", b"%PDF", "unsupported extension"),
    ],
)
def test_bad_inputs_raise_input_error_with_a_fix(
    tmp_path: Path, name: str, content: bytes | str | None, needle: str
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_frames(path)
    assert needle in str(caught.value)
    assert caught.value.hint and "\n" not in caught.value.one_line()


def test_folder_with_mixed_sizes_is_rejected(tmp_path: Path) -> None:
    write_rgb(tmp_path / "a.png", np.zeros((10, 10, 3), np.uint8))
    write_rgb(tmp_path / "b.png", np.zeros((20, 10, 3), np.uint8))
    with pytest.raises(InputError, match="different sizes"):
        load_frames(tmp_path)
