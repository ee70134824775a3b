"""Frame sources for a conversation: each turn asks for "the newest frames".

``FileSource``: an image, video or frame folder read once; its newest frames are the end of the clip.
``CameraSource``: a thread keeps the last ``window_s`` seconds of a camera or stream, so a turn sees what
the camera sees now. Frames are uint8 RGB (H, W, 3); a camera frame's ``time_s`` is seconds since opening.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from ..config import InputConfig
from ..errors import InputError
from ..types import Frame
from .sources import fit_side, load_frames, to_rgb, uniform_indices

if TYPE_CHECKING:
    import cv2
    from typing_extensions import Self

DEFAULT_MAX_SIDE = InputConfig().max_side  # pixels, longest side, as for files
FALLBACK_FPS = 25.0  # frames per second assumed for a video file whose container does not say


class FrameSource(Protocol):
    """Where a conversation's frames come from."""

    name: str  # what to call it in messages: the file name, "camera 0", the URL
    live: bool  # True for cameras/streams (frames change between turns), False for files

    def latest(self, max_frames: int = 1) -> tuple[Frame, ...]:
        """Up to ``max_frames`` newest frames, oldest first, same size. InputError when none can be had."""
        ...

    def close(self) -> None: ...


class _Closing:
    """``with source:`` closes it on the way out."""

    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_open_lock = threading.Lock()  # OpenCV's log level is process-wide


def _check_count(max_frames: int) -> None:
    if max_frames < 1:
        raise InputError(f"max_frames must be at least 1, got {max_frames}", "Ask for one frame or more.")


class FileSource(_Closing):
    """An image, video or frame folder, loaded once (sampled to ``config.max_frames``) and cached."""

    live = False

    def __init__(self, path: str | Path, config: InputConfig | None = None) -> None:
        config = config or InputConfig()
        self.info, frames = load_frames(path, config.max_frames, config.max_side)
        self.frames = tuple(frames)
        self.name = Path(path).name or str(path)

    def latest(self, max_frames: int = 1) -> tuple[Frame, ...]:
        """The last ``max_frames`` loaded frames (a still: the one image); a video's newest is its end."""
        _check_count(max_frames)
        return self.frames[-max_frames:]


def display_name(spec: int | str) -> str:
    """What to call a source: camera 0, a file's name, or a URL with any password hidden."""
    if isinstance(spec, int):
        return f"camera {spec}"
    if "://" not in spec:
        return Path(spec).name or spec
    parts = urlsplit(spec)
    if "@" not in parts.netloc:
        return spec
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def _open_hint(spec: int | str) -> str:
    if isinstance(spec, int):
        return (
            "Try another index (--camera 1), close other apps using the camera, and check this user may use "
            "it (Linux: the video group; macOS: camera permission for the terminal)."
        )
    if "://" in spec:
        return "Check the URL, and that the stream is running and reachable from this machine."
    if not Path(spec).exists():
        return "Check the path: no such file."
    return "Use a video OpenCV can play (H.264 MP4 plays everywhere)."


class CameraSource(_Closing):
    """A camera (device index), stream URL, or video file played as if live (looped by default).

    A reader thread grabs every frame the source sends and keeps at most ``fps_cap`` per second from the
    last ``window_s`` seconds. When reading fails it reopens the source every ``retry_s`` seconds, so a
    camera unplugged and plugged back works again; meanwhile ``latest`` says the camera stopped.
    """

    live = True

    def __init__(
        self,
        spec: int | str,
        window_s: float = 2.0,
        fps_cap: float = 15.0,
        open_timeout_s: float = 5.0,
        max_side: int = DEFAULT_MAX_SIDE,
        *,
        loop: bool = True,  # a finite source (a video file) starts again at its end
        stale_after_s: float = 2.0,  # latest() fails when the newest frame is older than this
        retry_s: float = 1.0,  # seconds between attempts to reopen a source that stopped
    ) -> None:
        if window_s <= 0 or fps_cap <= 0 or open_timeout_s <= 0 or retry_s <= 0 or stale_after_s <= 0:
            raise InputError("camera settings must be positive", "Check window_s, fps_cap and the timeouts.")
        self.spec, self.name = spec, display_name(spec)
        self.window_s, self.fps_cap, self.max_side = window_s, fps_cap, max_side
        self.open_timeout_s, self.stale_after_s = open_timeout_s, stale_after_s
        self.retry_s, self.loop = retry_s, loop
        self._frames: deque[Frame] = deque(maxlen=int(window_s * fps_cap) + 2)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._settled = threading.Event()  # set once the first open attempt is over
        self._opened = False
        self._ended = False  # a finite source reached its end with loop off
        self._error: str | None = None  # why the reader thread died, if it did
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"frames: {self.name}", daemon=True)
        self._thread.start()
        if not self._settled.wait(open_timeout_s):
            self._stop.set()  # the daemon thread releases the capture if its open ever returns
            raise InputError(f"{self.name} did not open within {open_timeout_s:g} s", _open_hint(spec))
        if not self._opened:
            self.close()
            raise InputError(f"{self.name} could not be opened", _open_hint(spec))

    @property
    def running(self) -> bool:
        """True while the reader thread is alive."""
        return self._thread.is_alive()

    def latest(self, max_frames: int = 1) -> tuple[Frame, ...]:
        """Up to ``max_frames`` frames spread evenly over the window, oldest first, newest included.

        Waits for the first frame up to ``open_timeout_s`` after opening; InputError when there is none,
        when the newest frame is older than ``stale_after_s``, or after ``close()``.
        """
        _check_count(max_frames)
        deadline = self._t0 + self.open_timeout_s
        with self._cond:
            while not self._frames and self.running and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            frames = list(self._frames)
        if self._stop.is_set():
            raise InputError(f"{self.name} is closed", "Open the source again to read from it.")
        if self._error:
            raise InputError(f"{self.name} failed: {self._error}", "Open it again, or use another source.")
        if not frames:
            raise InputError(
                f"{self.name} sent no frames in {self.open_timeout_s:g} s", _open_hint(self.spec)
            )
        age_s = time.monotonic() - self._t0 - (frames[-1].time_s or 0.0)
        if age_s > self.stale_after_s and self._ended:
            raise InputError(f"{self.name} stopped sending frames: the video ended", "Open it with loop on.")
        if age_s > self.stale_after_s:
            hint = "Check that it is still connected and switched on; it is reopened when it comes back."
            raise InputError(f"{self.name} stopped sending frames {age_s:.1f} s ago", hint)
        same_size = [f for f in frames if f.size == frames[-1].size]  # the source may have reopened resized
        last = len(same_size) - 1  # mirrored so that one frame asked for is the newest, not the oldest
        return tuple(same_size[last - i] for i in reversed(uniform_indices(last + 1, max_frames)))

    def close(self) -> None:
        """Stop the reader thread (it releases the capture) and drop the buffered frames."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=max(2.0, self.retry_s))
        with self._cond:
            self._frames.clear()

    def _open(self) -> cv2.VideoCapture | None:
        import cv2

        if isinstance(self.spec, int):  # silent: OpenCV logs each camera backend that failed to open it
            with _open_lock:
                level = cv2.setLogLevel(0)
                try:
                    capture = cv2.VideoCapture(self.spec)
                finally:
                    cv2.setLogLevel(level)
        elif "://" in self.spec:  # network: bound the open and each read, so a dead stream is noticed
            ms = int(self.open_timeout_s * 1000)
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
            capture = cv2.VideoCapture(self.spec, cv2.CAP_ANY, params)
        else:
            capture = cv2.VideoCapture(self.spec)
        if capture.isOpened():
            return capture
        capture.release()
        return None

    def _run(self) -> None:
        capture = self._open()
        self._opened = capture is not None
        self._settled.set()
        if capture is None:
            return
        try:
            self._read(capture)
        except Exception as err:  # a reader that dies says why on the next latest()
            self._error = f"{type(err).__name__}: {err}"
        with self._cond:
            self._cond.notify_all()

    def _read(self, capture: cv2.VideoCapture) -> None:
        import cv2

        finite = capture.get(cv2.CAP_PROP_FRAME_COUNT) > 0  # a video file, not a camera or live stream
        frame_s = 1.0 / (capture.get(cv2.CAP_PROP_FPS) or FALLBACK_FPS)  # a file plays at its own speed
        count, since_open, period = 0, 0, 1.0 / self.fps_cap
        keep_at, due = time.monotonic() - self._t0, time.monotonic()  # next frame kept (s since open), due
        current: cv2.VideoCapture | None = capture
        try:
            while not self._stop.is_set():
                if current is None:  # stopped: try again every retry_s
                    if not self._stop.wait(self.retry_s):
                        current, since_open = self._open(), 0
                    continue
                if not current.grab():  # end of file, unplugged camera, dropped stream
                    current.release()
                    if finite and not self.loop:
                        self._ended, current = True, None
                        break
                    # a file that played loops at once (reopening beats seeking to 0); others wait retry_s
                    current = self._open() if finite and since_open else None
                    since_open = 0
                    continue
                count, since_open = count + 1, since_open + 1
                if finite:
                    due = max(due + frame_s, time.monotonic() - frame_s)
                    self._stop.wait(max(0.0, due - time.monotonic()))
                now_s = time.monotonic() - self._t0
                if now_s < keep_at:
                    continue
                keep_at = max(keep_at + period, now_s + period / 2)  # fps_cap on average, absorbs jitter
                ok, bgr = current.retrieve()
                if ok and bgr is not None:
                    self._keep(
                        Frame(fit_side(to_rgb(bgr), self.max_side), count - 1, f"{count - 1:05d}", now_s)
                    )
        finally:
            if current is not None:
                current.release()

    def _keep(self, frame: Frame) -> None:
        with self._cond:
            self._frames.append(frame)
            while (frame.time_s or 0.0) - (self._frames[0].time_s or 0.0) > self.window_s:
                self._frames.popleft()
            self._cond.notify_all()


def parse_camera(spec: str) -> int | str | None:
    """Camera index or URL from a source string ("camera", "camera:N", "N", "rtsp://..."); None: a path."""
    text = spec.strip()
    if text.lower() == "camera":
        return 0
    if text.lower().startswith("camera:"):
        index = text.split(":", 1)[1].strip()
        if not index.isdigit():
            raise InputError(f"{spec!r} is not a camera", "Use camera, camera:0, camera:1 or a stream URL.")
        return int(index)
    if text.isdigit():
        return int(text)
    if "://" in text:
        return text
    return None


def open_source(spec: str, config: InputConfig | None = None, *, open_timeout_s: float = 5.0) -> FrameSource:
    """A camera ("camera", "camera:N", "N"), a stream URL, or else an image/video/frame folder path."""
    config = config or InputConfig()
    camera = parse_camera(spec)
    if camera is None:
        return FileSource(spec, config)
    return CameraSource(camera, open_timeout_s=open_timeout_s, max_side=config.max_side)


class Snapshot:
    """A frame source that can hold one moment: ``capture()`` takes the newest frames now, ``hold()``
    makes every later ``latest`` answer from them. The voice loop captures when a question ends and
    holds those frames while it answers that question, so the answer is about what the camera saw as
    the user finished speaking (not seconds later, nor at a later question's end)."""

    def __init__(self, source: FrameSource, max_frames: int = 8) -> None:
        self.source, self.max_frames = source, max_frames
        self.name, self.live = source.name, source.live
        self._held: tuple[Frame, ...] | None = None

    def capture(self) -> tuple[Frame, ...] | None:
        """The newest ``max_frames`` frames now; None when the source fails (asked again later)."""
        try:
            return self.source.latest(self.max_frames)
        except InputError:
            return None

    def hold(self, frames: tuple[Frame, ...] | None) -> None:
        """Answer from ``frames`` until the next ``hold`` (None: from the live source)."""
        self._held = frames or None

    def freeze(self) -> None:
        """``hold(capture())``: hold the newest frames."""
        self.hold(self.capture())

    def latest(self, max_frames: int = 1) -> tuple[Frame, ...]:
        if self._held:
            return self._held[-max_frames:]
        return self.source.latest(max_frames)

    def close(self) -> None:
        self.source.close()
