"""The agent end to end on painted scenes: every intent, follow-ups, asking back, hazards first,
streaming, memory on disk. The painted backend really segments its frames (classes are colours), so
the positions the agent speaks come from masks whose right answer the test knows."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from sa2va_assist.agent.conversation import Conversation, open_checkpointer
from sa2va_assist.agent.options import AgentOptions, Deps
from sa2va_assist.spatial import clock_hour, horizontal_angle
from sa2va_assist.types import VisionRequest, VisionResult

from .fakes import FrameList, LabelFreeBackend, PaintedBackend, RecordingSpeaker, painted

LEFT_CUP = ("cup", (100, 300, 160, 380))
RIGHT_CUP = ("cup", (480, 300, 540, 380))


def hour_of(box: tuple[int, int, int, int], width: int = 640) -> int:
    return clock_hour(horizontal_angle((box[0] + box[2]) / 2, width, 70.0))


def talk(*images: np.ndarray, backend: object = None, **options: object) -> tuple:
    source = FrameList(*images)
    speaker = RecordingSpeaker()
    backend = backend or PaintedBackend()
    conv = Conversation(Deps(backend, source, speaker, speaker.set_rate), AgentOptions(**options))  # type: ignore[arg-type]
    return conv, source, speaker, backend


def test_find_answers_noun_first_with_the_clock_hour_of_the_mask() -> None:
    conv, _, speaker, _ = talk(painted([RIGHT_CUP]))
    turn = conv.turn("Where is my cup?")
    assert turn.intent == "find" and turn.target == "cup"
    assert turn.sentences[0].startswith(f"Cup, {hour_of(RIGHT_CUP[1])} o'clock")
    assert speaker.said == turn.sentences  # everything printed was also spoken, in order
    assert turn.objects[0]["label"] == "cup"


def test_two_cups_ask_back_then_the_answer_picks_one_by_hour_and_it_is_remembered() -> None:
    conv, source, _, _ = talk(painted([LEFT_CUP, RIGHT_CUP]))
    first = conv.turn("where is the cup")
    left, right = hour_of(LEFT_CUP[1]), hour_of(RIGHT_CUP[1])
    assert first.question == f"Two cups: one at {left} o'clock, one at {right} o'clock. Which one?"
    assert conv.waiting == first.question
    chosen = conv.turn(f"the one at {right}")
    assert conv.waiting is None
    assert chosen.sentences == [f"Cup, {right} o'clock, within reach."]
    # "the other one" is the cup not chosen; "where is it now" then follows that one as it moves
    other = conv.turn("and the other one?")
    assert other.sentences[0].startswith(f"Cup, {left} o'clock")
    source.show(painted([("cup", (300, 300, 360, 380)), RIGHT_CUP]))
    moved = conv.turn("where is it now")
    assert moved.sentences[0].startswith("Cup, 12 o'clock")


@pytest.mark.parametrize(("reply", "index"), [("the left one", 0), ("right", 1), ("the second one", 1)])
def test_asking_back_accepts_sides_and_order(reply: str, index: int) -> None:
    conv, _, _, _ = talk(painted([LEFT_CUP, RIGHT_CUP]))
    conv.turn("find the cup")
    hour = hour_of([LEFT_CUP, RIGHT_CUP][index][1])
    assert conv.turn(reply).sentences[0].startswith(f"Cup, {hour} o'clock")


def test_a_new_request_instead_of_an_answer_drops_the_question() -> None:
    conv, _, _, _ = talk(painted([LEFT_CUP, RIGHT_CUP, ("person", (280, 100, 360, 470))]))
    conv.turn("where is the cup")
    turn = conv.turn("how many people are there")
    assert turn.intent == "count" and conv.waiting is None
    assert turn.sentences == ["1 person."]


def test_them_and_plural_phrases_place_every_object_left_to_right() -> None:
    conv, _, _, _ = talk(painted([LEFT_CUP, RIGHT_CUP]))
    turn = conv.turn("where are the cups")
    left, right = hour_of(LEFT_CUP[1]), hour_of(RIGHT_CUP[1])
    assert turn.sentences == [f"Two cups: {left} o'clock, within reach; {right} o'clock, within reach."]
    again = conv.turn("where are they now")
    assert again.sentences == turn.sentences


def test_a_question_about_it_names_the_remembered_object() -> None:
    conv, _, _, backend = talk(painted([RIGHT_CUP]))
    conv.turn("find my cup")
    turn = conv.turn("is it on the table?")
    assert turn.intent == "ask"
    asked = [r for r in backend.requests if r.task == "ask"][-1]
    assert asked.text == "is the cup on the table"  # the cleaned words, "it" named


def test_it_with_nothing_remembered_asks_what_to_look_for() -> None:
    conv, _, _, backend = talk(painted([RIGHT_CUP]))
    turn = conv.turn("where is it now")
    assert turn.sentences == ["I'm not sure what you mean. What should I look for?"]
    assert backend.requests == []  # nothing was looked at


def test_hazards_come_first_and_are_not_repeated() -> None:
    car = ("car", (200, 180, 440, 330))  # 240 px wide: a car roughly 9 m away, straight ahead
    conv, _, _, _ = talk(painted([car, RIGHT_CUP]))
    turn = conv.turn("where is my cup")
    assert turn.sentences[0].startswith("Caution: car at 12 o'clock")
    assert turn.sentences[1].startswith("Cup, ")
    described = conv.turn("what's around me")
    assert described.sentences[0].startswith("Caution: car")
    assert not any(s.lower().startswith(("1 car", "a car")) for s in described.sentences[1:])


def test_a_backend_without_class_labels_still_says_hazards_first_with_distances() -> None:
    # like Sa2VA: objects come back named in words ("a car"), with no label and no score
    car = ("car", (200, 180, 440, 330))
    backend = LabelFreeBackend(PaintedBackend())
    conv, _, _, _ = talk(painted([car, RIGHT_CUP]), backend=backend)
    turn = conv.turn("where is my cup")
    assert turn.sentences[0].startswith("Caution: car at 12 o'clock, roughly")  # a distance: car-sized
    assert turn.sentences[1].startswith(f"Cup, {hour_of(RIGHT_CUP[1])} o'clock, ")
    assert "metre" in turn.sentences[1] or "within reach" in turn.sentences[1]
    assert turn.objects[0]["label"] == "cup" and turn.objects[0]["distance_m"] is not None
    scan, find = backend.requests[:2]
    assert scan.targets[0].everything and scan.task == "segment"  # asked by flag, not by a magic word
    assert find.targets[0].label == "cup"


def test_someone_coming_closer_between_turns_is_a_hazard() -> None:
    far = ("person", (300, 200, 340, 290))
    near = ("person", (280, 100, 370, 330))
    conv, source, _, _ = talk(painted([far, RIGHT_CUP]))
    assert not any("closer" in s for s in conv.turn("where is my cup").sentences)
    source.show(painted([near, RIGHT_CUP]))
    turn = conv.turn("where is my cup")
    assert turn.sentences[0].startswith("Someone coming closer at 12 o'clock")


def test_motion_across_the_turns_frames_is_said() -> None:
    frames = [painted([("cup", (100 + 40 * i, 300, 160 + 40 * i, 380))]) for i in range(8)]
    conv, _, _, _ = talk(*frames)
    assert conv.turn("follow the cup").sentences[-1].endswith("moving right.")


def test_low_confidence_is_said_as_doubt() -> None:
    conv, _, _, _ = talk(painted([RIGHT_CUP]), backend=PaintedBackend(score=0.2))
    assert conv.turn("where is the cup").sentences[0].startswith("I'm not sure, but possibly: cup")


def test_read_quotes_every_line_verbatim_and_repeat_says_it_again() -> None:
    lines = ("EXIT", "Platform 2", "No smoking", "Mind the gap")
    conv, _, _, _ = talk(painted([]), backend=PaintedBackend(text=lines))
    turn = conv.turn("read that")
    assert " ".join(turn.sentences) == " ".join(f'"{t}"' for t in lines)
    assert conv.turn("say that again").sentences == turn.sentences


def test_more_adds_sentences_not_said_before() -> None:
    scene = [LEFT_CUP, RIGHT_CUP, ("person", (280, 100, 360, 470)), ("chair", (20, 20, 60, 60))]
    conv, _, _, _ = talk(painted(scene), hazard_scan=False)
    first = conv.turn("describe the scene")
    assert len(first.sentences) == 2  # brevity: two sentences by default
    more = conv.turn("tell me more")
    assert more.sentences and not set(more.sentences) & set(first.sentences)


def test_speech_controls_reach_the_speaker() -> None:
    conv, _, speaker, _ = talk(painted([]), rate_wpm=200, rate_step=50)
    assert conv.turn("slower please").intent == "slower" and speaker.rate == 150
    conv.turn("faster")
    conv.turn("faster")
    assert speaker.rate == 250
    said_before = len(speaker.said)
    assert conv.turn("stop").sentences == [] and speaker.stops == 1
    assert len(speaker.said) == said_before  # "stop" says nothing


def test_noise_gets_didnt_catch_and_help_lists_what_to_say() -> None:
    conv, _, _, backend = talk(painted([]))
    assert conv.turn("um uh").sentences == ["Sorry, I didn't catch that."]
    assert "where is it now" in conv.turn("what can you do").sentences[0]
    assert backend.requests == []


def test_a_failing_backend_is_apologised_for_and_the_next_turn_works() -> None:
    backend = PaintedBackend(fail=True)
    conv, _, _, _ = talk(painted([RIGHT_CUP]), backend=backend)
    turn = conv.turn("where is my cup")
    assert turn.sentences == ["Sorry, I couldn't look: the painted model failed."]
    backend.fail = False
    assert conv.turn("where is my cup").sentences[0].startswith("Cup, ")


class SlowBackend(PaintedBackend):
    """Takes 0.2 s for anything but the hazard scan, and records when each request ended."""

    def __init__(self) -> None:
        super().__init__()
        self.ended: list[tuple[str, float]] = []

    def run(self, request: VisionRequest) -> VisionResult:
        if request.text != "everything":
            time.sleep(0.2)
        result = super().run(request)
        self.ended.append((request.text, time.perf_counter()))
        return result


def test_the_hazard_sentence_streams_out_before_the_slow_answer_exists() -> None:
    backend = SlowBackend()
    car = ("car", (200, 180, 440, 330))
    conv, _, _, _ = talk(painted([car, RIGHT_CUP]), backend=backend)
    heard: list[tuple[str, float]] = []
    turn = conv.turn("where is my cup", on_sentence=lambda s: heard.append((s, time.perf_counter())))
    main_done = next(t for text, t in backend.ended if text != "everything")
    assert heard[0][0].startswith("Caution") and heard[0][1] < main_done
    assert [s for s, _ in heard] == turn.sentences
    assert turn.timings_ms["first_sentence_ms"] < turn.timings_ms["total_ms"] - 150


def test_each_turn_records_timings_per_node_and_overhead() -> None:
    conv, _, _, _ = talk(painted([RIGHT_CUP]))
    turn = conv.turn("where is my cup")
    for key in ("understand_ms", "refer_ms", "look_ms", "answer_ms", "vision_ms", "scan_ms", "total_ms"):
        assert turn.timings_ms[key] >= 0.0, key
    assert 0.0 <= turn.overhead_ms < turn.timings_ms["total_ms"]


def test_memory_on_disk_survives_a_new_conversation_object(tmp_path: Path) -> None:
    db = tmp_path / "memory" / "conversations.sqlite"
    source, backend = FrameList(painted([LEFT_CUP, RIGHT_CUP])), PaintedBackend()
    first = Conversation(Deps(backend, source), checkpointer=open_checkpointer(db), thread="kitchen")
    question = first.turn("where is the cup").question
    assert db.is_file()
    # a new process would build a new Conversation: the question and the memory are still there
    second = Conversation(Deps(backend, source), checkpointer=open_checkpointer(db), thread="kitchen")
    assert second.waiting == question
    assert second.turn("the right one").sentences[0].startswith(f"Cup, {hour_of(RIGHT_CUP[1])} o'clock")
    third = Conversation(Deps(backend, source), checkpointer=open_checkpointer(db), thread="kitchen")
    assert third.turn("where is it now").sentences[0].startswith(f"Cup, {hour_of(RIGHT_CUP[1])} o'clock")
    other_thread = Conversation(Deps(backend, source), checkpointer=open_checkpointer(db), thread="hall")
    assert other_thread.turn("where is it now").sentences[0].startswith("I'm not sure what you mean")


def test_a_static_obstacle_is_said_once_but_a_vehicle_every_turn() -> None:
    chair = ("chair", (250, 200, 390, 470))  # low in the centre, about a metre away
    conv, _, _, _ = talk(painted([chair, RIGHT_CUP]))
    assert conv.turn("where is my cup").sentences[0].startswith("In your path: chair, 12 o'clock")
    assert not any("In your path" in s for s in conv.turn("where is my cup").sentences)
    car = ("car", (200, 180, 440, 330))
    conv, _, _, _ = talk(painted([car, RIGHT_CUP]))
    for _ in range(2):
        assert conv.turn("where is my cup").sentences[0].startswith("Caution: car")


def test_where_is_it_now_falls_back_to_the_singular_when_the_plural_finds_nothing() -> None:
    conv, source, _, backend = talk(painted([RIGHT_CUP]), backend=PaintedBackend(strict_plural=True))
    conv.turn("where is my cup")
    source.show(painted([("cup", (300, 300, 360, 380))]))
    turn = conv.turn("where is it now")
    assert turn.sentences[-1].startswith("Cup, 12 o'clock")
    assert [r.text for r in backend.requests if r.text != "everything"][-2:] == ["cups", "the cup"]
