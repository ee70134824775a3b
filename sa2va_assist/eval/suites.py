"""Evaluation suites: data layout -> backend -> metrics. One bad item is recorded and skipped.

``evaluate(suite, data_dir, ...)`` returns one JSON-ready document whose top-level keys include the
suite's headline metrics (``JF``/``J``/``F`` x100, ``fps``, ``rtf``, ``cIoU``, ``gIoU``, ``precision``,
``recall``, ``word_recall``, ``word_precision``, ``WER``, ``latency_p50_s``, ``latency_p95_s`` as they
apply) and an ``items`` list. Timings cover the backend call only (model load and file reading are
excluded), so they are what a warm assistant spends per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..compose import answered
from ..errors import AssistError, ConfigError, InputError
from ..io.sources import load_frames, read_image
from ..spatial import DEFAULT_FOV_DEG
from ..tasks import request_for
from ..types import Frame, VisionResult
from ..vision.base import VisionBackend
from . import metrics as m
from .datasets import Item, annotation_files, manifest_items, refvos_items

SUITES = ("refvos", "refseg", "describe", "ocr", "asr")
DAVIS_FPS = 24.0  # DAVIS frames are 24 fps: the real-time factor is measured against that
UNLIMITED = 10**6  # evaluation reads every frame at full size: no sampling, no downscaling


@dataclass
class Worst:
    """The weakest frame of an item, kept to draw an overlay a person can look at."""

    score: float
    item_id: str
    image: np.ndarray
    pred: np.ndarray
    truth: np.ndarray


@dataclass
class Context:
    backend: VisionBackend | None = None
    stt: Any = None  # a SpeechToText for the asr suite
    worst: list[Worst] = field(default_factory=list)


def _union(result: VisionResult, n_frames: int, shape: tuple[int, int]) -> np.ndarray:
    """Every returned object merged: the expression's referent may be several objects."""
    pred = np.zeros((n_frames, *shape), bool)
    for obj in result.objects:
        if obj.masks.shape[1:] == shape:
            pred[: len(obj.masks)] |= obj.masks[:n_frames]
        else:
            raise ConfigError(f"backend returned masks of shape {obj.masks.shape[1:]}, frames are {shape}")
    return pred


def _hw(image: np.ndarray) -> tuple[int, int]:
    return int(image.shape[0]), int(image.shape[1])


def _truth_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    import cv2

    # decoded from bytes: cv2.imread prints its own "[ WARN ] findDecoder" line for a missing file
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as err:
        raise InputError(
            f"mask {path} cannot be read ({err.strerror})", "Check the manifest's 'mask' path."
        ) from err
    mask = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if mask is None:
        raise InputError(f"{path} is not a readable mask", "Masks are 0/255 PNGs.")
    if mask.shape != shape:
        mask = cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return mask > 127


def _timed_run(
    backend: VisionBackend | None, frames: list[Frame], task: str, text: str
) -> tuple[VisionResult, float]:
    if backend is None:
        raise ConfigError("this suite needs a vision backend")
    start = time.perf_counter()
    request = request_for(frames, task, text)  # type: ignore[arg-type]
    result = answered(request, backend.run(request), DEFAULT_FOV_DEG)  # as ask sends it and words it
    return result, time.perf_counter() - start


def score_refvos(item: Item, ctx: Context) -> dict[str, Any]:
    _, frames = load_frames(item.path, UNLIMITED, UNLIMITED)
    truth_files = {f.stem: f for f in annotation_files(Path(item.truth["annotations"]))}
    result, seconds = _timed_run(ctx.backend, frames, "segment", item.truth["expression"])
    shape = _hw(frames[0].image)
    pred = _union(result, len(frames), shape)
    js, fs = [], []
    worst: tuple[float, int, np.ndarray] | None = None  # J, frame position, truth mask of the weakest frame
    for k, frame in enumerate(frames):
        if frame.name not in truth_files:
            continue  # frames without an annotation are not scored
        truth = _truth_mask(truth_files[frame.name], shape)
        js.append(m.jaccard(pred[k], truth))
        fs.append(m.boundary_f(pred[k], truth))
        if worst is None or js[-1] < worst[0]:
            worst = (js[-1], k, truth)
    if worst is None:
        raise InputError(f"no annotation matches a frame of {item.path.name}", "Name masks like the frames.")
    score, k, truth = worst
    ctx.worst.append(Worst(score, f"{item.id}/{frames[k].name}", frames[k].image, pred[k], truth))
    j, f = float(np.mean(js)), float(np.mean(fs))
    return {
        "id": item.id,
        "expression": item.truth["expression"],
        "frames": len(frames),
        "scored_frames": len(js),
        "J": 100 * j,
        "F": 100 * f,
        "JF": 100 * (j + f) / 2,
        "seconds": seconds,
        "fps": len(frames) / seconds if seconds else None,
        "rtf": seconds / (len(frames) / DAVIS_FPS),
        "answer": result.answer,
    }


def score_refseg(item: Item, ctx: Context) -> dict[str, Any]:
    image = read_image(item.path, UNLIMITED)
    frame = Frame(image, 0, item.path.stem)
    result, seconds = _timed_run(ctx.backend, [frame], "segment", item.truth["expression"])
    shape = _hw(image)
    pred = _union(result, 1, shape)[0]
    truth = _truth_mask(item.root / item.truth["mask"], shape)
    inter, union = int((pred & truth).sum()), int((pred | truth).sum())
    iou = m.jaccard(pred, truth)
    ctx.worst.append(Worst(iou, item.id, image, pred, truth))
    return {
        "id": item.id,
        "expression": item.truth["expression"],
        "IoU": iou,
        "intersection": inter,
        "union": union,
        "seconds": seconds,
        "answer": result.answer,
    }


def score_describe(item: Item, ctx: Context) -> dict[str, Any]:
    image = read_image(item.path, UNLIMITED)
    result, seconds = _timed_run(ctx.backend, [Frame(image, 0, item.path.stem)], "caption", "")
    row: dict[str, Any] = {
        "id": item.id,
        "description": result.answer,
        "seconds": seconds,
        "captions": item.truth.get("captions", []),
    }
    mentioned = sorted(m.mentioned_categories(result.answer))
    row["mentioned"] = mentioned
    if "objects" in item.truth:  # VizWiz items have no object list: unknown, not "none"
        true = set(item.truth["objects"])
        row["objects"] = sorted(true)
        row["true_positives"] = len(true & set(mentioned))
    return row


def score_ocr(item: Item, ctx: Context) -> dict[str, Any]:
    image = read_image(item.path, UNLIMITED)
    result, seconds = _timed_run(ctx.backend, [Frame(image, 0, item.path.stem)], "read", "read the text")
    text = " ".join(line.text for line in result.text_lines) if result.text_lines else result.answer
    kind = item.truth.get("kind", "unknown")
    counts = m.word_match_counts(text, item.truth["words"], receipt=kind == "receipt")
    return {
        "id": item.id,
        "kind": kind,
        "text": text,
        "words": item.truth["words"],
        "n_true": counts.n_true,
        "matched_true": counts.matched_true,
        "n_output": counts.n_output,
        "matched_output": counts.matched_output,
        "word_recall": counts.matched_true / counts.n_true if counts.n_true else None,
        "word_precision": counts.matched_output / counts.n_output if counts.n_output else None,
        "seconds": seconds,
    }


def score_asr(item: Item, ctx: Context) -> dict[str, Any]:
    from ..audio.wav import read_audio

    if ctx.stt is None:
        raise ConfigError("the asr suite needs a speech recogniser")
    audio, _ = read_audio(item.path)
    start = time.perf_counter()
    transcript = ctx.stt.transcribe(audio)
    seconds = time.perf_counter() - start
    ref = m.normalise_transcript(item.truth["text"])
    subs, dels, ins = m.edit_counts(ref, m.normalise_transcript(transcript.text))
    return {
        "id": item.id,
        "reference": item.truth["text"],
        "transcript": transcript.text,
        "errors": subs + dels + ins,
        "ref_words": len(ref),
        "WER": m.wer(item.truth["text"], transcript.text),
        "audio_s": len(audio) / 16000,
        "seconds": seconds,
    }


Scorer = Callable[[Item, Context], dict[str, Any]]
SCORERS: dict[str, Scorer] = {
    "refvos": score_refvos,
    "refseg": score_refseg,
    "describe": score_describe,
    "ocr": score_ocr,
    "asr": score_asr,
}
PATH_KEYS = {"refseg": "image", "describe": "image", "ocr": "image", "asr": "audio"}


def suite_items(suite: str, data_dir: Path, expressions: Path | None = None) -> list[Item]:
    """The items of ``suite`` in ``data_dir`` (refvos: with ``expressions`` instead of the folder's
    own when given); ConfigError for an unknown suite."""
    if suite not in SCORERS:
        raise ConfigError(f"unknown suite '{suite}'", f"Choose one of: {', '.join(SUITES)}.")
    if not data_dir.is_dir():
        raise InputError(f"{data_dir} is not a folder", f"Pass the folder that holds the {suite} data.")
    if suite == "refvos":
        return refvos_items(data_dir, expressions)
    return manifest_items(data_dir, PATH_KEYS[suite])


def run_items(
    suite: str, items: list[Item], ctx: Context, progress: Callable[[int], object] | None = None
) -> Iterator[dict[str, Any]]:
    """Score each item; a failing item yields ``{"id", "error"}`` instead of stopping the run."""
    scorer = SCORERS[suite]
    for item in items:
        if item.problem:
            yield {"id": item.id, "error": item.problem}
            if progress:
                progress(1)
            continue
        try:
            yield scorer(item, ctx)
        except (AssistError, OSError, ValueError, KeyError, TypeError) as err:  # a bad item, not a bug
            if isinstance(err, AssistError):
                message = err.one_line()
            elif isinstance(err, KeyError):  # a field the suite needs is missing from this line
                message = f"the manifest line has no {err.args[0]!r} field: add it, or remove the line"
            else:
                message = f"{type(err).__name__}: {err}"
            yield {"id": item.id, "error": message}
        if progress:
            progress(1)
