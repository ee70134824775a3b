"""Warm start: one small inference through every model a command has loaded, before it says it is
ready, so the user's first question is answered as fast as the later ones.

The first call of a model pays for what later calls reuse (onnxruntime and CTranslate2 allocate
buffers and pick kernels, MediaPipe and LangGraph set up their graphs, espeak-ng reads its voice): in
the voice loop the first turn took ~1.9 s against ~1.0 s for the later ones (BENCHMARKS.md).
``warm_up`` runs every part it is given once on synthetic input (a painted frame with a sign, a short
tone), looks once at the scene the user will ask about, and returns how long each took. Nothing is
written anywhere: the agent is warmed through throwaway conversations kept in memory, speaking into
nothing; the answers folder and the conversation memory are never touched, the scene is only read. A
part that fails to warm is reported in ``failed`` and left cold (its first real call says the
problem, as it would have anyway). Long-running commands (``listen``, ``chat``) call this; later ones
(``serve``, ``narrate``) should too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .agent.build import WARM_PARAPHRASE
from .audio.mic import BLOCK, RATE
from .config import Config
from .errors import AssistError

WARM_FRAME_SIZE = (640, 480)  # (width, height) px: a common camera size, so buffers fit the real frames
# The recogniser's warm-up clip: a 0.3 s tone at -20 dBFS (well above its -60 dBFS silence), encoded on
# the same 10 s context as a spoken question. It decodes to "" in ~0.3 s; synthetic vowels were taken
# for unsure speech and checked again on the 30 s window (1.5-3 s of warm-up for nothing more).
WARM_TONE_S, WARM_TONE_HZ, WARM_TONE_PEAK = 0.3, 440.0, 0.1
VAD_BLOCKS = 8  # blocks of 32 ms the voice-activity model is run on (then reset)


@dataclass
class WarmUp:
    """What warming up did: milliseconds per part (in the order warmed) and the parts that failed."""

    timings_ms: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # part -> one line: why

    @property
    def total_s(self) -> float:
        return sum(self.timings_ms.values()) / 1000.0

    def summary(self) -> str:
        """One line for stderr: "Ready (warm-up 1.4 s: speech to text 0.31 s, vision and agent ...)."."""
        parts = ", ".join(f"{name} {ms / 1000:.2f} s" for name, ms in self.timings_ms.items())
        return f"Ready (warm-up {self.total_s:.1f} s: {parts})." if parts else "Ready."


def synthetic_frame(size: tuple[int, int] = WARM_FRAME_SIZE, shift: int = 0) -> npt.NDArray[np.uint8]:
    """An RGB (height, width, 3) uint8 scene: grey floor and wall, two coloured boxes, and a white sign
    reading "EXIT 42" (so text reading runs its recogniser, not only its detector). ``shift`` moves the
    boxes right by that many pixels (a second frame for looks over several frames)."""
    import cv2

    w, h = size
    image = np.full((h, w, 3), 150, np.uint8)
    image[int(h * 0.6) :] = (110, 100, 90)  # floor
    cv2.rectangle(image, (w // 16 + shift, h // 2), (w // 3 + shift, h - h // 16), (170, 40, 40), -1)
    cv2.rectangle(
        image, (w // 2 + shift, h // 2 + h // 8), (w // 2 + w // 8 + shift, h - h // 8), (40, 60, 160), -1
    )
    x0, y0 = w - w * 3 // 8, h // 10
    cv2.rectangle(image, (x0, y0), (w - w // 16, y0 + h // 5), (255, 255, 255), -1)
    cv2.putText(
        image, "EXIT 42", (x0 + w // 40, y0 + h // 7), cv2.FONT_HERSHEY_SIMPLEX, w / 400, (0, 0, 0), 3
    )
    return image


def synthetic_tone(seconds: float = WARM_TONE_S, hz: float = WARM_TONE_HZ) -> npt.NDArray[np.float32]:
    """A steady tone at 16 kHz, float32, peaking at ``WARM_TONE_PEAK``: loud enough not to count as
    silence, so the recogniser runs its encoder and decoder (what it makes of it does not matter)."""
    t = np.arange(round(seconds * RATE)) / RATE
    return (WARM_TONE_PEAK * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def warm_up(
    config: Config,
    *,
    backend: Any = None,
    classifier: Any = None,
    stt: Any = None,
    vad: Any = None,
    voice: Any = None,
    frames: Any = None,
    log: Callable[[str], object] | None = None,
) -> WarmUp:
    """Run each given part once: ``vad`` (``audio.vad.Vad``: a few blocks, then ``reset()``), ``stt``
    (anything with ``transcribe(audio)``: a short tone), ``backend`` with
    ``classifier`` (through ``agent.build.warm_agent``: a find and a read on a synthetic frame, then a
    find on the newest frames of ``frames``, the source the user will ask about, when given), and
    ``voice`` (``audio.tts.Voice``: one sentence synthesized, not played). ``log`` gets a line per
    failed part. Parts left None are skipped."""
    done = WarmUp()
    steps: list[tuple[str, Callable[[], object]]] = []
    if vad is not None:
        steps.append(("voice activity", lambda: _warm_vad(vad)))
    if stt is not None:
        steps.append(("speech to text", lambda: stt.transcribe(synthetic_tone())))
    if backend is not None:
        steps.append(("vision and agent", lambda: _warm_agent(config, backend, classifier, frames)))
    elif classifier is not None:
        steps.append(("understanding", lambda: classifier.classify(WARM_PARAPHRASE)))
    if voice is not None:
        steps.append(("speech out", lambda: _warm_voice(voice)))
    for name, step in steps:
        start = time.perf_counter()
        try:
            step()
        except Exception as err:  # a part that cannot warm up is still usable, or fails in its turn
            said = err.one_line() if isinstance(err, AssistError) else f"{type(err).__name__}: {err}"
            done.failed[name] = said.splitlines()[0]
            if log is not None:
                log(f"warning: warming up {name} failed ({done.failed[name]}); its first use will be slower")
        done.timings_ms[name] = (time.perf_counter() - start) * 1000.0
    return done


def _warm_vad(vad: Any) -> None:
    sound = synthetic_tone(VAD_BLOCKS * BLOCK / RATE)
    for k in range(VAD_BLOCKS):
        vad.probability(sound[k * BLOCK : (k + 1) * BLOCK])
    vad.reset()  # the stream it will hear starts afresh


def _warm_agent(config: Config, backend: Any, classifier: Any, frames: Any) -> None:
    from .agent.build import warm_agent

    warm_agent(config, backend, [synthetic_frame(shift=8), synthetic_frame()], classifier, frames)


def _warm_voice(voice: Any) -> None:
    from .audio.tts import synthesize

    synthesize("Ready.", voice)
