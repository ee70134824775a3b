"""Run every evaluation suite on a data folder, repeat for speed, and print BENCHMARKS.md rows.

    .venv/bin/python benchmarks/eval_all.py ../shared/data/dev [--backend lite] [--repeats 3]
        [--suites refvos,refseg,describe,ocr,asr] [--json OUT.json]

Quality metrics are deterministic and come from the first run; speed figures (fps, rtf, latency) are
medians over the repeats. Models load once, before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sa2va_assist.config import load_config
from sa2va_assist.eval import Context, evaluate
from sa2va_assist.eval.report import HEADLINES

SPEED = ("fps", "rtf", "latency_p50_s", "latency_p95_s")


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("JF", "J", "F"):
        return f"{value:.1f}"
    if key in ("fps",):
        return f"{value:.1f}"
    return f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_root", type=Path, help="folder holding refvos/ refseg/ describe/ ocr/ asr/")
    parser.add_argument("--backend", default="lite")
    parser.add_argument("--stt", default="base")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--suites", default="refvos,refseg,describe,ocr,asr")
    parser.add_argument("--json", type=Path, help="also write every run's documents here")
    args = parser.parse_args()

    ctx = Context()
    suites = args.suites.split(",")
    if any(s != "asr" for s in suites):
        from sa2va_assist.vision import load_backend

        ctx.backend = load_backend(load_config(), args.backend)
    if "asr" in suites:
        from sa2va_assist.audio.stt import load_stt

        ctx.stt = load_stt(args.stt)
    runs: dict[str, list[dict[str, Any]]] = {}
    for suite in suites:
        name = f"whisper-{args.stt}" if suite == "asr" else args.backend
        for r in range(args.repeats):
            start = time.perf_counter()
            doc = evaluate(suite, args.data_root / suite, Context(ctx.backend, ctx.stt), backend_name=name)
            print(f"{suite} run {r + 1}/{args.repeats}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
            runs.setdefault(suite, []).append(doc)
    cores = os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores; date {time.strftime('%Y-%m-%d')}")
    for suite, docs in runs.items():
        keys = HEADLINES[suite]
        first = docs[0]
        values = {
            k: statistics.median(d[k] for d in docs)
            if k in SPEED and first.get(k) is not None
            else first.get(k)
            for k in keys
        }
        print(f"\n{suite} ({first['backend']}, {first['n_items']} items, {first['n_failed']} failed)")
        print("| " + " | ".join(keys) + " |")
        print("|" + "---|" * len(keys))
        print("| " + " | ".join(_fmt(k, values[k]) for k in keys) + " |")
        for kind, v in first.get("per_kind", {}).items():
            print(
                f"  {kind}: word_recall {_fmt('', v['word_recall'])}, "
                f"word_precision {_fmt('', v['word_precision'])} ({v['n_items']} items)"
            )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
