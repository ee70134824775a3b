"""``sa2va-assist setup``: install the system libraries the Python packages need, then prepare and
check every model, so the first real request is fast and any gap is named before it matters."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import DependencyError


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


def prepare_models(log: Callable[[str], object] = print) -> None:
    """Load the offline models once: proves they are installed, converts what needs converting, and
    warms file caches."""
    from .config import load_config
    from .vision import load_backend
    from .vision.lite.detector import prepare_detector

    prepare_detector(log)  # downloads the COCO detector from the npm registry once and converts it
    start = time.perf_counter()
    load_backend(load_config(), "lite")
    log(f"lite backend: models ready ({time.perf_counter() - start:.1f} s)")
    from .audio.stt import load_stt

    start = time.perf_counter()
    load_stt("base", progress=log)  # converts the packaged weights once and caches the checkpoint
    log(f"speech recognition (whisper base): ready ({time.perf_counter() - start:.1f} s)")
    from .agent.embedding import load_embedder

    start = time.perf_counter()
    load_embedder(log=log)  # exports the packaged MiniLM to ONNX once and caches it
    log(f"sentence embeddings (all-MiniLM-L6-v2): ready ({time.perf_counter() - start:.1f} s)")


def run_setup(system: bool = True) -> int:
    """Everything ``sa2va-assist setup`` does; returns 0 when the machine is ready."""

    def log(message: str) -> None:
        print(f"setup: {message}", file=sys.stderr)

    if system:
        install_system_libraries(log)
    prepare_models(log)
    log("ready")
    return 0
