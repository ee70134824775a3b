"""Frame sources for a conversation: files read once, a video file played as a live camera."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest

from sa2va_assist.config import InputConfig
from sa2va_assist.errors import InputError
from sa2va_assist.io.streams import CameraSource, FileSource, display_name, open_source, parse_camera
from sa2va_assist.types import Frame
from tests.conftest import paint_scene, write_rgb, write_video

T = TypeVar("T")
FPS = 24.0


def numbered(n: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    """Frames whose grey level encodes their number (i * 20), so a decoded frame says where it came from."""
    return [np.full((height, width, 3), i * 20, np.uint8) for i in range(n)]


def level(image: np.ndarray) -> int:
    return round(float(image.mean()) / 20)  # frame number back from its grey level (mp4v is lossy)


def seconds(frame: Frame) -> float:
    """A camera frame's time (seconds since the source opened); every camera frame has one."""
    assert frame.time_s is not None
    return frame.time_s


def wait_for(check: Callable[[], T | None], timeout_s: float = 5.0) -> T:
    """Poll ``check`` until it returns something other than None; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result is not None:
            return result
        time.sleep(0.02)
    raise AssertionError(f"nothing after {timeout_s} s")


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.mp4", numbered(12), FPS)  # 0.5 s


@pytest.fixture
def camera(clip: Path) -> Iterator[CameraSource]:
    with CameraSource(str(clip), window_s=1.0, fps_cap=15, open_timeout_s=2.0) as source:
        yield source


def frames_if(source: CameraSource, n: int) -> tuple[Frame, ...] | None:
    """``n`` frames once the source has them (None before, also while it says it has stopped)."""
    try:
        frames = source.latest(n)
    except InputError:
        return None
    return frames if len(frames) == n else None


# -- files ---------------------------------------------------------------------------------------


def test_still_image_is_its_only_frame(scene_png: Path) -> None:
    source = FileSource(scene_png, InputConfig())
    assert source.name == "scene.png" and source.live is False
    one, many = source.latest(1), source.latest(3)
    assert len(one) == 1 and len(many) == 1 and many[0] is one[0]
    assert tuple(one[0].image[230, 500]) == (255, 0, 0)


def test_video_newest_is_the_end_of_the_clip(clip: Path) -> None:
    source = FileSource(clip, InputConfig())
    last = source.latest(1)
    assert len(last) == 1 and last[0].index == 11 and level(last[0].image) == 11
    three = source.latest(3)
    assert [f.index for f in three] == [9, 10, 11]
    assert [level(f.image) for f in three] == [9, 10, 11]


def test_video_sampled_to_max_frames_still_ends_at_its_last_frame(clip: Path) -> None:
    source = FileSource(clip, InputConfig(max_frames=4))
    assert [f.index for f in source.latest(10)] == [0, 4, 7, 11]  # uniform over the clip, end included


def test_folder_newest_is_the_last_file_by_number(tmp_path: Path) -> None:
    for i, image in enumerate(numbered(5)):
        write_rgb(tmp_path / f"frame_{i * 5}.png", image)  # frame_20 sorts after frame_5 by number
    source = FileSource(tmp_path, InputConfig())
    assert source.name == tmp_path.name
    assert [f.name for f in source.latest(3)] == ["frame_10", "frame_15", "frame_20"]
    assert level(source.latest(1)[0].image) == 4


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist") as err:
        FileSource(tmp_path / "gone.mp4", InputConfig())
    assert err.value.hint


def test_asking_for_no_frames_is_an_error(scene_png: Path) -> None:
    with pytest.raises(InputError, match="at least 1"):
        FileSource(scene_png).latest(0)


# -- a video file played as a camera --------------------------------------------------------------


def test_camera_returns_newest_frames_oldest_first(camera: CameraSource) -> None:
    assert camera.live is True and camera.name == "clip.mp4"
    frames = wait_for(lambda: frames_if(camera, 4))
    indices = [f.index for f in frames]
    times = [seconds(f) for f in frames]
    assert indices == sorted(indices) and len(set(indices)) == 4
    assert times == sorted(times)
    assert {f.size for f in frames} == {(64, 48)}
    assert all(f.image.dtype == np.uint8 and f.image.shape == (48, 64, 3) for f in frames)
    assert camera.latest(1)[0].index >= frames[-1].index  # one frame asked for is the newest


def test_video_file_plays_at_its_own_speed(clip: Path) -> None:
    with CameraSource(str(clip), fps_cap=1000) as source:  # no cap: every frame kept
        frames = wait_for(lambda: frames_if(source, 10))
        per_frame_s = (seconds(frames[-1]) - seconds(frames[0])) / (frames[-1].index - frames[0].index)
        assert 0.6 / FPS < per_frame_s < 1.6 / FPS  # 24 fps, not decoded as fast as possible


def test_camera_frames_move_on_and_loop_past_the_end(camera: CameraSource) -> None:
    first = wait_for(lambda: frames_if(camera, 1))[0]
    later = wait_for(lambda: f if (f := camera.latest(1)[0]).index > 12 else None)
    assert later.index > first.index and seconds(later) > seconds(first)
    assert later.name == f"{later.index:05d}"  # index counts frames read, across loops


def newer_than(source: CameraSource, time_s: float) -> Frame | None:
    frame = source.latest(1)[0]
    return frame if seconds(frame) > time_s else None


def test_camera_window_holds_only_recent_seconds(clip: Path) -> None:
    with CameraSource(str(clip), window_s=0.3, fps_cap=30) as source:
        wait_for(lambda: newer_than(source, 0.8))
        frames = source.latest(100)
        assert 4 <= len(frames) <= 0.3 * 24 + 1  # the source sends 24 fps, under the cap
        assert seconds(frames[-1]) - seconds(frames[0]) <= 0.3


def test_camera_keeps_at_most_fps_cap_frames_a_second(clip: Path) -> None:
    with CameraSource(str(clip), window_s=1.0, fps_cap=8) as source:
        wait_for(lambda: newer_than(source, 1.3), timeout_s=6.0)
        frames = source.latest(100)
        assert 6 <= len(frames) <= 8 + 1  # 24 fps sent, 8 a second kept
        spread = source.latest(3)  # oldest, middle, newest of the window
        assert spread[0].index == frames[0].index and spread[-1].index == frames[-1].index
        assert frames[0].index < spread[1].index < frames[-1].index


def test_camera_downscales_to_max_side(tmp_path: Path) -> None:
    path = write_video(tmp_path / "big.mp4", [paint_scene()] * 6, FPS)
    with CameraSource(str(path), max_side=320) as source:
        assert source.latest(1)[0].size == (320, 240)


def test_close_stops_the_reader(clip: Path) -> None:
    source = CameraSource(str(clip))
    assert source.running
    source.close()
    assert not source.running
    with pytest.raises(InputError, match="closed"):
        source.latest(1)


def test_video_without_loop_stops_sending(clip: Path) -> None:
    with CameraSource(str(clip), loop=False, stale_after_s=0.2) as source:
        assert len(source.latest(1)) == 1
        err = wait_for(lambda: _error_of(source))
        assert "stopped sending frames: the video ended" in err.message and "loop" in err.hint
        assert not source.running  # the reader finished instead of reopening the file


def test_source_that_vanishes_and_comes_back_works_again(clip: Path, tmp_path: Path) -> None:
    with CameraSource(str(clip), stale_after_s=0.3, retry_s=0.05) as source:
        before = wait_for(lambda: frames_if(source, 1))[0]
        away = clip.rename(tmp_path / "away.mp4")  # like a camera unplugged: reopening now fails
        err = wait_for(lambda: _error_of(source))
        assert "stopped sending frames" in err.message and "connected" in err.hint
        away.rename(clip)  # plugged back in
        after = wait_for(lambda: frames_if(source, 1))[0]
        assert after.index > before.index and source.running


def _error_of(source: CameraSource) -> InputError | None:
    try:
        source.latest(1)
    except InputError as err:
        return err
    return None


def test_unopenable_device_and_path_are_input_errors(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="camera 99 could not be opened") as err:
        CameraSource(99, open_timeout_s=1.0)
    assert "--camera" in err.value.hint
    with pytest.raises(InputError, match="could not be opened") as err:
        CameraSource(str(tmp_path / "none.mp4"), open_timeout_s=1.0)
    assert "no such file" in err.value.hint
    assert time.monotonic() - started < 2.0


# -- choosing a source ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("camera", 0),
        ("Camera:2", 2),
        ("3", 3),
        ("rtsp://10.0.0.5:554/live", "rtsp://10.0.0.5:554/live"),
        ("http://phone.local:8080/video", "http://phone.local:8080/video"),
        ("photos/kitchen.jpg", None),
        ("clip.mp4", None),
    ],
)
def test_parse_camera(spec: str, expected: int | str | None) -> None:
    assert parse_camera(spec) == expected


def test_parse_camera_rejects_a_bad_index() -> None:
    with pytest.raises(InputError, match="not a camera") as err:
        parse_camera("camera:front")
    assert "camera:1" in err.value.hint


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        (0, "camera 0"),
        ("/videos/walk.mp4", "walk.mp4"),
        ("rtsp://cam.local/live", "rtsp://cam.local/live"),
        ("rtsp://admin:secret@cam.local:554/live", "rtsp://***@cam.local:554/live"),
    ],
)
def test_display_name_hides_passwords(spec: int | str, name: str) -> None:
    assert display_name(spec) == name


def test_open_source_dispatch(scene_png: Path, clip: Path) -> None:
    source = open_source(str(scene_png), InputConfig())
    assert isinstance(source, FileSource) and not source.live
    started = time.monotonic()
    with pytest.raises(InputError, match="camera 99"):
        open_source("camera:99", InputConfig(), open_timeout_s=0.5)
    assert time.monotonic() - started < 1.5
    with pytest.raises(InputError, match="does not exist"):
        open_source(str(clip.parent / "missing.jpg"), InputConfig())
    with closing(open_source(clip.as_uri(), InputConfig(max_side=32))) as stream:  # a URL is read as live
        assert isinstance(stream, CameraSource) and stream.live
        assert stream.latest(1)[0].size == (32, 24)
