"""Where sa2va-assist keeps things on disk, following the XDG base directories.

- caches (converted and downloaded models): ``$SA2VA_ASSIST_CACHE``, else ``$XDG_CACHE_HOME/sa2va-assist``,
  else ``~/.cache/sa2va-assist``; safe to delete, ``setup`` rebuilds them;
- state (conversation memory): ``$XDG_STATE_HOME/sa2va-assist``, else ``~/.local/state/sa2va-assist``;
  ``agent.memory: auto`` is ``conversations.sqlite`` there;
- the user's config file: ``$XDG_CONFIG_HOME/sa2va-assist/config.yaml``, else
  ``~/.config/sa2va-assist/config.yaml``.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "sa2va-assist"


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "")
    # the XDG spec: a relative path in these variables is invalid and is ignored
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def cache_root() -> Path:
    """Root of this package's caches (models converted or downloaded once)."""
    override = os.environ.get("SA2VA_ASSIST_CACHE")
    return Path(override).expanduser() if override else _xdg("XDG_CACHE_HOME", ".cache") / APP


def state_root() -> Path:
    """Root of what the assistant remembers between runs (conversations)."""
    return _xdg("XDG_STATE_HOME", ".local/state") / APP


def conversation_memory() -> Path:
    """The SQLite file ``agent.memory: auto`` stands for."""
    return state_root() / "conversations.sqlite"


def user_config() -> Path:
    """The user's own config file (may not exist)."""
    return _xdg("XDG_CONFIG_HOME", ".config") / APP / "config.yaml"
