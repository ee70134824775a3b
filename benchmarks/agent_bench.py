"""The agent's numbers: intent accuracy on the utterance sets in tests/data, and per-turn overhead.

    .venv/bin/python -m benchmarks.agent_bench [--rounds 5] [--json]

Accuracy: ``understand`` with the real sentence-embedding classifier on each labelled file, overall and
per intent. Overhead: a scripted conversation (every intent, follow-ups, asking back) with the lite
backend on examples/astronaut.jpg, memory on disk (SQLite) as by default and in memory; per turn,
everything except the vision calls (total minus vision and hazard-scan time). The first round warms
up and is not counted.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SETS = ("intents_dev.tsv", "intents_test.tsv", "intents_holdout.tsv")
SCRIPT = (
    "what's in front of me", "where is the person", "where is it now", "how many people are there",
    "is there a dog", "read that", "say that again", "tell me more", "slower", "faster", "follow him",
    "um", "help", "stop",
)  # fmt: skip


def rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as f:
        data = [r for r in csv.reader(f, delimiter="\t") if r and not r[0].startswith("#")][1:]
    return [(r[0], r[2]) for r in data]


def accuracy(classifier: Any) -> dict[str, Any]:
    from sa2va_assist.agent.intents import understand

    out: dict[str, Any] = {}
    for name in SETS:
        labelled = rows(DATA / name)
        ms, right, per, misses = [], 0, Counter[str](), []
        for intent, text in labelled:
            t0 = time.perf_counter()
            got = understand(text, classifier).intent
            ms.append((time.perf_counter() - t0) * 1000)
            right += got == intent
            per[intent] += got == intent
            if got != intent:
                misses.append(f"{intent}->{got}: {text}")
        totals = Counter(i for i, _ in labelled)
        out[name] = {
            "n": len(labelled),
            "accuracy": round(right / len(labelled), 4),
            "per_intent": {k: round(per[k] / totals[k], 3) for k in sorted(totals)},
            "understand_ms_p50": round(statistics.median(ms), 3),
            "understand_ms_p95": round(sorted(ms)[int(0.95 * len(ms))], 3),
            "misses": misses,
        }
    return out


def overhead(classifier: Any, rounds: int, memory: str) -> dict[str, float]:
    from sa2va_assist.agent.build import open_conversation
    from sa2va_assist.config import load_config
    from sa2va_assist.io.streams import FileSource
    from sa2va_assist.vision import load_backend

    config = load_config()
    backend = load_backend(config, "lite")
    source = FileSource(REPO / "examples" / "astronaut.jpg", config.input)
    conv = open_conversation(config, backend, source, memory=memory, classifier=classifier)
    agent, first, vision = [], [], []
    for r in range(rounds + 1):
        for text in SCRIPT:
            turn = conv.turn(text)
            if r == 0:
                continue  # warm-up round
            agent.append(turn.overhead_ms)
            vision.append(turn.timings_ms.get("vision_ms", 0.0) + turn.timings_ms.get("scan_ms", 0.0))
            if "first_sentence_ms" in turn.timings_ms:
                first.append(turn.timings_ms["first_sentence_ms"])
    agent.sort()
    return {
        "turns": len(agent),
        "overhead_ms_p50": round(statistics.median(agent), 2),
        "overhead_ms_p95": round(agent[int(0.95 * len(agent))], 2),
        "overhead_ms_max": round(agent[-1], 2),
        "vision_ms_p50": round(statistics.median(vision), 1),
        "first_sentence_ms_p50": round(statistics.median(first), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the scripted conversation")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from sa2va_assist.agent.build import load_classifier

    classifier = load_classifier()
    report: dict[str, Any] = {"accuracy": accuracy(classifier)}
    with tempfile.TemporaryDirectory() as tmp:
        report["overhead_sqlite"] = overhead(classifier, args.rounds, str(Path(tmp) / "memory.sqlite"))
    report["overhead_in_memory"] = overhead(classifier, args.rounds, ":memory:")
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, r in report["accuracy"].items():
        print(f"{name}: {r['accuracy']:.3f} on {r['n']} (understand p50 {r['understand_ms_p50']} ms)")
        for miss in r["misses"]:
            print(f"    {miss}")
    for key in ("overhead_sqlite", "overhead_in_memory"):
        print(key, report[key])


if __name__ == "__main__":
    main()
