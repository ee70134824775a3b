"""How soon a user's voice is heard while the assistant talks (the barge-in trigger).

    .venv/bin/python -m benchmarks.barge_in

Ten short interruptions synthesized with espeak-ng (several voices and rates), each after a second of
silence, are fed block by block to the endpointer; the time from the first sound (-40 dBFS) to
``Endpointer.on_voice`` (which the voice loop wires to stopping the speaker) is printed per phrase.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

PHRASES = (
    ("Wait, how many people?", "en-gb", 180), ("And the other one?", "en-us+f3", 200),
    ("Stop, where is my cup?", "en-us", 180), ("Where is it now?", "en-us", 250),
    ("Read that.", "en-gb-scotland", 160), ("Is there a dog?", "en-029", 220),
    ("No, the left one.", "en-us+m3", 300), ("Hey, stop talking.", "en-gb-x-rp", 200),
    ("Okay, what else?", "en-us", 140), ("Follow him.", "en-gb", 280),
)  # fmt: skip


def main() -> None:
    from sa2va_assist.audio.mic import BLOCK_S, RATE, WavSource
    from sa2va_assist.audio.tts import Voice, synthesize, write_pcm16
    from sa2va_assist.audio.vad import Endpointer, load_vad
    from sa2va_assist.audio.wav import resample

    vad = load_vad()
    delays = []
    with tempfile.TemporaryDirectory() as tmp:
        for text, voice, wpm in PHRASES:
            samples, rate = synthesize(text, Voice(voice, wpm))
            speech = resample(samples, rate, RATE)
            lead = np.zeros(RATE, np.float32)
            path = Path(tmp) / "q.wav"
            write_pcm16(path, np.concatenate([lead, speech]), RATE)
            onset_s = (lead.size + np.flatnonzero(np.abs(speech) > 0.01)[0]) / RATE
            vad.reset()
            endpointer, fed, heard = Endpointer(vad), [0], []
            endpointer.on_voice = lambda fed=fed, heard=heard: heard.append(fed[0] * BLOCK_S)
            for block in WavSource([path]).blocks():
                fed[0] += 1
                endpointer.feed(block)
            delays.append((heard[0] - onset_s) * 1000)
            print(f"{text!r:28} {voice:16} {wpm} wpm: voice heard {delays[-1]:.0f} ms after the first sound")
    print(f"median {np.median(delays):.0f} ms, max {max(delays):.0f} ms")


if __name__ == "__main__":
    main()
