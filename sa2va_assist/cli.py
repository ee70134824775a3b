"""Command line: parse, call, turn errors into exit codes. Nothing else lives here.

Exit codes: 0 success; 2 a problem with input, configuration, models or packages (one line on stderr
naming the fix); 1 an unexpected failure (run again with --debug for the traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, NoReturn

from . import __version__
from .config import STT_ENGINES, Config, load_config, validate
from .errors import AssistError, ConfigError
from .types import TASKS


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line with exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}. See '{self.prog} --help'.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sa2va-assist", description="Grounded answers about images and videos.")
    parser.add_argument("--version", action="version", version=f"sa2va-assist {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ask = sub.add_parser("ask", help="ask about an image, a video or a folder of frames")
    ask.add_argument("source", help="image file, video file or folder of frames")
    ask.add_argument("text", help='what to ask, e.g. "where is the person?"')
    ask.add_argument(
        "--task",
        default="auto",
        choices=("auto", *TASKS),
        help="what to do; auto picks from the text (default)",
    )
    ask.add_argument("--backend", help="vision backend (default from config: lite)")
    ask.add_argument("--model-path", help="local folder with Sa2VA weights (sa2va backend)")
    ask.add_argument("--out", help="write result.json, masks/ and overlays/ to this folder")
    ask.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    ask.add_argument("--max-frames", type=int, help="sample videos down to this many frames")
    _common(ask)

    chat = sub.add_parser("chat", help="a conversation about an image, video, frame folder or camera")
    chat.add_argument("source", help="image, video or folder of frames; camera, camera:N or a stream URL")
    chat.add_argument("--script", help="read the turns from this file (one per line) instead of stdin")
    chat.add_argument("--json", action="store_true", help="print one JSON object per turn")
    chat.add_argument("--speak", action="store_true", help="speak the answers (audio out, else WAV files)")
    chat.add_argument("--speak-dir", help="with --speak and no sound device: write the answers' WAVs here")
    _conversation(chat)

    listen = sub.add_parser(
        "listen", help="the voice loop: ask by voice, hear the answer, interrupt any time"
    )
    seen = listen.add_mutually_exclusive_group()
    seen.add_argument("--camera", help="camera index or stream URL to look through (default: camera 0)")
    seen.add_argument("--source", help="an image, video or frame folder to look at instead of a camera")
    listen.add_argument(
        "--audio-in", nargs="+", help="WAV/FLAC files heard as if spoken (instead of the mic)"
    )
    listen.add_argument("--mic", default="mic", help='microphone: "mic" (default), "mic:NAME" or "mic:INDEX"')
    listen.add_argument("--audio-out", help="write each answer as a WAV file here instead of playing it")
    listen.add_argument("--json", action="store_true", help="print one JSON object per turn")
    listen.add_argument(
        "--realtime", action="store_true", help="with --audio-in: play the files at real speed"
    )
    listen.add_argument(
        "--noise-db", type=float, help="with --audio-in: add white noise at this level (dBFS)"
    )
    listen.add_argument("--push-to-talk", action="store_true", help="listen only after Enter is pressed")
    listen.add_argument("--max-turns", type=int, help="stop after this many turns")
    listen.add_argument(
        "--stt",
        help="speech model: base (default), tiny.en, a CTranslate2 model folder, or a .pt checkpoint "
        "with stt.engine: openai-whisper",
    )
    _conversation(listen)

    setup = sub.add_parser("setup", help="install system libraries and prepare offline models")
    setup.add_argument("--no-system", action="store_true", help="skip the system-library step")
    _common(setup)

    ev = sub.add_parser("eval", help="measure a backend on a data set with the field's metrics")
    ev.add_argument("suite", choices=("refvos", "refseg", "describe", "ocr", "asr"), help="what to measure")
    ev.add_argument("data_dir", help="folder in the suite's layout (see README: Evaluation)")
    ev.add_argument("--backend", help="vision backend (default from config: lite)")
    ev.add_argument("--model-path", help="local folder with Sa2VA weights (sa2va backend)")
    ev.add_argument("--stt", help="speech model for the asr suite (default: config stt.model, base)")
    ev.add_argument("--limit", type=_positive, help="only the first N items")
    ev.add_argument(
        "--expressions",
        metavar="FILE",
        help="refvos: other expressions for the same videos (JSON like expressions.json), e.g. a "
        "phrasing set kept out of tuning",
    )
    ev.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ev.add_argument("--out", help="write eval.json (and overlays of the worst items) to this folder")
    _common(ev)

    tr = sub.add_parser("transcribe", help="speech to text for audio files (offline Whisper)")
    tr.add_argument("audio", nargs="+", help="WAV or FLAC files (any rate, mono or stereo)")
    tr.add_argument("--model", help="base (default: config stt.model), tiny.en, or a model folder/checkpoint")
    tr.add_argument("--engine", choices=STT_ENGINES, help="speech engine (default: config stt.engine)")
    tr.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    _common(tr)

    models = sub.add_parser("models", help="list the Sa2VA models the sa2va backend knows")
    _common(models)
    return parser


def _conversation(p: argparse.ArgumentParser) -> None:
    """Options of the commands that hold a conversation (chat, listen), then the common ones."""
    p.add_argument("--memory", help='conversation memory: a SQLite file or ":memory:" (default: config)')
    p.add_argument("--thread", help="conversation id: continue an earlier conversation kept in memory")
    p.add_argument("--backend", help="vision backend (default from config: lite)")
    p.add_argument("--model-path", help="local folder with Sa2VA weights (sa2va backend)")
    _common(p)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: env SA2VA_ASSIST_CONFIG, else ~/.config/sa2va-assist/config.yaml "
        "if it exists, else the repository's config.yaml)",
    )
    p.add_argument("--debug", action="store_true", help="show the full traceback on errors")


class _Warnings(logging.StreamHandler):
    """The package's logged warnings and errors as ``warning: ...`` / ``error: ...`` lines on the
    current ``sys.stderr``."""

    def __init__(self) -> None:
        super().__init__()
        self.setLevel(logging.WARNING)

    def format(self, record: logging.LogRecord) -> str:
        level = "warning" if record.levelno < logging.ERROR else "error"
        return f"{level}: {record.getMessage()}"

    @property
    def stream(self) -> Any:  # looked up at each line: tests and redirections swap sys.stderr
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def _positive(text: str) -> int:
    """A whole number of at least 1, for counts given on the command line."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    package_log = logging.getLogger("sa2va_assist")
    if not any(isinstance(h, _Warnings) for h in package_log.handlers):
        package_log.addHandler(_Warnings())
    args = build_parser().parse_args(argv)
    try:
        if args.command == "ask":
            return cmd_ask(args)
        if args.command == "chat":
            from .chat import run_chat

            return run_chat(args, _config(args))
        if args.command == "listen":
            from .listen import run_listen

            return run_listen(args, _config(args))
        if args.command == "setup":
            from .install import run_setup

            return run_setup(_config(args), system=not args.no_system)
        if args.command == "eval":
            return cmd_eval(args)
        if args.command == "transcribe":
            return cmd_transcribe(args)
        if args.command == "models":
            _config(args)  # a bad config file is reported here too
            return cmd_models()
        raise ConfigError(f"unknown command {args.command}")
    except AssistError as err:
        if args.debug:
            raise
        print(f"error: {err.one_line()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # the last line of defence: one line, never a bare traceback
        if args.debug:
            raise
        print(
            f"error: unexpected {type(err).__name__}: {err}. Run again with --debug and report it.",
            file=sys.stderr,
        )
        return 1


def _config(args: argparse.Namespace) -> Config:
    """The one way a command gets its config: the file (see ``config.config_file``), the environment,
    then the command's flags on top, every value validated before any work. Works for every command,
    including those without --backend / --model-path / --max-frames."""
    from .vision import check_backend_name

    config = load_config(getattr(args, "config", None))
    flags: dict[str, str] = {}
    backend, model_path = getattr(args, "backend", None), getattr(args, "model_path", None)
    max_frames = getattr(args, "max_frames", None)
    if backend:
        config = replace(config, backend=backend)
        flags["backend"] = "--backend"
    if model_path:
        config = replace(config, sa2va=replace(config.sa2va, model_path=model_path))
        flags["sa2va.model_path"] = "--model-path"
    if max_frames is not None:
        config = replace(config, input=replace(config.input, max_frames=max_frames))
        flags["input.max_frames"] = "--max-frames"
    validate(config, flags)
    check_backend_name(config.backend)  # an unknown backend fails before any work
    return config


def cmd_ask(args: argparse.Namespace) -> int:
    from .compose import answered
    from .io.results import result_document, write_outputs
    from .io.sources import expected_count, load_frames
    from .tasks import choose_task, request_for
    from .vision import load_backend

    config = _config(args)
    task = choose_task(args.text) if args.task == "auto" else args.task

    total = expected_count(args.source, config.input.max_frames)
    with _progress(total, "reading frames") as bar:
        info, frames = load_frames(args.source, config.input.max_frames, config.input.max_side, bar)
    start = time.perf_counter()
    backend = load_backend(config)
    load_ms = (time.perf_counter() - start) * 1000
    request = request_for(frames, task, args.text)
    fov = config.spatial.horizontal_fov_deg
    result = answered(request, backend.run(request), fov, config.agent.unsure_below)
    result.timings_ms.setdefault("load_ms", load_ms)
    failed: AssistError | None = None
    if args.out:
        try:
            doc = write_outputs(args.out, result, frames, info, fov)
            print(
                f"wrote {args.out}/result.json, masks for {len(doc['objects'])} object(s) and "
                f"{len(frames)} overlay(s)",
                file=sys.stderr,
            )
        except AssistError as err:  # the answer is still said; the folder is left as it was
            doc, failed = result_document(result, frames, info, fov), err
    else:
        doc = result_document(result, frames, info, fov)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(result.answer)
    if failed is not None:
        raise failed
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .eval import Context, evaluate
    from .eval.report import table, write_report
    from .eval.suites import suite_items

    config = _config(args)
    expressions = Path(args.expressions) if args.expressions else None
    total = len(suite_items(args.suite, Path(args.data_dir), expressions)[: args.limit or None])  # fail now
    ctx = Context()
    if args.suite == "asr":
        from .audio.stt import stt_from_config

        ctx.stt = stt_from_config(config.stt, args.stt)
        name = f"whisper-{args.stt or config.stt.model}-{config.stt.engine}"
    else:
        from .vision import load_backend

        ctx.backend = load_backend(config)
        name = config.backend
    with _progress(total, f"eval {args.suite}", unit="item", minimum=2) as bar:
        doc = evaluate(args.suite, args.data_dir, ctx, args.limit, bar, name, expressions)
    print(json.dumps(doc, ensure_ascii=False) if args.json else table(args.suite, doc))
    if args.out:  # after the results are shown: a folder that cannot be written loses nothing
        write_report(Path(args.out), doc, ctx.worst)
    if doc["n_items"] and doc["n_failed"] == doc["n_items"]:
        raise AssistError(f"every {args.suite} item failed (first: {doc['items'][0]['error']})")
    return 0


def cmd_transcribe(args: argparse.Namespace) -> int:
    """Each file's transcript; a bad file is reported on stderr and skipped (exit 2 at the end)."""
    from pathlib import Path

    from .audio.longform import LONG_S, duration_of
    from .audio.stt import stt_from_config
    from .audio.wav import read_audio

    config = _config(args)
    stt = stt_from_config(replace(config.stt, engine=args.engine) if args.engine else config.stt, args.model)
    failed = 0
    for path in args.audio:
        row: dict[str, Any] = {"audio": path}
        try:
            length = duration_of(path) if Path(path).is_file() else 0.0
            if length > LONG_S:  # streamed, speech only
                long = _transcribe_long(stt, Path(path), length)
                text, language, seconds, duration = long.text, long.language, long.seconds, long.duration_s
                row["segments"] = [[s.start_s, s.end_s, s.text] for s in long.segments]
                if not long.segments:
                    minutes = f"{duration / 60:.0f} minutes" if duration >= 90 else f"{duration:.0f} s"
                    print(f"{path}: no speech found in {minutes} of audio", file=sys.stderr)
            else:
                audio, rate = read_audio(path)
                transcript = stt.transcribe(audio)
                text, language, seconds, duration = (
                    transcript.text, transcript.language, transcript.seconds, len(audio) / rate,
                )  # fmt: skip
        except AssistError as err:
            failed += 1
            print(f"error: {err.one_line()}", file=sys.stderr)
            continue
        if args.json:
            row.update(text=text, language=language, duration_s=round(duration, 3), seconds=round(seconds, 3))
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{path}: {text}" if len(args.audio) > 1 else text)
    return 2 if failed else 0


def _transcribe_long(stt: Any, path: Any, length: float) -> Any:
    """A long file through ``longform.transcribe_file``, with a progress bar in seconds of audio."""
    from .audio.longform import transcribe_file

    with _progress(round(length), f"transcribing {path.name}", unit="s", minimum=1) as bar:
        done = 0

        def advance(seconds: float) -> None:
            nonlocal done
            if bar is not None:
                bar(round(seconds) - done)
            done = round(seconds)

        return transcribe_file(stt, path, progress=advance)


def cmd_models() -> int:
    from .vision.zoo import MODELS

    for model_id, entry in MODELS.items():
        print(f"{model_id}\t{entry.family}\t{entry.transformers}")
    return 0


class _progress:
    """A tqdm bar on stderr for long reads (more than a few frames, interactive terminals only)."""

    def __init__(self, total: int | None, desc: str, unit: str = "frame", minimum: int = 8) -> None:
        self.total, self.desc, self.unit, self.minimum = total, desc, unit, minimum
        self.bar: Any = None

    def __enter__(self) -> Callable[[int], object] | None:
        if self.total and self.total > self.minimum and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc=self.desc, unit=self.unit, file=sys.stderr)
            return self.bar.update
        return None

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
