"""The agent's graph nodes one at a time: each is a plain function of a hand-built state and a
``Runtime`` carrying the context (painted world, recording speaker), called outside any running graph.
The whole graph is exercised in ``test_agent_conversation.py``; here each step's own update is checked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from langgraph.runtime import Runtime

from sa2va_assist.agent.compose import NOT_CAUGHT
from sa2va_assist.agent.graph import (
    NOTHING_SAID,
    WHAT_TO_FIND,
    answer_node,
    build_graph,
    look_node,
    refer_node,
    reply_node,
    route_intent,
    route_look,
    route_refer,
    task_of,
    understand_node,
)
from sa2va_assist.agent.options import AgentContext, AgentOptions, Deps
from sa2va_assist.agent.state import AgentState, Seen
from sa2va_assist.spatial import clock_hour, horizontal_angle

from .fakes import FrameList, PaintedBackend, RecordingSpeaker, painted

LEFT_CUP = ("cup", (100, 300, 160, 380))
RIGHT_CUP = ("cup", (480, 300, 540, 380))
MIDDLE_CUP = ("cup", (300, 300, 360, 380))


def hour_of(box: tuple[int, int, int, int], width: int = 640) -> int:
    return clock_hour(horizontal_angle((box[0] + box[2]) / 2, width, 70.0))


class World:
    """A context over painted frames, with the sentences a node streamed and the speaker's record."""

    def __init__(self, *images: np.ndarray, backend: PaintedBackend | None = None, **options: Any) -> None:
        self.source = FrameList(*(images or (painted([]),)))
        self.speaker = RecordingSpeaker()
        self.backend = backend or PaintedBackend()
        deps = Deps(self.backend, self.source, self.speaker, self.speaker.set_rate)
        self.context = AgentContext(deps, AgentOptions(**options))
        self.streamed: list[dict[str, Any]] = []
        self.runtime = Runtime(context=self.context, stream_writer=self.streamed.append)

    @property
    def sentences(self) -> list[str]:
        return [str(chunk["sentence"]) for chunk in self.streamed]


def step(state: AgentState, update: AgentState) -> AgentState:
    """The state after a node's update (every field replaces: the agent's state has no reducers)."""
    return AgentState(**{**state, **update})


def understood(world: World, utterance: str, **memory: Any) -> AgentState:
    """The state after the first node of a turn, over ``memory`` from earlier turns."""
    state = AgentState(utterance=utterance, **memory)  # type: ignore[typeddict-item]
    return step(state, understand_node(state, world.runtime))


def cup_at(world: World, box: tuple[int, int, int, int]) -> Seen:
    """The remembered summary of a cup found in ``box`` (from a look at it)."""
    world.source.show(painted([("cup", box)]))
    state = understood(world, "where is the cup")
    state = step(state, refer_node(state, world.runtime))
    seen = look_node(state, world.runtime)["seen"]
    assert len(seen) == 1
    return seen[0]


def test_understand_starts_a_turn_clearing_the_last_ones_answer_and_keeping_memory() -> None:
    world = World()
    state = AgentState(utterance="Where is my red cup?", turn=3, sentences=["Old."], seen=[], detail=2)
    update = understand_node(state, world.runtime)
    assert (update["intent"], update["target"], update["by"]) == ("find", "red cup", "rule")
    assert update["turn"] == 4 and update["detail"] == 0
    assert update["sentences"] == [] and update["task"] == ""
    assert "understand_ms" in update["timings_ms"]
    assert "focus" not in update  # memory is left as it is
    assert understand_node(AgentState(utterance="more", detail=3), world.runtime)["detail"] == 3


@pytest.mark.parametrize(
    ("utterance", "node"),
    [("stop", "reply"), ("say that again", "reply"), ("slower", "reply"), ("where is the cup", "refer")],
)
def test_route_intent_sends_control_words_to_reply_and_the_rest_to_refer(utterance: str, node: str) -> None:
    state = understand_node(AgentState(utterance=utterance), World().runtime)
    assert route_intent(state) == node


def test_reply_stop_silences_the_speaker_and_says_nothing() -> None:
    world = World()
    update = reply_node(AgentState(intent="stop"), world.runtime)
    assert world.speaker.stops == 1
    assert update["sentences"] == [] and world.sentences == [] and world.speaker.said == []


def test_reply_slower_changes_the_rate_within_bounds_and_says_so() -> None:
    world = World(rate_wpm=200, rate_step=50, min_rate_wpm=120)
    update = reply_node(AgentState(intent="slower", rate_wpm=150), world.runtime)
    assert update["rate_wpm"] == 120 and world.speaker.rate == 120
    assert update["sentences"] == ["Slower: 120 words a minute."]
    assert world.sentences == world.speaker.said == update["sentences"]  # streamed and spoken


def test_reply_repeat_and_unclear() -> None:
    world = World()
    assert reply_node(AgentState(intent="repeat"), world.runtime)["sentences"] == [NOTHING_SAID]
    said = reply_node(AgentState(intent="repeat", last_sentences=["Cup."]), world.runtime)
    assert said["sentences"] == ["Cup."]
    assert reply_node(AgentState(intent="unclear"), world.runtime)["sentences"] == [NOT_CAUGHT]


def test_refer_where_is_it_now_after_a_remembered_cup_asks_to_find_every_cup_again() -> None:
    world = World()
    cup = cup_at(world, RIGHT_CUP[1])
    state = understood(world, "where is it now", focus=[cup])
    assert state["intent"] == "find" and state["target"] == "it"
    update = refer_node(state, world.runtime)
    assert update["relocate"] == [cup] and update["focus"] == [cup]
    assert update["request_text"] == "cups" and update["task"] == "segment"
    assert route_refer(step(state, update)) == "look"
    assert world.sentences == []  # nothing said yet: the look answers


def test_refer_it_with_nothing_remembered_asks_what_to_find_and_skips_the_look() -> None:
    world = World()
    state = understood(world, "where is it")
    update = refer_node(state, world.runtime)
    assert update["sentences"] == [WHAT_TO_FIND] and world.speaker.said == [WHAT_TO_FIND]
    assert route_refer(step(state, update)) == "answer"
    assert answer_node(step(state, update), world.runtime).keys() == {"timings_ms"}  # already answered


def test_refer_more_continues_the_last_request_with_more_sentences() -> None:
    world = World(more_sentences=3)
    state = AgentState(intent="more", target="", heard="more", detail=0, last_intent="describe")
    update = refer_node(state, world.runtime)
    assert (update["intent"], update["task"], update["detail"]) == ("describe", "gcg", 3)


def test_task_of_each_intent() -> None:
    assert [task_of(i) for i in ("find", "track", "describe", "ask", "count", "read", "stop")] == [
        "segment", "segment", "gcg", "ask", "ask", "read", "",
    ]  # fmt: skip


def test_look_then_answer_words_the_found_cup_noun_first_with_its_clock_hour() -> None:
    world = World(painted([RIGHT_CUP]))
    state = understood(world, "where is my cup")
    state = step(state, refer_node(state, world.runtime))
    state = step(state, look_node(state, world.runtime))
    assert [r.task for r in world.backend.requests] == ["segment", "segment"]  # hazard scan, then the cup
    assert [s["label"] for s in state["seen"]] == ["cup"]
    assert route_look(state) == "answer"
    update = answer_node(state, world.runtime)
    assert update["sentences"][0].startswith(f"Cup, {hour_of(RIGHT_CUP[1])} o'clock")
    assert world.speaker.said == update["sentences"] == update["last_sentences"]
    assert update["focus"] == state["seen"]  # "it" now means this cup
    assert (update["last_intent"], update["last_target"]) == ("find", "cup")


def test_answer_with_nothing_seen_says_so() -> None:
    world = World()
    state = AgentState(intent="find", target="cup", task="segment", seen=[], sentences=[], answer_text="")
    assert answer_node(state, world.runtime)["sentences"] == ["I don't see a cup."]


def test_two_cups_for_the_cup_route_to_asking_back_but_re_finding_does_not() -> None:
    world = World(painted([LEFT_CUP, RIGHT_CUP]), hazard_scan=False)
    state = understood(world, "where is the cup")
    state = step(state, refer_node(state, world.runtime))
    state = step(state, look_node(state, world.runtime))
    assert len(state["alternatives"]) == 2 and route_look(state) == "ask_back"
    assert route_look(step(state, {"relocate": state["alternatives"][:1]})) == "answer"


def test_re_finding_keeps_the_cup_nearest_to_where_it_was() -> None:
    world = World(hazard_scan=False)
    cup = cup_at(world, RIGHT_CUP[1])
    world.source.show(painted([LEFT_CUP, ("cup", (440, 300, 500, 380))]))
    state = understood(world, "where is it now", focus=[cup])
    state = step(state, refer_node(state, world.runtime))
    update = look_node(state, world.runtime)
    assert [s["hour"] for s in update["seen"]] == [hour_of((440, 300, 500, 380))]
    assert update["alternatives"] == []


def test_look_that_fails_says_why_and_the_answer_adds_nothing() -> None:
    world = World(backend=PaintedBackend(fail=True))
    state = understood(world, "what is in front of me")
    state = step(state, refer_node(state, world.runtime))
    update = look_node(state, world.runtime)
    assert update["sentences"] == ["Sorry, I couldn't look: the painted model failed."]
    assert update["task"] == "" and world.speaker.said == update["sentences"]
    assert answer_node(step(state, update), world.runtime).keys() == {"timings_ms"}


def test_the_graph_needs_only_the_context_at_run_time() -> None:
    world = World(painted([MIDDLE_CUP]))
    graph = build_graph().compile()
    out = graph.invoke({"utterance": "where is the cup"}, context=world.context)
    assert out["sentences"][0].startswith(f"Cup, {hour_of(MIDDLE_CUP[1])} o'clock")
    assert world.speaker.said == out["sentences"]
