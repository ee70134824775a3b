from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from sa2va_assist import vision
from tests.fakes import ColourBackend, PaintedBackend
from tests.wordnet_stub import write_lexicon

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data" / "dev"


@pytest.fixture(autouse=True, scope="session")
def stand_in_lexicon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test (and every process a test starts) reads the word lexicon built from the stand-in
    WordNet (``tests/wordnet_stub.py``), so what a word means does not depend on whether ``setup``
    fetched the real one. ``test_lexicon.py`` checks the real one when it is there."""
    path = write_lexicon(tmp_path_factory.mktemp("lexicon") / "lexicon.json")
    before = os.environ.get("SA2VA_ASSIST_LEXICON")
    os.environ["SA2VA_ASSIST_LEXICON"] = str(path)
    yield path
    if before is None:
        os.environ.pop("SA2VA_ASSIST_LEXICON", None)
    else:
        os.environ["SA2VA_ASSIST_LEXICON"] = before


@pytest.fixture
def painted_backend() -> Iterator[PaintedBackend]:
    """A PaintedBackend registered as backend "painted" for the duration of one test."""
    backend = PaintedBackend()
    vision.register_backend("painted", lambda config: backend)
    yield backend
    vision.BACKENDS.pop("painted", None)


@pytest.fixture
def fake_backend() -> Iterator[ColourBackend]:
    """A ColourBackend registered as backend "fake" for the duration of one test."""
    backend = ColourBackend()
    vision.register_backend("fake", lambda config: backend)
    yield backend
    vision.BACKENDS.pop("fake", None)


def paint_scene(width: int = 640, height: int = 480, red_x: int = 480) -> np.ndarray:
    """RGB grey scene with a 60x60 pure red square whose left edge is at ``red_x``."""
    image = np.full((height, width, 3), 128, np.uint8)
    image[200:260, red_x : red_x + 60] = (255, 0, 0)
    return image


def write_rgb(path: Path, rgb: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture
def scene_png(tmp_path: Path) -> Path:
    return write_rgb(tmp_path / "scene.png", paint_scene())


def write_video(path: Path, frames: list[np.ndarray], fps: float = 24.0) -> Path:
    """Frames (RGB) to an MP4 file. Uses mp4v, which every opencv-python wheel can write."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def run_in_home(script: str, args: list[str], home: Path, timeout: float, **env: str) -> dict:
    """Run ``python -c script args`` with HOME=``home`` (where a test put its virtual ALSA devices in
    .asoundrc) and return the JSON object its last line prints; a ``{"skip": why}`` skips the test."""
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env={**os.environ, "HOME": str(home), "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    if "skip" in result:
        pytest.skip(f"no virtual ALSA device: {result['skip']}")
    return result
