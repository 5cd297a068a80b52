"""The ingestion token's one-minute window (found missing by a planted bug in
bench/mutants.py)."""

from datetime import timedelta

from tests.conftest import FIXED_NOW
from warroom.listening import tokens


def test_retry_after_rounds_up_to_the_end_of_the_window():
    start = FIXED_NOW  # 09:00:00, the start of a minute
    late = start + timedelta(seconds=30, milliseconds=500)  # 29.5 s left
    assert tokens.window_decision(start, 5, late, 5) == (False, start, 5, 30)
    assert tokens.window_decision(start, 5, start + timedelta(seconds=30), 5)[3] == 30
    assert tokens.window_decision(start, 5, start + timedelta(seconds=59, milliseconds=999), 5)[3] == 1
