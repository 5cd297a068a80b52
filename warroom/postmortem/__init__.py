"""Post-mortems: folding a room's events and rows into a report, rendering it,
its charts, and the lessons learned.

Owns ``postmortem_lessons`` (``migrations/``) and ``postmortem.schema.json``
(the report's JSON Schema). Face: ``build_report`` and its statistics
helpers; the submodules ``render`` (Markdown, HTML, JSON), ``charts`` (pure
SVG) and ``lessons``.
"""


from . import charts, lessons, render
from .report import (
    build_report,
    median,
    percentile,
    reply_histogram,
)

__all__ = [
    "build_report",
    "charts",
    "lessons",
    "median",
    "percentile",
    "render",
    "reply_histogram",
]
