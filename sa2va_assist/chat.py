"""``sa2va-assist chat SOURCE``: a typed conversation with the agent about an image, a video, a frame
folder or a camera. One line per turn; answers stream out sentence by sentence (and are spoken with
``--speak``); ``--json`` prints one object per turn; ``--script FILE`` reads the turns from a file.
Every model is warmed up (``warmup.warm_up``) before "Ready." is printed, so the first answer comes
as fast as the later ones."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from .config import Config
from .errors import AssistError
from .warmup import warm_up

QUIT = frozenset({"quit", "exit", "goodbye", "bye", ":q"})


NOT_TEXT = "\x00not-text"  # a line that is not UTF-8 text: reported and skipped, the rest answered


def turns_from(args: argparse.Namespace, stdin: TextIO) -> Iterator[str]:
    """Utterances from ``--script`` (or stdin), one per line; blank lines and ``#`` comments skipped
    in scripts (an empty line typed live is a turn: "Sorry, I didn't catch that"). A line that is not
    UTF-8 text comes as ``NOT_TEXT`` followed by its line number, so the lines around it still run."""
    if args.script:
        try:
            with open(args.script, "rb") as f:
                raw = f.read().splitlines()
        except OSError as err:
            raise AssistError(
                f"cannot read script {args.script} ({err.strerror})", "Pass an existing text file."
            ) from err
        for number, data in enumerate(raw, start=1):
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError:
                yield f"{NOT_TEXT}{number}"
                continue
            if line.strip() and not line.lstrip().startswith("#"):
                yield line
        return
    live = stdin.isatty()
    number = 0
    while True:
        if live:
            print("> ", end="", file=sys.stderr, flush=True)
        number += 1
        try:
            line = stdin.readline()
        except UnicodeDecodeError:
            yield f"{NOT_TEXT}{number}"
            continue
        if not line:
            return
        yield line.rstrip("\n")


def turn_document(n: int, turn: Any) -> dict[str, Any]:
    return {
        "turn": n,
        "utterance": turn.utterance,
        "intent": turn.intent,
        "target": turn.target,
        "answer": turn.answer,
        "sentences": turn.sentences,
        "question": turn.question,
        "objects": turn.objects,
        "timings_ms": {k: round(v, 2) for k, v in turn.timings_ms.items()},
    }


def run_chat(args: argparse.Namespace, config: Config, stdin: TextIO | None = None) -> int:
    from .agent.build import load_classifier, open_conversation
    from .io.streams import open_source
    from .vision import load_backend

    stdin = stdin or sys.stdin
    source = open_source(args.source, config.input)
    speaker: Any = None
    try:
        backend = load_backend(config)
        voice: Any = None
        if args.speak:
            from .audio.speech import Voice, open_speaker

            voice = Voice(config.speech.voice, config.speech.rate_wpm, config.speech.volume)
            speaker = open_speaker("auto", voice, out_dir=args.speak_dir)
        classifier = load_classifier(config.lite.threads // 2 or 1) if config.agent.examples else None
        conversation = open_conversation(
            config, backend, source, speaker, args.memory, args.thread, classifier
        )
        warmed = warm_up(
            config, backend=backend, classifier=classifier, voice=voice, frames=source,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )  # fmt: skip
        if not args.json and stdin.isatty() and not args.script:
            print(f"{warmed.summary()} Ask about {args.source}; type 'quit' to leave.", file=sys.stderr)
        else:
            print(warmed.summary(), file=sys.stderr, flush=True)
        failed = 0
        for n, utterance in enumerate(turns_from(args, stdin), start=1):
            if utterance.strip().lower() in QUIT:
                break
            if utterance.startswith(NOT_TEXT):
                failed += 1
                where = f"line {utterance[len(NOT_TEXT) :]}" + (f" of {args.script}" if args.script else "")
                print(
                    f"error: {where} is not UTF-8 text; skipped. Save the script as UTF-8.", file=sys.stderr
                )
                continue
            try:
                on_sentence = None if args.json else (lambda s: print(s, flush=True))
                turn = conversation.turn(utterance, on_sentence)
            except AssistError as err:
                failed += 1
                print(f"error: {err.one_line()}", file=sys.stderr)
                continue
            except Exception as err:  # one bad turn never ends the conversation
                failed += 1
                print(f"error: turn {n} failed ({type(err).__name__}: {err}); carrying on.", file=sys.stderr)
                continue
            if args.json:
                print(json.dumps(turn_document(n, turn), ensure_ascii=False), flush=True)
        return 2 if failed else 0
    finally:
        if speaker is not None:
            speaker.wait(30.0)
            speaker.close()
        source.close()
