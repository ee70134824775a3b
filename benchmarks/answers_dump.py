"""Every answer `ask` gives for a set of photos and phrasings, one JSON line each ([photo, question,
answer]): run it on two commits and `diff` the outputs to see exactly which answers a change rewords.

    .venv/bin/python benchmarks/answers_dump.py examples/*.jpg examples/*.png > after.txt
    (cd OLD_CHECKOUT && PYTHONPATH=. /path/to/.venv/bin/python benchmarks/answers_dump.py ...) > before.txt
"""

from __future__ import annotations

import json
import sys

QUESTIONS = (
    "where is the cup?", "how many people are there?", "what is in front of me?", "read the sign",
    "describe the scene", "is there a dog?", "what colour is the cup?", "where are my keys?",
    "who is near me?", "where is the person on the left?",
)  # fmt: skip


def main(paths: list[str]) -> int:
    from sa2va_assist.api import load

    assistant = load("lite")
    for path in paths:
        for question in QUESTIONS:
            try:
                answer = assistant.ask(path, question).answer
            except Exception as err:  # a failure is an answer worth diffing too
                answer = f"ERROR {err}"
            print(json.dumps([path.rsplit("/", 1)[-1], question, answer], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
