"""The Python API: ``load()`` once, then ``ask()`` many times, answering exactly as ``sa2va-assist ask``.

    import sa2va_assist
    assistant = sa2va_assist.load("lite")
    result = assistant.ask("examples/astronaut.jpg", "where is the person?")
    print(result.answer)           # "Person, 12 o'clock, roughly 1 metre away."

Loading (config, backend, weights) happens in ``load``; ``ask`` never loads. Importing this module needs
neither torch, cv2 nor onnxruntime: the chosen backend imports them when it is built.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Union

import numpy as np

from .compose import answered
from .config import Config, load_config, validate
from .errors import ConfigError, InputError
from .io.sources import SourceInfo, fit_side, load_frames, uniform_indices
from .tasks import choose_task, request_for
from .types import TASKS, Frame, Task, VisionResult
from .vision import VisionBackend, check_backend_name, load_backend

# What ``ask`` looks at: a path (image, video or frame folder), one (H, W, 3) uint8 RGB array, an
# (N, H, W, 3) stack of them, or a sequence of (H, W, 3) arrays (the frames of a clip, in order).
Source = Union[str, "os.PathLike[str]", np.ndarray, Sequence[np.ndarray]]
_RGB_FIX = "Pass uint8 RGB of shape (H, W, 3), e.g. cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)."


def load(
    backend: str | None = None,
    *,
    config: Config | str | os.PathLike[str] | None = None,
    model_path: str | os.PathLike[str] | None = None,
) -> Assistant:
    """A ready assistant: the config read, the vision backend built and its models loaded, once.

    ``backend``: "lite" (CPU, offline) or "sa2va" (GPU, Sa2VA weights); default the config's backend,
    which is "lite" unless config.yaml or $SA2VA_ASSIST_BACKEND says otherwise. ``config``: a Config,
    or the path of a YAML config file (default: as the CLI finds it). ``model_path``: a local folder
    with Sa2VA weights (the sa2va backend). Arguments win over the config, as flags do in the CLI.

    Raises ConfigError (unknown backend, bad config), DependencyError or ModelError (packages or weights
    missing for the chosen backend).
    """
    if config is None:
        config = load_config()
    elif isinstance(config, (str, os.PathLike)):
        config = load_config(os.fspath(config))
    elif not isinstance(config, Config):
        raise ConfigError(
            f"config must be a Config or the path of a YAML file, got {type(config).__name__}",
            "Pass sa2va_assist.load_config(path) or the path itself.",
        )
    if backend is not None:
        if not isinstance(backend, str):
            raise ConfigError(f"backend must be a name, got {type(backend).__name__}", "Pass e.g. 'lite'.")
        config = replace(config, backend=backend)
    if model_path is not None:
        config = replace(config, sa2va=replace(config.sa2va, model_path=os.fspath(model_path)))
    validate(config)  # a Config built in code gets the same checks as a file
    check_backend_name(config.backend)  # an unknown name fails before anything is imported
    start = time.perf_counter()
    built = load_backend(config, eager=True)  # ask() never loads, text models included
    return Assistant(built, config, load_ms=(time.perf_counter() - start) * 1000)


class Assistant:
    """A loaded vision backend and the config it was built with; ``ask`` as often as you like."""

    def __init__(self, backend: VisionBackend, config: Config, load_ms: float = 0.0) -> None:
        self.backend = backend
        self.config = config
        self.load_ms = load_ms  # milliseconds ``load`` took to build the backend

    @property
    def name(self) -> str:
        """The backend's name ("lite", "sa2va", ...)."""
        return self.backend.name

    def __repr__(self) -> str:
        return f"Assistant(backend={self.name!r})"

    def ask(
        self, source: Source, text: str, task: str = "auto", max_frames: int | None = None
    ) -> VisionResult:
        """The answer about ``source``, as ``sa2va-assist ask SOURCE TEXT`` prints it (``.answer``),
        with every grounded object (``.objects``: one bool mask (n_frames, H, W) per object).

        ``task``: "auto" picks from the words, as the CLI does; or segment | caption | ask | gcg | read.
        ``max_frames``: sample videos, folders and frame sequences uniformly down to this many frames
        (default ``config.input.max_frames``); frames are downscaled to ``config.input.max_side``.
        Raises InputError (missing or unreadable file, wrong array shape or dtype), ConfigError (unknown
        task, or one the backend cannot do), BackendError (the model failed).
        """
        return self._run(source, text, task, max_frames)[2]

    def ask_document(
        self,
        source: Source,
        text: str,
        task: str = "auto",
        max_frames: int | None = None,
        out: str | os.PathLike[str] | None = None,
    ) -> dict[str, Any]:
        """The result document of ``sa2va-assist ask --json`` (see README: result.json). With ``out``,
        also writes ``out/result.json``, ``out/masks/…`` and ``out/overlays/…``, as ``--out`` does; the
        document then carries the mask paths. ``source`` is null for arrays. Raises as ``ask``."""
        from .io.results import result_document, write_outputs

        info, frames, result = self._run(source, text, task, max_frames)
        fov = self.config.spatial.horizontal_fov_deg
        if out is not None:
            return write_outputs(os.fspath(out), result, frames, info, fov)
        return result_document(result, frames, info, fov)

    def _run(
        self, source: Source, text: str, task: str, max_frames: int | None
    ) -> tuple[SourceInfo | None, list[Frame], VisionResult]:
        if not isinstance(text, str):
            raise InputError(f"text must be a string, got {type(text).__name__}", "Pass the question.")
        chosen = _task(task, text)
        limit = self.config.input.max_frames if max_frames is None else max_frames
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InputError(
                f"max_frames must be a whole number of at least 1, got {limit!r}", "Pass 1 or more."
            )
        side = self.config.input.max_side
        if isinstance(source, (str, os.PathLike)):
            info: SourceInfo | None
            info, frames = load_frames(os.fspath(source), limit, side)
        else:
            info, frames = None, frames_from_arrays(source, limit, side)
        request = request_for(frames, chosen, text)
        fov = self.config.spatial.horizontal_fov_deg
        return info, frames, answered(request, self.backend.run(request), fov, self.config.agent.unsure_below)


def _task(task: str, text: str) -> Task:
    """The task to run: ``choose_task`` for "auto", else the name checked as the CLI's choices do."""
    if task == "auto":
        return choose_task(text)
    for name in TASKS:
        if task == name:
            return name
    raise ConfigError(f"unknown task {task!r}", f"Choose one of: auto, {', '.join(TASKS)}.")


def frames_from_arrays(source: object, max_frames: int, max_side: int = 1280) -> list[Frame]:
    """RGB arrays -> frames named "00000", "00001", … by their position in ``source``, sampled uniformly
    down to ``max_frames`` and downscaled to ``max_side`` as files are. InputError for anything but
    uint8 (H, W, 3) arrays of one size, one array, an (N, H, W, 3) stack or a non-empty sequence."""
    if isinstance(source, np.ndarray) and source.ndim == 3:
        arrays: Sequence[Any] = [source]
    elif isinstance(source, np.ndarray) and source.ndim == 4:
        arrays = list(source)
    elif isinstance(source, np.ndarray):
        raise InputError(
            f"an image array must be (H, W, 3) or (N, H, W, 3), got shape {source.shape}", _RGB_FIX
        )
    elif isinstance(source, Sequence) and not isinstance(source, (str, bytes)):
        arrays = source
    else:
        raise InputError(
            f"cannot look at a {type(source).__name__}",
            "Pass a path, an (H, W, 3) uint8 RGB array or a list of them.",
        )
    if len(arrays) == 0:
        raise InputError("no frames were given (empty sequence)", "Pass at least one (H, W, 3) array.")
    for i, image in enumerate(arrays):
        _check_rgb(image, i)
    if len({a.shape for a in arrays}) > 1:
        sizes = sorted({f"{a.shape[1]}x{a.shape[0]}" for a in arrays})
        raise InputError(f"frames have different sizes ({', '.join(sizes)})", "Pass frames of one video.")
    return [
        Frame(fit_side(np.ascontiguousarray(arrays[i]), max_side), index=i, name=f"{i:05d}")
        for i in uniform_indices(len(arrays), max_frames)
    ]


def _check_rgb(image: object, i: int) -> None:
    if not isinstance(image, np.ndarray):
        raise InputError(f"frame {i} is a {type(image).__name__}, not a numpy array", _RGB_FIX)
    if image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise InputError(f"frame {i} has shape {image.shape}, not (H, W, 3)", _RGB_FIX)
    if image.dtype != np.uint8:
        raise InputError(
            f"frame {i} has dtype {image.dtype}, not uint8",
            "Scale to 0-255 and convert, e.g. (image * 255).astype(np.uint8).",
        )


__all__ = ["Assistant", "Source", "frames_from_arrays", "load"]
