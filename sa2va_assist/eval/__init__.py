"""Evaluation: the field's metrics (``metrics``), data layouts (``datasets``), suites that run a backend
over a layout and score it (``suites``), and reports (``report``). ``evaluate`` ties them together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .suites import SUITES, Context, run_items, suite_items


def evaluate(
    suite: str,
    data_dir: str | Path,
    ctx: Context,
    limit: int | None = None,
    progress: Callable[[int], object] | None = None,
    backend_name: str = "",
    expressions: Path | None = None,
) -> dict[str, Any]:
    """Run ``suite`` over ``data_dir``; returns the document (headline metrics + ``items``)."""
    from .report import summarise

    items = suite_items(suite, Path(data_dir), expressions)[: limit or None]
    rows = list(run_items(suite, items, ctx, progress))
    return {
        "suite": suite,
        "backend": backend_name,
        "data_dir": str(data_dir),
        **summarise(suite, rows),
        "items": rows,
    }


__all__ = ["SUITES", "Context", "evaluate"]
