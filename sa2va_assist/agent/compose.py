"""The agent's own lines (help, not caught); every answer about what was seen is worded by the one
composer, ``sa2va_assist.compose``."""

from __future__ import annotations

_HELP = (
    "Ask me what is around you, where something is, to read text, or how many there are. "
    "Say 'where is it now' to find the same thing again, 'more' for detail, 'again' to repeat, "
    "'slower' or 'faster' to change my speed, and 'stop' to silence me."
)
NOT_CAUGHT = "Sorry, I didn't catch that."


def help_text() -> str:
    return _HELP
