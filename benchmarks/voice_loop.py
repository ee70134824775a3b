"""The voice loop measured end to end: latency per turn, and a soak run for errors and memory growth.

    .venv/bin/python -m benchmarks.voice_loop --turns 40           # latency: end of speech -> first audio
    .venv/bin/python -m benchmarks.voice_loop --minutes 30 --json  # soak: all answered? memory growth?

Questions about examples/astronaut.jpg are synthesized with espeak-ng in several voices and rates,
with silence and low white noise between them, and fed in REAL TIME (``WavSource(realtime=True)``) to
the same parts ``sa2va-assist listen`` uses: Silero VAD endpointing, Whisper base, the agent with the
lite backend, speech synthesized per sentence (recorded, as on a machine without a sound card). So the
wall-clock latency is what a user would wait. Memory: resident set size after a warm-up versus at the
end. Word error rate of the transcripts against the spoken text is reported too.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
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
    n_questions: int, minutes: float | None, gap_s: float, noise_db: float | None, realtime: bool = True
) -> dict[str, Any]:
    from sa2va_assist.agent.build import load_classifier, open_conversation
    from sa2va_assist.audio.loop import VoiceLoop
    from sa2va_assist.audio.mic import WavSource
    from sa2va_assist.audio.recorder import AnswerRecorder
    from sa2va_assist.audio.stt import load_stt
    from sa2va_assist.audio.vad import Endpointer, load_vad, utterances
    from sa2va_assist.config import load_config
    from sa2va_assist.eval.text_metrics import corpus_wer
    from sa2va_assist.io.streams import FileSource, Snapshot
    from sa2va_assist.listen import limit_malloc_arenas
    from sa2va_assist.vision import load_backend

    limit_malloc_arenas()  # as `sa2va-assist listen` does

    config = load_config()
    lc = config.listen
    with tempfile.TemporaryDirectory() as tmp:
        if minutes:  # more questions than the time can hold (each is ~1-2 s of speech + the gap)
            n_questions = max(n_questions, int(minutes * 60 / (gap_s + 0.8)) + WARMUP_TURNS)
        clips = synthesize_questions(Path(tmp), n_questions)
        frames = Snapshot(FileSource(REPO / "examples" / "astronaut.jpg", config.input))
        speaker = AnswerRecorder(Path(tmp) / "answers")
        agent = open_conversation(
            config,
            load_backend(config),
            frames,
            speaker,
            str(Path(tmp) / "memory.sqlite"),
            None,
            load_classifier(),
        )
        stt = load_stt(config.stt.model)
        source = WavSource([p for p, _ in clips], gap_s=gap_s, realtime=realtime, noise_db=noise_db)
        endpointer = Endpointer(load_vad(), lc.vad_threshold, lc.silence_s, max_utterance_s=lc.max_question_s)
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

        loop = VoiceLoop(utterances(source, endpointer), stt, agent, speaker, frames=frames, on_turn=on_turn,
                         after_turn=lambda t: speaker.finish(t.n))  # fmt: skip
        start = time.monotonic()
        turns = loop.run()
        wall = time.monotonic() - start
    base = memory[min(WARMUP_TURNS, len(memory)) - 1] if memory else float("nan")
    counted = turns[WARMUP_TURNS:] if len(turns) > WARMUP_TURNS else turns
    first = sorted(t.timings_ms["first_audio_ms"] for t in counted if "first_audio_ms" in t.timings_ms)
    said = [text for _, text in clips[: len(turns)]]
    wer = corpus_wer(said, [t.transcript for t in turns]) if len(turns) == len(said) else None

    def median(key: str) -> float:
        values = [t.timings_ms[key] for t in counted if key in t.timings_ms]
        return round(statistics.median(values), 1) if values else float("nan")

    return {
        "turns": len(turns),
        "questions_fed": len(clips),
        "errors": sum(1 for t in turns if t.error),
        "unanswered": sum(1 for t in turns if not t.sentences and not t.question and t.intent != "stop"),
        "wall_s": round(wall, 1),
        "first_audio_ms_p50": round(float(np.percentile(first, 50)), 1) if first else None,
        "first_audio_ms_p95": round(float(np.percentile(first, 95)), 1) if first else None,
        "median_ms": {k: median(k) for k in ("vad_ms", "stt_ms", "agent_ms", "vision_ms", "scan_ms")},
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
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args.turns, args.minutes, args.gap, args.noise_db, realtime=not args.fast)
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
