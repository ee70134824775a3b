"""Speech-to-text latency and accuracy on short spoken questions: engines, 30 s window vs short context.

    .venv/bin/python -m benchmarks.stt_latency [--engines ct2,openai-whisper] [--models base,tiny.en]
        [--threads 2,1] [--runs 3] [--json]

Twenty questions are synthesised with espeak-ng (five voices, 130-260 words per minute, 0.9-2.4 s)
and resampled to 16 kHz. For each engine, model and thread count the warm model transcribes every
clip ``--runs`` times in each mode:

- ``window``: openai-whisper's transcribe(), every clip padded to 30 s (``short_context=False``);
- ``short``: the clip plus padding on a short audio context (``short_context=True``, the default);
- ``window-im``: ``window`` inside ``torch.inference_mode()`` (only with ``--modes``).

Latency is per clip (the median of its runs), from the samples in memory to the text, so it is what
the voice loop waits for after the end of a question. p50/p95 are over clips. WER is the corpus word
error rate against the text that was synthesised (``eval.text_metrics.corpus_wer``; numbers and
punctuation normalised); "same" counts clips whose text equals the window mode's. A model whose
packages are missing is skipped with a note. Machines shared with other work give noisy timings: the
load average is printed with the table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from typing import Any

import numpy as np

from sa2va_assist.audio.stt import WhisperOptions, WhisperRecognizer, load_stt
from sa2va_assist.audio.tts import Voice, synthesize
from sa2va_assist.audio.wav import resample
from sa2va_assist.errors import AssistError
from sa2va_assist.eval.text_metrics import corpus_wer

QUESTIONS = (
    "Where is my red cup?",
    "Read the text on the door.",
    "What is in front of me?",
    "Is the door open?",
    "How many people are there?",
    "Where did I leave my keys?",
    "Where is the nearest chair?",
    "What does the sign say?",
    "Describe the room around me.",
    "Follow the dog, please.",
    "Is there a car coming?",
    "Guide me to the bus stop.",
    "Where did I leave my phone?",
    "Tell me more about it.",
    "What colour is this shirt?",
    "Is the kitchen light on?",
    "Can you read the label on this bottle?",
    "Is anyone sitting at the table?",
    "Which way is the exit?",
    "How far away is the person?",
)
VOICES = (("en-us", 175), ("en-gb", 150), ("en-us+f3", 220), ("en-gb-scotland", 130), ("en-029", 260))
MODES = ("window", "short", "window-im")


def spoken_questions() -> list[tuple[str, np.ndarray]]:
    """(text, float32 samples at 16 kHz) for every question, voices taken in turn."""
    clips = []
    for i, text in enumerate(QUESTIONS):
        name, rate = VOICES[i % len(VOICES)]
        samples, sample_rate = synthesize(text, Voice(name, rate))
        clips.append((text, resample(samples, sample_rate)))
    return clips


def measure(
    stt: WhisperRecognizer, mode: str, clips: list[tuple[str, np.ndarray]], runs: int
) -> dict[str, Any]:
    """Per-clip median latency (s) and first-run text over ``clips``, on the warm ``stt``."""
    inference = contextlib.nullcontext if mode != "window-im" else _inference_mode
    stt.transcribe(clips[0][1])  # warm-up: first-call allocations, thread pool start
    seconds, texts, contexts = [], [], []
    for _, samples in clips:
        runs_s = []
        for run in range(runs):
            with inference():
                start = time.perf_counter()
                heard = stt.transcribe(samples)
                runs_s.append(time.perf_counter() - start)
            if run == 0:
                texts.append(heard.text)
                contexts.append(heard.context_s)
        seconds.append(statistics.median(runs_s))
    return {"seconds": seconds, "texts": texts, "context_s": contexts}


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _inference_mode() -> Any:
    import torch

    return torch.inference_mode()


def run(
    engines: list[str], models: list[str], threads: list[int], modes: list[str], runs: int
) -> dict[str, Any]:
    clips = spoken_questions()
    durations = [samples.size / 16_000 for _, samples in clips]
    refs = [text for text, _ in clips]
    rows, skipped = [], []
    for engine in engines:
        for model in models:
            for n in threads:
                try:
                    loaded = load_stt(model, WhisperOptions(threads=n), engine=engine, progress=_say)
                except AssistError as err:
                    skipped.append(f"{engine} {model}: {err}")
                    continue
                window_texts: list[str] | None = None
                for mode in modes:
                    if mode == "window-im" and engine != "openai-whisper":
                        continue
                    stt = loaded.with_options(WhisperOptions(threads=n, short_context=mode == "short"))
                    got = measure(stt, mode, clips, runs)
                    window_texts = got["texts"] if mode == "window" else window_texts
                    same = None
                    if window_texts:
                        same = sum(a == b for a, b in zip(got["texts"], window_texts, strict=True))
                    rows.append(
                        {
                            "engine": engine,
                            "model": model,
                            "threads": n,
                            "mode": mode,
                            "p50_s": float(np.percentile(got["seconds"], 50)),
                            "p95_s": float(np.percentile(got["seconds"], 95)),
                            "mean_s": float(np.mean(got["seconds"])),
                            "WER": corpus_wer(refs, got["texts"]),
                            "same_as_window": same,
                            "context_s": sorted(set(got["context_s"])),
                            "seconds": got["seconds"],
                            "texts": got["texts"],
                        }
                    )
                    print(f"{engine} {model} threads={n} {mode}: done", file=sys.stderr)
    return {
        "clips": len(clips),
        "audio_s": {"min": min(durations), "median": statistics.median(durations), "max": max(durations)},
        "runs_per_clip": runs,
        "load_average": os.getloadavg(),
        "references": refs,
        "rows": rows,
        "skipped": skipped,
    }


def table(report: dict[str, Any]) -> str:
    audio = report["audio_s"]
    lines = [
        f"{report['clips']} espeak-ng questions, {audio['min']:.2f}-{audio['max']:.2f} s of audio "
        f"(median {audio['median']:.2f} s); latency per clip = median of {report['runs_per_clip']} warm runs",
        f"{'engine':14} {'model':8} {'threads':>7} {'mode':10} {'p50 s':>7} {'p95 s':>7} {'mean s':>7} "
        f"{'WER':>6} {'same':>5}  context s",
    ]
    for r in report["rows"]:
        same = "" if r["same_as_window"] is None else f"{r['same_as_window']}/{report['clips']}"
        lines.append(
            f"{r['engine']:14} {r['model']:8} {r['threads']:>7} {r['mode']:10} {r['p50_s']:7.3f} "
            f"{r['p95_s']:7.3f} {r['mean_s']:7.3f} {r['WER']:6.3f} {same:>5}  "
            + ", ".join(f"{c:g}" for c in r["context_s"])
        )
    lines += [f"skipped {s}" for s in report["skipped"]]
    lines.append(
        "load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*report["load_average"])
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="ct2,openai-whisper", help="comma-separated speech engines")
    parser.add_argument("--models", default="base", help="comma-separated: base, tiny.en, a .pt path")
    parser.add_argument("--threads", default="2", help="comma-separated CPU thread counts")
    parser.add_argument("--modes", default="window,short", help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--runs", type=int, default=3, help="warm runs per clip (its median counts)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON, not a table")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes {sorted(unknown)}; use {', '.join(MODES)}")
    threads = [int(t) for t in args.threads.split(",")]
    report = run(args.engines.split(","), args.models.split(","), threads, modes, args.runs)
    print(json.dumps(report, indent=1) if args.json else table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
