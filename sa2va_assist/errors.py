"""One exception hierarchy for the whole package.

Every error carries a ``hint`` naming the fix. Only the CLI turns these into exit codes; library code
raises them, and the voice loop catches them per turn::

    AssistError                  base: message + hint
    ├── InputError               missing, unreadable, corrupt or empty image/video/folder
    ├── ConfigError              unknown key, backend, task or bad value in config.yaml / flags
    ├── DependencyError          an optional package or system library is not installed
    ├── ModelError               model weights missing, wrong transformers version, bad checkpoint
    ├── BackendError             a vision or speech backend failed while running a request
    └── OutputError              an output folder cannot be made or written (nothing partial is left)
"""

from __future__ import annotations


class AssistError(Exception):
    """Base class: ``str(err)`` is one line naming the problem; ``hint`` names the fix."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The problem and the fix on one line, as the CLI prints it."""
        text = self.message.rstrip(".")
        hint = self.hint[:1].upper() + self.hint[1:]
        return f"{text}. {hint}" if hint else f"{text}."


class InputError(AssistError):
    """The image, video or frame folder cannot be used."""


class ConfigError(AssistError):
    """A configuration value, backend name or task name is not valid."""


class DependencyError(AssistError):
    """A package or system library needed for the chosen path is missing."""


class ModelError(AssistError):
    """Model weights are absent, incompatible or could not be loaded."""


class BackendError(AssistError):
    """A vision or speech backend failed while running a request."""


def first_line(err: BaseException) -> str:
    """The first line of an exception's message, or its type's name when it has none: what a one-line
    error quotes from a library's exception."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


class OutputError(AssistError):
    """An output folder or file cannot be made or written; nothing partial is left behind."""
