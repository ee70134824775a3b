"""What the user wants, from one utterance: an intent and the words naming its target. Pure rules.

Rules cover the ways people phrase each request; ``understand`` runs them on the ``words.clean`` form
and, when none fires, asks an example classifier (sentence embeddings, ``agent/examples.py``) for the
nearest paraphrase. Rules come in priority order: control words first ("stop", "slower") because they
must never be mistaken for a question, then requests with an explicit verb ("read", "how many",
"follow", "where"), then general questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

from ..tasks import asks_what_this_is
from ..vocabulary import other_language
from .words import clean, is_noise

Intent = Literal[
    "describe", "ask", "find", "track", "read", "count", "repeat", "slower", "faster", "more", "stop", "help",
    "unclear",
]  # fmt: skip
INTENTS: tuple[Intent, ...] = (
    "describe", "ask", "find", "track", "read", "count", "repeat", "slower", "faster", "more", "stop", "help",
    "unclear",
)  # fmt: skip
VISION_INTENTS = frozenset({"describe", "ask", "find", "track", "read", "count"})
EXAMPLE_MIN_SCORE = 0.45  # cosine similarity the nearest example needs before its label is trusted


@dataclass(frozen=True)
class Understanding:
    """One utterance understood: ``target`` is the phrase naming what it is about ("red cup", "it")."""

    intent: Intent
    target: str
    text: str  # the cleaned utterance
    by: str  # "rule" | "examples" | "none": what decided (for debugging and timings)
    score: float = 1.0  # 1.0 for a rule; the example similarity otherwise


class Classifier(Protocol):
    """The example classifier's view ``understand`` needs (``embedding.ExampleClassifier``)."""

    def classify(self, text: str) -> object: ...


_POLITE = (
    r"(?:(?:hey|ok|okay|so|well|now|please|sorry|excuse me|and|but|also|right|alright|oh|just)\s+)*"
    r"(?:(?:can|could|would|will) you(?: please)?\s+|i (?:want|need|would like|'d like) you to\s+)?"
)
_PATTERNS: tuple[tuple[Intent, str], ...] = (
    (
        "stop",
        rf"^{_POLITE}(?:stop|cancel|quiet|be quiet|shut up|silence|hush|shush|enough|that's enough"
        rf"|never ?mind|forget it|stop talking|stop it|pause|halt|that's all|ok stop|okay stop"
        rf"|no more|quiet please|be silent|stop speaking|stop reading)(?:\s+(?:it|that|talking|"
        rf"speaking|reading|now|please|thanks|for now))*$",
    ),
    (
        "stop",
        rf"^{_POLITE}(?:stop|quit|cancel|end) (?:\w+ing|the (?:tracking|reading|description|guidance))\b",
    ),
    (
        "slower",
        rf"^{_POLITE}(?:(?:talk|speak|say it|read|go|say that)\s+)?(?:a (?:bit|little)\s+)?"
        rf"(?:more\s+)?(?:slow(?:er|ly)?(?: down)?|slow it down)(?:\s+\w+){{0,3}}$",
    ),
    (
        "slower",
        r"\b(?:too fast|so fast|slow down|slower|more slowly|not so fast|speak slowly|talk slowly)\b"
        r"(?!.*\b(?:car|bus|train|truck|bike|going|driving|moving|coming)\b)",
    ),
    (
        "faster",
        rf"^{_POLITE}(?:(?:talk|speak|say it|read|go)\s+)?(?:a (?:bit|little)\s+)?(?:more\s+)?"
        rf"(?:fast(?:er)?|quick(?:er|ly)?|speed up|hurry(?: up)?)(?:\s+\w+){{0,3}}$",
    ),
    (
        "faster",
        r"\b(?:speed (?:it )?up|too slow(?:ly)?|so slow(?:ly)?|talk faster|speak faster|faster|"
        r"more quickly|pick up the pace)\b(?!.*\b(?:car|bus|train|going|driving|moving)\b)",
    ),
    (
        "repeat",
        r"^(?:\w+ )?what(?: was that| did you (?:just )?say| did you say again)?$"
        r"|\bwhat did you (?:just )?say\b",
    ),
    (
        "read",
        r"\bread\b|\bwhat(?:'s| is| does| do)? (?!(?:.* )?(?:you|i|we)\b)"
        r"(?:it|that|this|the\b.*|they|those|these|[a-z ]+) "
        r"(?:say|says|saying)\b|\bwhat(?:'s| is) (?:written|printed|on the (?:sign|label|screen|"
        r"page|box|paper|letter|board|menu|packet|bottle|can|door))\b|\bany (?:text|writing|words)\b"
        r"|\b(?:is|are) there (?:any )?(?:text|writing|words|anything written|something written)\b"
        r"|\bwhat (?:text|words?|writing)\b",
    ),
    ("count", r"\bhow many\b|\bcount\b|\bnumber of\b|\bhow much (?:people|persons)\b"),
    (
        "repeat",
        rf"^{_POLITE}(?:say (?:that|it|this) (?:again|once more)|repeat(?: that| it| yourself|"
        rf" the answer| what you said| please| the last (?:thing|answer|one))*|what did you say|"
        rf"what was that|pardon(?: me)?|come again|sorry what|sorry|what|huh|i missed (?:that|it)|"
        rf"(?:i )?(?:didn't|did not|couldn't|could not) (?:catch|hear|understand) (?:that|it|you)|"
        rf"(?:say it |one )?more time|once more|again|one more time|say again|tell me again)"
        rf"(?:\s+(?:please|again|sorry|slowly))*$",
    ),
    (
        "help",
        rf"^{_POLITE}(?:help(?: me)?|what can you do|what can i (?:ask|say|do)|how (?:do|does) (?:this|"
        rf"it|you) work|how do i use (?:this|you|it)|what (?:are|is) (?:the )?(?:your )?(?:commands|"
        rf"options)|commands|instructions|what do you do|who are you|what are you|how can you help"
        rf"(?: me)?|what should i say|what can you help (?:me )?with|list (?:the )?commands)"
        rf"(?:\s+\w+){{0,2}}$",
    ),
    (
        "help",
        r"\bcommands\b|\bwhat (?:kind of |sort of |other )?(?:things|stuff|questions)? ?"
        r"can i (?:ask|say)\b|"
        r"\bhow (?:do|can) i (?:use|talk to|ask) (?:this|you|the app)\b",
    ),
    (
        "more",
        rf"^{_POLITE}(?:tell me more|more detail(?:s)?|more info(?:rmation)?|go on|keep going|"
        rf"continue|what else|anything else|and then|more|elaborate|give me more|say more|"
        rf"(?:can you )?be more specific|in more detail|tell me more about (?:it|that|this|them)|"
        rf"what else (?:is there|can you see|do you see)|more please|what more)(?:\s+\w+){{0,3}}$",
    ),
    ("more", r"\b(?:more detail(?:s|ed)?|in detail|more about (?:it|that|this|them)|elaborate)\b"),
    (
        "track",
        r"\bfollow\b|\bkeep (?:an? )?eye on\b|\bkeep (?:watching|tracking|track of|looking at)\b|"
        r"\btrack(?:ing)?\b|\bguide me\b|\blead me\b|\btake me (?:to|towards)\b|\bwalk me\b|"
        r"\b(?:tell|let) me (?:know )?(?:when|if)\b|\bwatch (?:the|my|that|it|him|her|them|this)\b|"
        r"\bnavigate\b|\bhelp me (?:get|walk|go) to\b|\bwarn me\b|\bkeep me posted\b|\balert me\b",
    ),
    (
        "find",
        r"\bwhere(?:'s| is| are| did| have| was| were| do| does| can| should|s)\b|\bwhere\b(?! am i)|"
        r"\bfind\b|\blocate\b|\blook(?:ing)? for\b|\bsearch(?:ing)? for\b|\bpoint (?:me )?(?:to|at|"
        r"towards)\b|\bwhich (?:way|direction|side)\b|\b(?:i )?(?:lost|dropped|misplaced|can't find)\b"
        r"|\b(?:can|do) you see (?:my|the|a|an|our|his|her|any)\b|\bshow me (?:my|the|where)\b|"
        r"^(?:and |what about |how about )?(?:the other one|the other|it|them|that one|this one)$|"
        r"^(?:what|how) about\b|\bget me to\b|\b(?:gone|is|are|went) missing\b|\bdisappeared\b",
    ),
    (
        "describe",
        r"\bdescri(?:be|ption)\b|\bwhat(?:'s| is| are) (?:there )?(?:around|in front|ahead|"
        r"here|going on|happening|near me|nearby|in the (?:room|scene|picture|photo|image|view)|"
        r"out there|before me|on my (?:left|right))\b|\bwhat (?:do|can) you see\b|\bwhere am i\b|"
        r"\blook around\b|\bsurroundings\b|\bscene\b|\bwhat am i (?:looking at|facing|in front of)\b"
        r"|\boverview\b|\bwhat(?:'s| is) this (?:place|room)\b|\bwhat'?s up ahead\b|\bwhat is it "
        r"like\b|\btell me what(?:'s| is)? ?(?:around|here|there|in front|you see)\b|\bsummar",
    ),
)
_RULES = tuple((intent, re.compile(pattern)) for intent, pattern in _PATTERNS)
# A question word at the start makes a question for the model ("ask"), unless a paraphrase example of
# another intent is clearly nearer ("what kind of place am i in" is a description).
_QUESTION = re.compile(
    r"^(?:is|are|was|were|does|do|did|has|have|can|could|will|would|should|who|whose|which|what|what's|how|"
    r"why|when|is there|are there)\b"
)
_YES_NO = re.compile(
    r"^(?:is|are|was|were|does|do|did|has|have)\b(?! there (?:any|anything|something) (?:else|more)\b)"
)
NONSENSE_BELOW = 0.25  # nearest-example similarity under which words that fit no rule are noise
OVERRIDE_MARGIN = 0.05  # how much nearer than "ask" another intent's example must be to win a question
_FILLER_START = re.compile(rf"^{_POLITE}")
_DETERMINERS = re.compile(
    r"^(?:my|the|a|an|our|your|his|her|their|some|any|all the|all of the|all"
    r"|(?:that|this|those|these)(?=\s+(?!one\b)))\s+"
)
_TRAILING = re.compile(
    r"(?:\s+(?:please|now|right now|again|for me|at the moment|gone|located|placed|kept|somewhere|"
    r"thanks|thank you|then|at|is|are|please thank you|around here|over there|in here|you see|"
    r"to me|from here|go|went|exactly|do you think|can you see|is it|are they))+$"
)
# Words that lead into the target, per intent, tried in order; the target is what follows.
_LEADS: dict[str, tuple[str, ...]] = {
    "find": (
        r"where (?:did|have) (?:i|you|we) (?:put|leave|left|drop|dropped|place|placed|see|seen)",
        r"where (?:did|has|have|does|do)(?= (?:it|they|he|she|them|that|those)\b)",
        r"where(?:'s| is| are| was| were| does| do| can i find| should i look for|s)?(?: the| my)?",
        r"(?:can't|cannot|can not|couldn't) find",
        r"find",
        r"locate",
        r"look(?:ing)? for",
        r"search(?:ing)? for",
        r"point (?:me )?(?:to|at|towards)",
        r"which (?:way|direction|side) is",
        r"(?:i )?(?:lost|dropped|misplaced)",
        r"(?:can|do) you see",
        r"^see",
        r"show me",
        r"get me to",
        r"what about",
        r"how about",
        r"and",
    ),
    "track": (
        r"follow",
        r"keep (?:an? )?eye on",
        r"keep (?:watching|tracking|track of|looking at)",
        r"track",
        r"guide me (?:over |back |across )?(?:to|towards)",
        r"lead me (?:over |back )?(?:to|towards)",
        r"take me (?:to|towards)",
        r"walk me (?:to|towards)",
        r"navigate (?:me )?to",
        r"help me (?:get|walk|go) to",
        r"(?:tell|let) me (?:know )?(?:when|if)",
        r"warn me (?:when|if|about)",
        r"alert me (?:when|if)",
        r"watch",
    ),
    "count": (r"how many(?: of)?", r"count(?: the| all the| how many)?", r"number of", r"how much"),
    "read": (
        r"what (?:does|do|did) (?:it )?",
        r"what(?:'s| is) (?:written|printed) on",
        r"read(?: out| aloud)?(?: me)?",
        r"(?:text|writing|words|anything written|something written) (?:on|in)",
        r"what(?:'s| is)",
    ),
    "ask": (
        r"is there(?: a| an| any)?",
        r"are there(?: any)?",
        r"is",
        r"are",
        r"does",
        r"do",
        r"what color is",
    ),
}
_KEEP_WHOLE = re.compile(
    r"^(?:the other one|the other|that one|this one|the (?:left|right|first|second|third|"
    r"last|nearest|closer|farther|bigger|smaller) one|the one .+)$"
)
_TAIL_BY_INTENT = {
    "read": re.compile(r"(?:^|\s+)(?:say|says|saying|said|read)$"),
    "track": re.compile(r"\s+(?:comes?|gets?|is|moves?|goes|leaves?|arrives?|stops?)\b.*$"),
    "count": re.compile(
        r"(?:^|\s+)(?:are|is|do you see|can you see|there are|are there|there|in (?:the )?(?:room|"
        r"picture|view|front)|here|around|do i have)\b.*$"
    ),
    "ask": re.compile(
        r"\s+(?:(?:red|blue|green|yellow|white|black|grey|gray|brown|orange|pink|purple)$|on|in|near|next to|"
        r"open|closed|empty|full|here|there|moving|"
        r"coming|on the .+|at .+)\b.*$"
    ),
}


def target_of(intent: str, text: str) -> str:
    """The words naming the target in a cleaned utterance ("where is my red cup" -> "red cup"); empty
    when there is none. Pronoun forms ("it", "the other one") come back as said."""
    body = _FILLER_START.sub("", text)
    for lead in _LEADS.get(intent, ()):
        m = re.search(rf"\b{lead}\b\s*(.*)$", body)
        if m and m.group(1):
            body = m.group(1)
            break
    else:
        if intent not in ("find", "ask"):  # "read", "track" alone name nothing; find/ask keep their words
            return ""
    tail = _TAIL_BY_INTENT.get(intent)
    if tail is not None:
        body = tail.sub("", body)
    body = _TRAILING.sub("", body.strip())
    if _KEEP_WHOLE.match(body):
        return body
    for _ in range(2):
        body = _DETERMINERS.sub("", body)
    body = _TRAILING.sub("", body).strip()
    if intent == "read" and re.fullmatch(r"(?:text|writing|words)(?: here| there)?", body):
        return ""
    if intent == "read" and body in ("it", "that", "this", "out", "aloud", "me", "it out", "that out"):
        return "" if body in ("out", "aloud", "me") else body.removesuffix(" out")
    return body


# Speed words about something moving out there are a question, not a speech-rate command.
_MOVING_THING = re.compile(
    r"\b(?:car|cars|bus|buses|train|trains|truck|lorry|bike|bicycle|cyclist|motorbike|motorcycle|scooter|"
    r"traffic|driving|going|moving|coming|walking|running|riding)\b"
)


def rule_intent(text: str) -> Intent | None:
    """The first rule that fires on a cleaned utterance, or None."""
    about_scene = bool(_MOVING_THING.search(text))
    for intent, pattern in _RULES:
        if intent in ("slower", "faster") and about_scene:
            continue
        if pattern.search(text):
            return intent
    return None


def understand(utterance: str, classifier: Classifier | None = None) -> Understanding:
    """Intent and target of one utterance (rules, then the nearest example when no rule fires)."""
    text = clean(utterance)
    if other_language(utterance):  # a question for a backend that reads it (Sa2VA), else one line
        return Understanding("ask", "", utterance.strip(), "rule", 0.0)
    if is_noise(text):
        return Understanding("unclear", "", text, "none", 0.0)
    if asks_what_this_is(text):  # "what is this?": the thing held up, not a description of the scene
        return Understanding("ask", "", text, "rule")
    intent = rule_intent(text)
    if intent is not None:
        return Understanding(intent, target_of(intent, text), text, "rule")
    question = bool(_QUESTION.search(text))
    yes_no = bool(_YES_NO.search(text))  # "is there a dog": always a question about the scene
    if classifier is not None:
        match = classifier.classify(text)
        label, score = str(getattr(match, "label", "")), float(getattr(match, "score", 0.0))
        runner_up, second = getattr(match, "runner_up", None), float(getattr(match, "runner_up_score", -1.0))
        clear = (not yes_no and not question) or (
            not yes_no and (label != "ask" and (runner_up != "ask" or score - second >= OVERRIDE_MARGIN))
        )
        if label in INTENTS and score >= EXAMPLE_MIN_SCORE and clear:
            chosen: Intent = next(i for i in INTENTS if i == label)
            from .followups import refers_back  # here: followups' state imports this module

            named = target_of("find", text)
            alone = re.fullmatch(r"(?:(?:the|my|a|an|your)\s+)?[a-z]+", text)  # "dog", "the dog"
            if chosen == "track" and alone and named and not refers_back(named):
                chosen = "find"  # a thing named alone is found, not "keep following" what was
            return Understanding(chosen, target_of(chosen, text), text, "examples", score)
        if not question and score < NONSENSE_BELOW:
            return Understanding("unclear", "", text, "examples", score)
    if question or len(text.split()) >= 3:  # a sentence no rule or example explains: a question
        return Understanding("ask", target_of("ask", text), text, "rule" if question else "none", 0.0)
    return Understanding("unclear", "", text, "none", 0.0)
