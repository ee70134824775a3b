"""End-to-end latency of one `ask` with a warm model, plus cold start and peak memory.

    .venv/bin/python benchmarks/ask_latency.py [--runs 50] [--backend lite] [--text "where is the person?"]

The request is a 640x480 frame (examples/astronaut.jpg fitted onto a 640x480 canvas) going through the
same path as `sa2va-assist ask`: task choice, the backend's run, and the result document with positions.
Cold start is measured in a fresh interpreter: import + backend load until ready, and that process's
peak resident memory after one request.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "astronaut.jpg"

COLD = """
import resource, sys, time
t0 = time.perf_counter()
from sa2va_assist.config import load_config
from sa2va_assist.vision import load_backend
backend = load_backend(load_config(), sys.argv[1])
t1 = time.perf_counter()
from benchmarks.ask_latency import frame_640x480, one_ask
one_ask(backend, frame_640x480(), sys.argv[2])
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(t1 - t0, peak_mb)
"""


def frame_640x480():  # type: ignore[no-untyped-def]
    """The example photo scaled to fit 640x480 and centred on a grey canvas."""
    from sa2va_assist.io.sources import fit_side, read_image
    from sa2va_assist.types import Frame

    photo = fit_side(read_image(EXAMPLE), 480)
    canvas = np.full((480, 640, 3), 127, np.uint8)
    h, w = photo.shape[:2]
    y, x = (480 - h) // 2, (640 - w) // 2
    canvas[y : y + h, x : x + w] = photo
    return Frame(canvas, 0, "bench")


def one_ask(backend, frame, text: str) -> dict:  # type: ignore[no-untyped-def]
    """What `sa2va-assist ask` does after reading the file: choose the task, understand the words,
    run, word the answer (the composer), build the document."""
    from sa2va_assist.compose import answered
    from sa2va_assist.io.results import result_document
    from sa2va_assist.spatial import DEFAULT_FOV_DEG
    from sa2va_assist.tasks import choose_task, request_for

    request = request_for((frame,), choose_task(text), text)
    result = answered(request, backend.run(request), DEFAULT_FOV_DEG)
    return result_document(result, [frame])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--backend", default="lite")
    parser.add_argument("--text", default="where is the person?")
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()

    from sa2va_assist.config import load_config
    from sa2va_assist.vision import load_backend

    backend = load_backend(load_config(), args.backend)
    frame = frame_640x480()
    answer = one_ask(backend, frame, args.text)["answer"]  # warm-up
    times = []
    for _ in range(args.runs):
        fresh = dataclasses.replace(frame, image=frame.image.copy())  # a new array, as from a camera:
        start = time.perf_counter()  # the backend keeps the last image's detections by identity
        one_ask(backend, fresh, args.text)
        times.append(time.perf_counter() - start)
    cold = []
    for _ in range(args.cold_runs):
        done = subprocess.run(
            [sys.executable, "-c", COLD, args.backend, args.text],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        cold.append([float(v) for v in done.stdout.split()[-2:]])
    report = {
        "backend": args.backend,
        "text": args.text,
        "answer": answer,
        "runs": args.runs,
        "warm_p50_s": float(np.percentile(times, 50)),
        "warm_p95_s": float(np.percentile(times, 95)),
        "cold_start_s_median": float(np.median([c[0] for c in cold])),
        "peak_rss_mb_median": float(np.median([c[1] for c in cold])),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
