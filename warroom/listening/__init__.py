"""Listening: mentions in, scored and counted; the spike detector; ingestion
tokens; replays and drills.

Owns ``mentions``, ``mention_minutes``, ``spike_state``, ``ingest_tokens`` and
``drills``, ``mention_clusters``, ``cluster_variants`` and ``cluster_members``, and the standing monitors' ``monitors``, ``monitor_mentions``,
``monitor_minutes``, ``monitor_state`` and ``monitor_alarms`` (``migrations/``). No names of its own at the face: each
submodule is public and named by what it holds: ``mentions`` (validate,
de-duplicate, score, store), ``language`` (platform tag or lingua detection),
``sentiment`` (VADER plus complaint cues; our lexicons for nl/fr/de/es; ``unknown`` otherwise),
``clusters`` (near-duplicate clusters found at ingest), ``minhash`` (the
normaliser, shingler and MinHash helpers it shares with the stock-answer
index), ``volume`` (per-minute counts, running the detector), ``spikes`` (the online
detector, pure), ``tokens`` (bearer tokens and their rate), ``replay`` (CSV
and NDJSON files, paced), ``drills``, ``storms`` (the synthetic demo storm
each playbook names for its drills), ``monitors`` (standing monitors: what
is watched, validated) and ``watch`` (a monitor's stream, its detector, and
the war room its alarm opens or offers); ``search`` (full-text search and
filters over a room's mentions, FTS5) and ``urgency`` (the queue's order and
its reasons, pure: the board mirrors it).
"""

from . import (
    clusters,
    drills,
    language,
    mentions,
    minhash,
    monitors,
    replay,
    search,
    sentiment,
    spikes,
    storms,
    tokens,
    urgency,
    volume,
    watch,
)

__all__ = ["clusters", "drills", "language", "mentions", "minhash", "monitors", "replay", "search",
           "sentiment", "spikes", "storms", "tokens", "urgency", "volume", "watch"]
