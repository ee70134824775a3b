"""Frame sources: an image file, a video file or a folder of frames -> RGB frames.

Every frame comes back as ``uint8`` RGB (H, W, 3), whatever the file held (grey, RGBA, 16-bit, BGR),
downscaled so its longest side is at most ``max_side``. Long videos and folders are sampled uniformly
down to ``max_frames`` while reading, so a long clip is never held in memory at full size.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..types import Frame

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"})
Progress = Callable[[int], object]  # called with the number of frames just read
# FFmpeg inside OpenCV prints its own lines for broken files; our one-line InputError says it better.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


@dataclass(frozen=True)
class SourceInfo:
    """What was read and how it was sampled."""

    kind: str  # "image" | "video" | "folder"
    path: str
    total_frames: int  # frames in the source before sampling
    fps: float | None  # frames per second of a video (None for stills and folders)
    sampled: bool  # True when fewer frames than the source holds were kept


def natural_key(name: str) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Any OpenCV-decoded image (grey, BGR, BGRA, 8- or 16-bit, float) -> uint8 RGB (H, W, 3)."""
    import cv2

    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype in (np.float32, np.float64):
        image = np.clip(image * (255.0 if image.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        # Composite transparency onto white: transparent pixels of a screenshot or icon read as background.
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        bgr = image[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return cv2.cvtColor(bgr.astype(np.uint8), cv2.COLOR_BGR2RGB)
    return cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2RGB)


def fit_side(image: np.ndarray, max_side: int) -> np.ndarray:
    """Downscale (never upscale) so the longest side is at most ``max_side`` pixels."""
    import cv2

    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


MAX_PIXELS = 100_000_000  # an image file larger than this (100 megapixels) is refused, not decoded whole


def read_image(path: str | Path, max_side: int = 1280) -> np.ndarray:
    """Read one image file as uint8 RGB, at most ``max_side`` pixels on its longest side. A large
    JPEG is decoded already reduced (1/2, 1/4 or 1/8: the memory of the small image, not the large
    one); any other format over ``MAX_PIXELS`` is refused before decoding. InputError naming the file
    when it cannot be used."""
    import cv2

    p = Path(path)
    if not p.exists():
        raise InputError(*_missing(p))
    _check_not_empty(p)
    data = np.fromfile(str(p), dtype=np.uint8)
    size = image_size(data[:65536].tobytes())
    flag = cv2.IMREAD_UNCHANGED
    if size is not None:
        width, height = size
        jpeg = data[:2].tobytes() == b"\xff\xd8"
        reduce = max((k for k in (2, 4, 8) if max(width, height) / k >= max_side), default=1) if jpeg else 1
        if width * height / reduce**2 > MAX_PIXELS:
            raise InputError(
                f"{p} is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); the most an "
                f"image may have is {MAX_PIXELS / 1e6:.0f} megapixels",
                "Scale it down (or save it as a JPEG, which is read already reduced).",
            )
        flag = {
            2: cv2.IMREAD_REDUCED_COLOR_2,
            4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8,
        }.get(reduce, flag)
    try:
        image = cv2.imdecode(data, flag)
    except cv2.error:
        image = None
    if image is None or image.size == 0:
        known = p.suffix.lower() in IMAGE_EXTENSIONS
        raise InputError(
            f"{p} is damaged or not an image (it cannot be decoded)"
            if known
            else f"{p} is not a readable image (unsupported format)",
            "Remove or replace that file." if known else "Use a JPEG, PNG, WebP, BMP or TIFF file.",
        )
    return fit_side(to_rgb(image), max_side)


def image_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG file's first bytes, without decoding it; None otherwise."""
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 < len(head):
        if head[at] != 0xFF:
            return None
        marker, length = head[at + 1], int.from_bytes(head[at + 2 : at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            return int.from_bytes(head[at + 7 : at + 9], "big"), int.from_bytes(head[at + 5 : at + 7], "big")
        at += 2 + length
    return None


def _missing(path: Path) -> tuple[str, str]:
    """The one line for a path that cannot be opened: a link that loops, a dangling link, or nothing."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except RuntimeError:
            return f"{path} is a symbolic link that loops back on itself", "Point it at the real file."
        except OSError:
            return f"{path} is a link to {os.readlink(path)}, which does not exist", "Fix or remove the link."
        return f"{path} cannot be opened (it links to {target})", "Check the link."
    return f"{path} does not exist", "Check the path to the image, video or frame folder."


def _check_not_empty(path: Path) -> None:
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes)", "Pass a file that was fully saved or copied.")


def uniform_indices(total: int, keep: int) -> list[int]:
    """``keep`` indices spread evenly over ``range(total)``, first and last included."""
    if total <= keep:
        return list(range(total))
    if keep == 1:
        return [0]
    return sorted({round(i * (total - 1) / (keep - 1)) for i in range(keep)})


def read_folder(
    path: Path, max_frames: int, max_side: int, progress: Progress | None = None
) -> tuple[SourceInfo, list[Frame]]:
    """Frames from the image files of a folder, sorted by name (numbers in names compare as numbers)."""
    files = sorted(
        (f for f in path.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS),
        key=lambda f: natural_key(f.name),
    )
    if not files:
        raise InputError(
            f"folder {path} holds no image files",
            f"Put frames in it ({', '.join(sorted(IMAGE_EXTENSIONS))}).",
        )
    chosen = uniform_indices(len(files), max_frames)
    frames = []
    for i in chosen:
        frames.append(Frame(read_image(files[i], max_side), index=i, name=files[i].stem))
        if progress:
            progress(1)
    _check_same_size(frames, path)
    info = SourceInfo("folder", str(path), len(files), None, len(chosen) < len(files))
    return info, frames


def _check_same_size(frames: list[Frame], path: Path) -> None:
    sizes = {f.size for f in frames}
    if len(sizes) > 1:
        raise InputError(
            f"frames in {path} have different sizes ({', '.join(f'{w}x{h}' for w, h in sorted(sizes))})",
            "Use frames of one video, all the same size.",
        )


def read_video(
    path: Path, max_frames: int, max_side: int, progress: Progress | None = None
) -> tuple[SourceInfo, list[Frame]]:
    """Decode a video with OpenCV, keeping ``max_frames`` uniformly sampled frames."""
    import cv2

    _check_not_empty(path)
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise InputError(
                f"{path} is not a readable video (corrupt or unsupported codec)",
                "Re-encode it as H.264 MP4, or pass a folder of frames.",
            )
        fps = float(capture.get(cv2.CAP_PROP_FPS)) or None
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if total <= 0:  # some containers do not say: count by grabbing (cheap, no decode to RGB)
            total = 0
            while capture.grab():
                total += 1
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        wanted = set(uniform_indices(total, max_frames))
        frames: list[Frame] = []
        index = 0
        while index < total and len(frames) < len(wanted):
            if not capture.grab():
                break
            if index in wanted:
                ok, bgr = capture.retrieve()
                if ok and bgr is not None:
                    time_s = index / fps if fps else None
                    frames.append(Frame(fit_side(to_rgb(bgr), max_side), index, f"{index:05d}", time_s))
                    if progress:
                        progress(1)
            index += 1
    finally:
        capture.release()
    if not frames:
        raise InputError(
            f"{path} has no decodable frames (empty or corrupt video)",
            "Check that the video plays, or pass an image or a folder of frames.",
        )
    if len(frames) < len(wanted):  # the file ends (or breaks) before the frames its header promised
        log.warning(
            "%s ends early: %d of its %d frames could be read (cut short or damaged); the answer is "
            "about the first %.1f s only",
            path, index, total, index / fps if fps else 0.0,
        )  # fmt: skip
    info = SourceInfo("video", str(path), total, fps, len(frames) < total)
    return info, frames


def load_frames(
    source: str | Path, max_frames: int = 64, max_side: int = 1280, progress: Progress | None = None
) -> tuple[SourceInfo, list[Frame]]:
    """Read an image file, a video file or a folder of frames. InputError with a fix otherwise."""
    path = Path(source)
    if not path.exists():
        raise InputError(*_missing(path))
    if max_frames < 1:
        raise InputError(f"max_frames must be at least 1, got {max_frames}", "Set input.max_frames >= 1.")
    if path.is_dir():
        return read_folder(path, max_frames, max_side, progress)
    suffix = path.suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        return read_video(path, max_frames, max_side, progress)
    if suffix in IMAGE_EXTENSIONS or not suffix:
        image = read_image(path, max_side)
        if progress:
            progress(1)
        return SourceInfo("image", str(path), 1, None, False), [Frame(image, 0, path.stem or "frame")]
    raise InputError(
        f"{path} has an unsupported extension '{suffix}'",
        f"Use an image ({', '.join(sorted(IMAGE_EXTENSIONS))}), a video "
        f"({', '.join(sorted(VIDEO_EXTENSIONS))}) or a folder of frames.",
    )


def expected_count(source: str | Path, max_frames: int) -> int | None:
    """How many frames ``load_frames`` will return, when cheap to know (for progress bars)."""
    path = Path(source)
    if path.is_dir():
        n = sum(1 for f in path.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
        return min(n, max_frames)
    if path.suffix.lower() in VIDEO_EXTENSIONS:
        import cv2

        capture = cv2.VideoCapture(str(path))
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
        capture.release()
        return min(total, max_frames) if total > 0 else None
    return 1
