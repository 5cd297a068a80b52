"""Listening: mentions in, scored and counted; the spike detector; ingestion
tokens; replays and drills.

Owns ``mentions``, ``mention_minutes``, ``spike_state``, ``ingest_tokens`` and
``drills`` (``migrations/``). No names of its own at the face: each
submodule is public and named by what it holds: ``mentions`` (validate,
de-duplicate, score, store), ``sentiment`` (VADER plus complaint cues),
``volume`` (per-minute counts, running the detector), ``spikes`` (the online
detector, pure), ``tokens`` (bearer tokens and their rate), ``replay`` (CSV
and NDJSON files, paced) and ``drills``.
"""

from . import drills, mentions, replay, sentiment, spikes, tokens, volume

__all__ = ["drills", "mentions", "replay", "sentiment", "spikes", "tokens", "volume"]
