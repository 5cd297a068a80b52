"""Hypothesis strategies of hostile JSON values, shared by the Socket.IO and
Slack fuzz tests: nesting, integers past 64 bits, lone surrogates, NaN,
wrong types, and the real ids of the fuzzed world now and then."""

from __future__ import annotations

import os

from hypothesis import strategies as st

# Examples per target; raise it for a deeper run (WARROOM_FUZZ_EXAMPLES=250).
EXAMPLES = int(os.environ.get("WARROOM_FUZZ_EXAMPLES", "30"))

# Sampled uniformly, so a small budget still tries each: left to itself
# hypothesis favours small ints and short text, which every check accepts.
HOSTILE = [2**63, -(2**63) - 1, 2**64, 10**40, True, 1.5, float("nan"), float("inf"), None,
           "\ud800", "a\udfffb", "", "9" * 30, "²", "١٢", "\x00", "x" * 5000, [[1]], {"a": 1}, [],
           2**63 - 1, -(2**63), "-1", "1e400"]

scalars = st.one_of(
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Z", "Cc", "Cs"]), max_size=40),
    st.none() | st.booleans(),
)


def nested(depth: int, leaf):
    """``leaf`` wrapped in ``depth`` lists."""
    for _ in range(depth):
        leaf = [leaf]
    return leaf


hostile = st.sampled_from(HOSTILE)
shallow = st.recursive(scalars | hostile, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.sampled_from(["id", "a", "\ud800", ""]) | st.text(max_size=5),
                                         inner, max_size=4), max_leaves=8)
deep = st.builds(nested, st.integers(min_value=20, max_value=200), scalars | hostile)
values = st.one_of(hostile, hostile, scalars, shallow)
# Deep nesting is refused before any argument is read, so it is kept apart
# (in values_or_deep) rather than hiding every other check.
values_or_deep = st.one_of(values, deep)


def with_real_ids(ids: list[int]):
    """Values, or one of the world's real ids (so a payload reaches the domain)."""
    real = st.sampled_from(ids) | st.sampled_from([str(i) for i in ids])
    return st.one_of(values, real, real)
