"""The agent's LangGraph: understand -> (reply | refer -> look -> [ask back] -> answer).

Shaped like the LangGraph templates: nodes are module-level functions of the state and the run's
``Runtime``, returning partial updates; what they call (vision backend, frame source, speaker), the
options and the example classifier come from the runtime context (``options.AgentContext``), which
``agent.conversation`` passes with every run, so tests pass fakes, or call a node alone with a
hand-built state and ``Runtime(context=...)``. Routers return node names. Sentences are pushed out
(stream writer + speaker) the moment they exist: hazards from the quick scan are spoken while the
main vision request still runs.
"""

from __future__ import annotations

import re
import time
from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from ..compose import Seen, answered, compose, objects_answer, place, renamed, sentences_of, which_one
from ..errors import AssistError
from ..tasks import question_of, targets_of
from ..types import TASKS, Question, Target, Task
from ..vocabulary import a_or_an, spoken_plural
from .compose import NOT_CAUGHT, help_text
from .followups import choose, refers_back, resolve, substitute
from .hazards import news, warnings_for
from .intents import VISION_INTENTS, Intent, understand
from .look import (
    MOVING_INTENTS,
    SCAN,
    TASK_OF,
    nearest_to,
    relocate_targets,
    relocate_text,
)
from .options import AgentContext
from .state import AgentState

CONTROL = frozenset({"repeat", "slower", "faster", "stop", "help", "unclear"})
NOTHING_SAID = "I haven't said anything yet."
WHAT_TO_FIND = "I'm not sure what you mean. What should I look for?"


def _timed(
    name: str, state: AgentState, start: float, extra: dict[str, float] | None = None
) -> dict[str, float]:
    timings = dict(state.get("timings_ms", {}))
    timings[f"{name}_ms"] = timings.get(f"{name}_ms", 0.0) + (time.perf_counter() - start) * 1000.0
    timings.update(extra or {})
    return timings


def emit(runtime: Runtime[AgentContext], sentences: list[str]) -> None:
    """Each sentence out at once: to the run's stream (``custom`` mode) and to the speaker."""
    speaker = runtime.context.deps.speaker
    for sentence in sentences:
        runtime.stream_writer({"sentence": sentence, "at": time.perf_counter()})
        if speaker is not None:
            speaker.say(sentence)


def understand_node(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    start = time.perf_counter()
    u = understand(state.get("utterance", ""), runtime.context.classifier)
    return AgentState(
        intent=u.intent, target=u.target, by=u.by, heard=u.text, task="", request_text="", relocate=[],
        answer_text="", seen=[], alternatives=[], scene=[], lines=[], sentences=[],
        turn=state.get("turn", 0) + 1,
        detail=state.get("detail", 0) if u.intent == "more" else 0,
        timings_ms=_timed("understand", {"timings_ms": {}}, start),
    )  # fmt: skip


def route_intent(state: AgentState) -> Literal["reply", "refer"]:
    return "reply" if state["intent"] in CONTROL else "refer"


def reply_node(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    start = time.perf_counter()
    deps, options = runtime.context.deps, runtime.context.options
    intent, update = state["intent"], AgentState()
    rate = state.get("rate_wpm", options.rate_wpm)
    if intent == "stop":
        if deps.speaker is not None:
            deps.speaker.stop()
        said: list[str] = []
    elif intent in ("slower", "faster"):
        step = -options.rate_step if intent == "slower" else options.rate_step
        rate = max(options.min_rate_wpm, min(options.max_rate_wpm, rate + step))
        update["rate_wpm"] = rate
        if deps.set_rate is not None:
            deps.set_rate(rate)
        said = [f"{'Slower' if intent == 'slower' else 'Faster'}: {rate} words a minute."]
    elif intent == "repeat":
        said = state.get("last_sentences") or [NOTHING_SAID]
    elif intent == "help":
        said = [help_text()]
        update["last_sentences"] = said
    else:
        said = [NOT_CAUGHT]
    emit(runtime, said)
    update["sentences"] = said
    update["timings_ms"] = _timed("reply", state, start)
    return update


def refer_node(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    start = time.perf_counter()
    options = runtime.context.options
    intent: Intent = state["intent"]
    target, detail = state.get("target", ""), state.get("detail", 0)
    if intent == "more":
        intent, target = state.get("last_intent") or "describe", state.get("last_target", "")
        detail += options.more_sentences
    # the cleaned words (fillers, stutters, misheard words fixed) go to the backend
    text = state.get("heard") or " ".join(state.get("utterance", "").split())
    update = AgentState(intent=intent, target=target, detail=detail, relocate=[])
    focus, others = state.get("focus", []), state.get("others", [])
    ref = (
        resolve(target, focus, others)
        if (refers_back(target) or (not target and intent in MOVING_INTENTS))
        else None
    )
    if ref is not None and ref.unknown and intent in ("find", "track", "ask", "count"):
        said = [WHAT_TO_FIND]
        emit(runtime, said)
        update["sentences"] = said
        update["timings_ms"] = _timed("refer", state, start)
        return update
    if ref is not None and ref.objects:
        update["focus"], update["others"] = ref.objects, ref.others
        if intent in MOVING_INTENTS:
            update["relocate"], update["request_text"] = ref.objects, relocate_text(ref.objects)
        elif intent == "count":
            update["request_text"] = f"how many {relocate_text(ref.objects)}"
        elif intent == "ask":
            update["request_text"] = substitute(text, ref.objects[0]["name"])
    if "request_text" not in update:
        update["request_text"] = target if intent in MOVING_INTENTS and target else text
    update["task"] = task_of(intent)
    update["timings_ms"] = _timed("refer", state, start)
    return update


def route_refer(state: AgentState) -> Literal["look", "answer"]:
    return "look" if state.get("task") and not state.get("sentences") else "answer"


def look_node(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    start = time.perf_counter()
    deps, options = runtime.context.deps, runtime.context.options
    intent, task = state["intent"], state["task"]
    vision_ms: dict[str, float] = {}
    previous, last = state.get("previous_scene", []), state.get("last_hazards", [])
    scene: list[Seen] = []
    found: list[str] = []  # every warning the scene calls for
    try:
        frames = deps.source.latest(options.frames_per_look if intent in MOVING_INTENTS else 1)
        if options.hazard_scan and task != "gcg":
            t0 = time.perf_counter()
            scan = deps.backend.run(deps.request(frames[-1:], "segment", "everything", SCAN))
            vision_ms["scan_ms"] = (time.perf_counter() - t0) * 1000.0
            scene = place(scan.objects, options.fov_deg)
            found = warnings_for(scene, previous)
            emit(runtime, news(found, last))  # said before the slower answer
        t0 = time.perf_counter()
        relocate = state.get("relocate", [])
        targets, question = _understood(task, state["request_text"], relocate)
        request = deps.request(frames, task, state["request_text"], targets, question)
        result = deps.backend.run(request)
        vision_ms["vision_ms"] = (time.perf_counter() - t0) * 1000.0
    except AssistError as err:
        said = [f"Sorry, I couldn't look: {err.message}."]
        emit(runtime, said)
        return {"sentences": said, "task": "", "timings_ms": _timed("look", state, start, vision_ms)}
    name = None if intent not in MOVING_INTENTS or refers_back(state.get("target", "")) else state["target"]
    seen = place(result.objects, options.fov_deg, name or None)
    if relocate and not seen:  # "dogs" found none: a weak lone one may still answer to "the dog"
        try:
            t0 = time.perf_counter()
            label = relocate[0]["label"]
            one = Target(words=f"the {label or relocate[0]['name']}", label=label)
            again = deps.backend.run(deps.request(frames, task, one.words, (one,)))
            vision_ms["vision_ms"] += (time.perf_counter() - t0) * 1000.0
            seen = place(again.objects, options.fov_deg)
        except AssistError:
            pass
    if relocate:
        pairs = [(p, nearest_to(p, seen)) for p in relocate]
        seen = [renamed(s, p["name"]) for p, s in pairs if s is not None]
    if task == "gcg":  # a description masks everything in view: its hazards come from it
        scene, found = seen, warnings_for(seen, previous)
        emit(runtime, news(found, last))
    # the composer's words for what was found are needed unless the objects found answer a find
    # themselves (answer_node places them): no second placing on the common path
    if intent not in MOVING_INTENTS or not seen:
        result = answered(request, result, options.fov_deg, options.unsure_below)
    return {
        "seen": seen,
        "alternatives": [] if relocate else place(result.alternatives, options.fov_deg),
        "scene": scene,
        "answer_text": result.answer,  # "" when the objects are the answer (a backend drops "Sure, [SEG].")
        "lines": [line.text for line in result.text_lines],
        "sentences": news(found, last),
        "last_hazards": news(found) if scene else last,
        "timings_ms": _timed("look", state, start, vision_ms),
    }


def route_look(state: AgentState) -> Literal["ask_back", "answer"]:
    several = len(state.get("alternatives", [])) > 1
    return (
        "ask_back"
        if several and state["intent"] in MOVING_INTENTS and not state.get("relocate")
        else "answer"
    )


def ask_back_node(
    state: AgentState, runtime: Runtime[AgentContext]
) -> Command[Literal["answer", "understand", "look"]]:
    options_ = state["alternatives"]
    label = options_[0]["label"] or state.get("target") or "object"
    reply = str(interrupt({"question": which_one(spoken_plural(label), options_)}))
    index = choose(reply, options_)
    if index is not None:
        name = state.get("target") or label
        chosen = renamed(options_[index], name)
        rest = [s for i, s in enumerate(options_) if i != index]
        return Command(
            goto="answer", update={"seen": [chosen], "others": rest, "alternatives": [], "timings_ms": {}}
        )
    heard = understand(reply, runtime.context.classifier)
    picking = re.match(r"^(?:the |that )?(?:\w+ )?(?:one|ones)\b", heard.text) or len(heard.text.split()) <= 2
    if heard.by == "rule" and heard.intent != "unclear" and not (heard.intent == "ask" and picking):
        return Command(goto="understand", update={"utterance": reply})
    refined = f"{' '.join(reply.split())} {state.get('target') or label}"  # "the red one" -> "... cup"
    return Command(
        goto="look",
        update={"request_text": refined.replace(" one ", " "), "alternatives": [], "timings_ms": {}},
    )


def answer_node(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    start = time.perf_counter()
    options = runtime.context.options
    intent, seen = state["intent"], state.get("seen", [])
    said_before = list(state.get("sentences", []))
    update = AgentState()
    if said_before and not state.get("task"):
        return {"timings_ms": _timed("answer", state, start)}  # refer already answered
    target = state.get("target", "")
    if intent in MOVING_INTENTS:
        name = seen[0]["name"] if seen else (target or "that")
        several = spoken_plural(seen[0]["label"] or name) if seen else ""
        answer = (
            objects_answer(several, seen, len(seen) > 1, options.unsure_below)
            if seen
            else sentences_of(state.get("answer_text", "")) or [f"I don't see {a_or_an(name)}."]
        )
    else:
        answer = sentences_of(state.get("answer_text", "")) or ["I can't tell."]
    detail = state.get("detail", 0) + (99 if intent == "read" else 0)
    body = compose(said_before, answer, detail, options.sentences)[len(said_before) :]
    if state.get("intent") and state.get("detail", 0) and state.get("last_sentences"):
        body = [s for s in body if s not in state["last_sentences"]] or body
    emit(runtime, body)
    if seen and intent != "describe":
        update["focus"] = seen
    if intent in VISION_INTENTS:
        update["last_intent"], update["last_target"] = intent, target
    update["sentences"] = said_before + body
    update["last_sentences"] = said_before + body
    update["previous_scene"] = state.get("scene") or state.get("previous_scene", [])
    update["timings_ms"] = _timed("answer", state, start)
    return update


def build_graph() -> StateGraph[AgentState, AgentContext, AgentState, AgentState]:
    """The uncompiled graph; ``agent.conversation`` compiles it with a checkpointer and passes an
    ``AgentContext`` with every run."""
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("understand", understand_node)
    graph.add_node("reply", reply_node)
    graph.add_node("refer", refer_node)
    graph.add_node("look", look_node)
    graph.add_node("ask_back", ask_back_node, destinations=("answer", "understand", "look"))
    graph.add_node("answer", answer_node)
    graph.add_edge(START, "understand")
    graph.add_conditional_edges("understand", route_intent, ["reply", "refer"])
    graph.add_edge("reply", END)
    graph.add_conditional_edges("refer", route_refer, ["look", "answer"])
    graph.add_conditional_edges("look", route_look, ["ask_back", "answer"])
    graph.add_edge("answer", END)
    return graph


def task_of(intent: str) -> Task | Literal[""]:
    """The vision task ``intent`` asks for (``look.TASK_OF``), "" for none."""
    wanted = TASK_OF.get(intent)
    return next((task for task in TASKS if task == wanted), "")


def _understood(task: str, text: str, relocate: list[Seen]) -> tuple[tuple[Target, ...], Question | None]:
    """What a request asks, understood once here: for a segmentation, every object of the remembered
    ones' classes when re-finding them, else the targets named in ``text``; for a question, its kind
    and subject (``tasks.question_of``). Other tasks send words only."""
    if task == "segment":
        return (relocate_targets(relocate) if relocate else targets_of(text)), None
    if task == "ask":
        question, targets = question_of(text)
        return targets, question
    return (), None
