"""The voice loop measured end to end: latency per turn, and a soak run for errors and memory growth.

    .venv/bin/python -m benchmarks.voice_loop --turns 40           # latency: end of speech -> first audio
    .venv/bin/python -m benchmarks.voice_loop --minutes 30 --json  # soak: all answered? memory growth?

Questions about examples/astronaut.jpg are synthesized with espeak-ng in several voices and rates,
with silence and low white noise between them, and fed in REAL TIME (``WavSource(realtime=True)``) to
the parts ``sa2va-assist listen`` builds, built by the same functions (``listen.load_models``,
``warm_models``, ``open_loop``): Silero VAD endpointing, Whisper base (config ``stt``) guessing the
transcript at each pause (a complete-sounding guess ends the question early), the agent with the lite
backend, speech synthesized per sentence (recorded, as on a machine without a sound card). So the
wall-clock latency is what a user would wait.

Latency is reported for the first turn of the session alone (``first_turn_ms``, against the median of
the later ones) and as p50/p95 over the turns after the first ``WARMUP_TURNS``. Memory: resident set
size after those turns versus at the end. Word error rate of the transcripts against the spoken text
is reported too. ``--no-warm-up``, ``--no-guess`` and ``--no-early`` leave out the warm-up, the guessed
transcripts and the early end on a complete-sounding guess; ``--fresh-frames`` gives each turn new
frame arrays, as a camera would (the photo's scan is not reused from one turn to the next);
``--sound-card`` speaks through a simulated sound card that plays in real time, so the "thinking"
earcon and each sentence take as long as they last (first answer audio = the answer's first block).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = (
    "Where is the person?", "How many people are there?", "What's in front of me?", "Where is it now?",
    "Is there a dog?", "Read that.", "Say that again.", "Is there anyone near me?", "Follow him.",
    "What can you do?", "Where is my cup?", "Describe the scene.", "How many chairs can you see?",
    "Tell me more.", "Is there any text here?", "Slower please.", "Faster.", "Where are they?",
)  # fmt: skip
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-us+f3", "en-gb-x-rp", "en-us+m3")
RATES = (140, 175, 200, 240, 280)
WARMUP_TURNS = 3


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


class FreshFrames:
    """A still photo seen the way a camera is: each ``latest`` returns new arrays, so the backend's
    per-image caches (its last scan) never carry over from one turn to the next."""

    def __init__(self, source: Any) -> None:
        self.source, self.name, self.live = source, source.name, True

    def latest(self, max_frames: int = 1) -> tuple[Any, ...]:
        return tuple(replace(f, image=f.image.copy()) for f in self.source.latest(max_frames))

    def close(self) -> None:
        self.source.close()


class RealTimeSink:
    """A sound card that plays nothing but takes as long as the audio lasts (``audio.speech.Sink``)."""

    rate = 22_050

    def start(self, rate: int) -> int:
        self.rate = rate
        return rate

    def write(self, block: Any) -> None:
        time.sleep(block.size / self.rate)

    def flush(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


def synthesize_questions(folder: Path, n: int, seed: int = 0) -> list[tuple[Path, str]]:
    """``n`` question WAVs (voice and rate varied), with the text each one says."""
    from sa2va_assist.audio.tts import Voice, synthesize, write_pcm16

    rng = random.Random(seed)
    out = []
    for i in range(n):
        text = QUESTIONS[i % len(QUESTIONS)]
        voice = Voice(rng.choice(VOICES), rng.choice(RATES))
        samples, rate = synthesize(text, voice)
        path = folder / f"q{i:04d}.wav"
        write_pcm16(path, samples, rate)
        out.append((path, text))
    return out


def run(
    n_questions: int,
    minutes: float | None,
    gap_s: float,
    noise_db: float | None,
    realtime: bool = True,
    warm: bool = True,
    guess: bool = True,
    fresh_frames: bool = False,
    early: bool = True,
    sound_card: bool = False,
) -> dict[str, Any]:
    """Build the parts as ``sa2va-assist listen --audio-in ... --audio-out DIR`` does (``load_models``,
    ``warm_models``, ``open_loop``), ask the questions, and report. ``warm=False`` skips the warm-up,
    ``guess=False`` the transcripts guessed at pauses (to measure what each brings); ``fresh_frames``
    gives every turn new frame arrays, as a camera does (no cached scan); ``early=False`` always waits
    ``listen.silence_s`` (no early end on a complete-sounding guess); ``sound_card`` speaks through
    ``AudioSpeaker`` into a sink that plays in real time, earcons included, as ``listen`` does on a
    machine with a sound card (otherwise answers are recorded, as with ``--audio-out``)."""
    from sa2va_assist.audio.mic import WavSource
    from sa2va_assist.config import load_config
    from sa2va_assist.eval.text_metrics import corpus_wer
    from sa2va_assist.io.streams import Snapshot, open_source
    from sa2va_assist.listen import (
        load_models,
        open_loop,
        open_speech,
        tune_malloc,
        warm_models,
    )

    tune_malloc()  # as `sa2va-assist listen` does

    config = load_config()
    early = early and config.listen.early_end  # as listen does: the config can turn it off
    with tempfile.TemporaryDirectory() as tmp:
        if minutes:  # more questions than the time can hold (each is ~1-2 s of speech + the gap)
            n_questions = max(n_questions, int(minutes * 60 / (gap_s + 0.8)) + WARMUP_TURNS)
        clips = synthesize_questions(Path(tmp), n_questions)
        source_spec = str(REPO / "examples" / "astronaut.jpg")
        photo = open_source(source_spec, config.input)
        frames = Snapshot(FreshFrames(photo) if fresh_frames else photo, config.agent.frames_per_look)
        if sound_card:
            from sa2va_assist.audio.speech import AudioSpeaker, Voice

            voice = Voice(config.speech.voice, config.speech.rate_wpm, config.speech.volume)
            speaker = AudioSpeaker(voice, sink=RealTimeSink(), spoken_earcons=config.listen.spoken_earcons)
            save = None
        else:
            speaker, save = open_speech(argparse.Namespace(audio_out=str(Path(tmp) / "answers")), config)
        began = time.monotonic()
        models = load_models(config)
        loaded_s = time.monotonic() - began
        warmed = warm_models(models, config, frames) if warm else None
        source = WavSource([p for p, _ in clips], gap_s=gap_s, realtime=realtime, noise_db=noise_db)
        memory: list[float] = []
        deadline = time.monotonic() + minutes * 60 if minutes else None

        def on_turn(turn: Any) -> None:
            memory.append(rss_mb())
            if len(memory) % 25 == 0:  # progress for long soaks
                print(
                    json.dumps({"turn": len(memory), "rss_mb": round(memory[-1], 1)}),
                    file=sys.stderr,
                    flush=True,
                )
            if deadline is not None and time.monotonic() > deadline:
                source.close()

        loop = open_loop(
            config, models, source, speaker, frames, str(Path(tmp) / "memory.sqlite"), None, guess=guess,
            early=early, on_turn=on_turn, after_turn=save,
        )  # fmt: skip
        start = time.monotonic()
        turns = loop.run()
        wall = time.monotonic() - start
        speaker.close()
    base = memory[min(WARMUP_TURNS, len(memory)) - 1] if memory else float("nan")
    counted = turns[WARMUP_TURNS:] if len(turns) > WARMUP_TURNS else turns
    first = sorted(t.timings_ms["first_audio_ms"] for t in counted if "first_audio_ms" in t.timings_ms)
    every = [t.timings_ms.get("first_audio_ms") for t in turns]
    later = [ms for ms in every[1:] if ms is not None]
    # the first question asked again later: the same work warm (fairer than the median of all questions)
    asked = [text for _, text in clips[1 : len(every)]]
    again = [ms for text, ms in zip(asked, every[1:], strict=False) if text == clips[0][1] and ms is not None]
    said = [text for _, text in clips[: len(turns)]]
    wer = corpus_wer(said, [t.transcript for t in turns]) if len(turns) == len(said) else None

    def median(key: str) -> float:
        values = [t.timings_ms[key] for t in counted if key in t.timings_ms]
        return round(statistics.median(values), 1) if values else float("nan")

    def rounded(ms: float | None) -> float | None:
        return None if ms is None else round(ms, 1)

    keys = ("vad_ms", "stt_ms", "stt_run_ms", "agent_ms", "vision_ms", "scan_ms", "first_sentence_ms")
    return {
        "turns": len(turns),
        "questions_fed": len(clips),
        "errors": sum(1 for t in turns if t.error),
        "unanswered": sum(1 for t in turns if not t.sentences and not t.question and t.intent != "stop"),
        "wall_s": round(wall, 1),
        "load_s": round(loaded_s, 2),
        "warm_up_ms": None if warmed is None else {k: round(v, 1) for k, v in warmed.timings_ms.items()},
        "guessing": guess,
        "fresh_frames": fresh_frames,
        "early_end": early,
        "sound_card": sound_card,
        "guessed_turns": sum(1 for t in turns if t.guessed),
        "guesses_made": loop.stt.guesses,
        "first_audio_ms_p50": round(float(np.percentile(first, 50)), 1) if first else None,
        "first_audio_ms_p95": round(float(np.percentile(first, 95)), 1) if first else None,
        "first_turn_ms": rounded(every[0]) if every else None,
        "first_turn_timings_ms": {k: round(v, 1) for k, v in turns[0].timings_ms.items()} if turns else None,
        "later_turns_median_ms": round(statistics.median(later), 1) if later else None,
        "first_over_later_median": round(every[0] / statistics.median(later), 2)
        if every and every[0] is not None and later
        else None,
        "first_question_again_ms": [round(ms, 1) for ms in again],
        "first_audio_ms_every_turn": [None if ms is None else round(ms) for ms in every],
        "median_ms": {k: median(k) for k in keys},
        "wer": None if wer is None else round(wer, 4),
        "rss_mb_after_warmup": round(base, 1),
        "rss_mb_end": round(memory[-1], 1) if memory else None,
        "rss_growth": round(memory[-1] / base - 1, 4) if memory else None,
        "rss_mb_every_25_turns": [round(m, 1) for m in memory[::25]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=40, help="questions to ask (latency run)")
    parser.add_argument("--minutes", type=float, help="soak: keep asking for this long")
    parser.add_argument("--gap", type=float, default=3.0, help="seconds of silence/noise after each question")
    parser.add_argument("--noise-db", type=float, default=-45.0, help="white noise level between questions")
    parser.add_argument("--fast", action="store_true", help="feed audio as fast as answered (memory checks)")
    parser.add_argument("--no-warm-up", action="store_true", help="skip the warm-up (first-turn comparison)")
    parser.add_argument("--no-guess", action="store_true", help="transcribe only once the end is decided")
    parser.add_argument(
        "--no-early", action="store_true", help="always wait listen.silence_s (no early end on a guess)"
    )
    parser.add_argument("--sound-card", action="store_true", help="speak in real time, earcons too")
    parser.add_argument("--fresh-frames", action="store_true", help="new frame arrays every turn (a camera)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(
        args.turns, args.minutes, args.gap, args.noise_db, realtime=not args.fast,
        warm=not args.no_warm_up, guess=not args.no_guess, fresh_frames=args.fresh_frames,
        early=not args.no_early, sound_card=args.sound_card,
    )  # fmt: skip
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
