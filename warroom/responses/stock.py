"""The stock-answer index: which published replies of a room might be
near-duplicates of a text, in a few MinHash LSH look-ups instead of one
exact comparison per published reply.

The lint's rule is unchanged: ``lint.similarity`` (word-level
SequenceMatcher ratio) on the candidates decides. The index only has to
find every reply whose ratio could reach the threshold ``t``. A ratio of
``t`` needs a multiset word overlap (Dice) of at least ``t``, that is a
multiset Jaccard of at least ``t / (2 - t)`` (0.67 for the default 0.8), so
replies are hashed as sets of (word, occurrence) tokens, whose Jaccard is
exactly that multiset Jaccard, and the LSH threshold sits well below that
bound, weighted against misses (at the bound about 1 in 200 is missed;
real stock answers sit far above it).

The MinHash and LSH come from ``listening.minhash``, shared with the mention
clusters. Kept in memory, built once per room per process and caught up on every
look-up from an id cursor: published replies are append-only (SQLite
triggers refuse updates and deletes), so the rows after the cursor are all
that changed, whichever process published them. Nothing is persisted: a
build costs one MinHash per published reply (about 0.1 ms each), less than
a migration and a serialised format would be worth. The copies of a
cluster answer (``cluster_answer``) are left out: one answer to one text
sent many times is one answer.
"""

from __future__ import annotations

import threading
from collections import Counter

from ..db import Database, identity
from ..listening import clusters, minhash
from . import lint as lintmod

NUM_PERM = 128
MISS_WEIGHTS = (0.1, 0.9)  # (false positives, false negatives): misses cost more
MARGIN = 0.1  # below the Jaccard bound, for the MinHash estimate's spread


def _tokens(text: str) -> list[bytes]:
    seen: Counter = Counter()
    out = []
    for word in lintmod.words(text):
        seen[word] += 1
        out.append(f"{word}\x00{seen[word]}".encode())
    return out


def lsh_threshold(similarity: float) -> float:
    """The LSH's Jaccard threshold for a lint similarity threshold."""
    t = min(max(float(similarity), 0.0), 1.0)
    return min(max(t / (2 - t) - MARGIN, 0.1), 0.9)


class StockIndex:
    """One room's published replies in a MinHash LSH; thread-safe."""

    def __init__(self, similarity: float):
        self.similarity = similarity
        self._lsh = minhash.lsh(lsh_threshold(similarity), NUM_PERM, MISS_WEIGHTS)
        self._lock = threading.Lock()
        self.last_id = 0
        self.size = 0

    def _hash(self, tokens: list[bytes]):
        # the permutations are shared per process (listening.minhash)
        return minhash.minhash(tokens, NUM_PERM)

    def add(self, response_id: int, text: str, counted: bool = True) -> None:
        tokens = _tokens(text) if counted else []
        with self._lock:
            if response_id <= self.last_id:
                return
            if tokens:  # a reply without words (or not counted) is never similar to anything
                self._lsh.insert(response_id, self._hash(tokens), check_duplication=False)
                self.size += 1
            self.last_id = response_id

    def candidates(self, text: str) -> list[int]:
        tokens = _tokens(text)
        if not tokens:
            return []
        query = self._hash(tokens)
        with self._lock:
            return sorted(self._lsh.query(query))


_indexes: dict[tuple, StockIndex] = {}
_indexes_lock = threading.Lock()


def _db_key(db: Database) -> str:
    return identity(db)


def index_for(db: Database, room_id: int, similarity: float) -> StockIndex:
    """The room's index, caught up with every reply published so far."""
    key = (_db_key(db), room_id)
    with _indexes_lock:
        index = _indexes.get(key)
        newest = db.execute("SELECT MAX(id) FROM responses WHERE room_id = ?", [room_id]).fetchone()[0] or 0
        # A different threshold (a new snapshot) or a database recreated at the same path.
        if index is None or index.similarity != similarity or newest < index.last_id:
            index = _indexes[key] = StockIndex(similarity)
    if newest > index.last_id:
        # A cluster answer's copies to the cluster's other members count once, as its first response.
        copies = clusters.answer_copies(db, room_id, index.last_id)
        for response_id, text in db.execute(
            "SELECT id, text FROM responses WHERE room_id = ? AND id > ? ORDER BY id",
            [room_id, index.last_id],
        ):
            index.add(response_id, text, counted=response_id not in copies)
    return index


def similar_published(db: Database, room_id: int, text: str, similarity: float) -> list[str]:
    """Texts of the room's published replies that may be near-duplicates of ``text``
    (a superset, up to the LSH's rare misses, of those the lint counts)."""
    ids = index_for(db, room_id, similarity).candidates(text)
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    return [r[0] for r in db.execute(f"SELECT text FROM responses WHERE id IN ({marks}) ORDER BY id", ids)]
