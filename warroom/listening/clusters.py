"""Near-duplicate clusters: retweets, quotes and copy-paste campaigns of one
text become one cluster, found incrementally at ingest.

Every mention belongs to exactly one cluster (a singleton until a copy
comes). Texts are compared as ``minhash.normalise`` leaves them (no
``RT @x:`` prefix, handles, links, case or punctuation), so any brand's
campaign is caught by the shape copies share, not by words about a brand.

Two steps per mention, inside the ingest transaction:
1. the normalised text's key (sha1) is looked up among the room's
   *variants* (distinct normalised texts): an exact copy joins that
   variant's cluster with no MinHash at all. In a storm most mentions take
   this path.
2. a new variant gets a MinHash of its word 3-shingles and asks the room's
   LSH index for variants at estimated Jaccard >= ``THRESHOLD``; it joins
   the most similar one's cluster, or starts a cluster. It is then indexed.

A translated text shares no shingles with its original, so each language
of a campaign is its own cluster (the board lists a cluster's languages;
joining translations would need a translation model, not a hash).

Persistence: each variant's signature is stored (``cluster_variants``, 4
bytes a permutation, 256 bytes a variant), and the in-memory LSH index of
a room is rebuilt lazily from them on first use in a process, then caught
up from an id cursor as stock.py does. Storing signatures rather than
recomputing them keeps the rebuild to numpy reads plus LSH inserts (no
re-normalising or re-hashing of text), and needs no serialised index
format that a datasketch upgrade could break; bench/queue_storm.py measures it.
Signatures are stored per variant, not per mention: exact copies share one.

If a transaction rolls back after the index saw its variants, the index is
ahead of the table; ``index_for`` notices (the table's newest id is below
the index's cursor) and rebuilds.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from ..db import Database, identity
from . import minhash

NUM_PERM = 64
THRESHOLD = 0.5  # estimated Jaccard of word 3-shingles: one edited word in 20 is ~0.85
SHINGLE = 3


def key_of(normalised: str) -> str:
    return hashlib.sha1(normalised.encode()).hexdigest()


@dataclass(frozen=True)
class Prepared:
    """What clustering needs of one text, computed outside the write lock."""

    key: str | None  # None: nothing left after normalising (a bare link or handle)
    tokens: tuple[bytes, ...]


def prepare(text: str) -> Prepared:
    norm = minhash.normalise(text)
    if not norm:
        return Prepared(None, ())
    return Prepared(key_of(norm), tuple(minhash.shingles(norm, SHINGLE)))


class ClusterIndex:
    """One room's variants: key -> (variant id, cluster id), and an LSH of
    their MinHashes. Callers hold ``lock``."""

    def __init__(self):
        self.lock = threading.Lock()
        self.lsh = minhash.lsh(THRESHOLD, NUM_PERM)
        self.keys: dict[str, int] = {}       # key -> cluster id
        self.hashes: dict[int, object] = {}  # variant id -> MinHash
        self.cluster_of: dict[int, int] = {}  # variant id -> cluster id
        self.last_id = 0

    def add(self, variant_id: int, cluster_id: int, key: str, m) -> None:
        self.keys[key] = cluster_id
        self.cluster_of[variant_id] = cluster_id
        self.hashes[variant_id] = m
        self.lsh.insert(variant_id, m, check_duplication=False)
        self.last_id = max(self.last_id, variant_id)

    def nearest(self, m) -> int | None:
        """The cluster of the most similar indexed variant at >= THRESHOLD."""
        best, best_j = None, THRESHOLD
        for vid in self.lsh.query(m):
            j = m.jaccard(self.hashes[vid])
            if j >= best_j:
                best, best_j = vid, j
        return self.cluster_of[best] if best is not None else None


_indexes: dict[tuple, ClusterIndex] = {}
_indexes_lock = threading.Lock()


def index_for(db: Database, room_id: int) -> ClusterIndex:
    """The room's index, caught up with every stored variant (rebuilt from the
    stored signatures on first use in this process)."""
    key = (identity(db), room_id)
    newest = db.execute("SELECT MAX(id) FROM cluster_variants WHERE room_id = ?", [room_id]).fetchone()[0] or 0
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None or newest < index.last_id:
            index = _indexes[key] = ClusterIndex()
    if newest > index.last_id:
        with index.lock:
            for vid, cid, k, sig in db.execute(
                "SELECT id, cluster_id, key, signature FROM cluster_variants"
                " WHERE room_id = ? AND id > ? ORDER BY id", [room_id, index.last_id],
            ):
                index.add(vid, cid, k, minhash.from_signature(sig, NUM_PERM))
    return index


def forget(db: Database, room_id: int) -> None:
    """Drop the room's in-memory index (the next use rebuilds it from the table):
    what a restart does, for tests and the bench."""
    with _indexes_lock:
        _indexes.pop((identity(db), room_id), None)


def assign_new(db: Database, room_id: int, before: int, prepared: dict[tuple[str, str], Prepared]) -> None:
    """Put the room's mentions with id > ``before`` (one batch, just inserted)
    in clusters; ``prepared`` maps (source, external_id) to ``prepare(text)``,
    computed before the write lock. Runs inside the ingest transaction."""
    rows = [(mid, created, followers, prepared.get((source, ext)) or prepare(text))
            for mid, source, ext, created, followers, text in db.execute(
                "SELECT id, source, external_id, created_at, followers, text FROM mentions"
                " WHERE room_id = ? AND id > ? ORDER BY id", [room_id, before])]
    if rows:
        assign(db, room_id, rows)


def assign(db: Database, room_id: int, rows: list[tuple[int, str, int | None, Prepared]]) -> None:
    """Put each new mention (id, created_at, followers, prepared text) in a
    cluster, in order: an earlier row of the batch is already indexed."""
    index = index_for(db, room_id)
    members = []
    grown: dict[int, list] = {}  # cluster id -> [size, reach, first id, first at, last at]
    with index.lock:
        for mention_id, created_at, followers, prep in rows:
            cluster_id = index.keys.get(prep.key) if prep.key else None
            m = None
            if cluster_id is None and prep.key:
                m = minhash.minhash(list(prep.tokens), NUM_PERM)
                cluster_id = index.nearest(m)
            if cluster_id is None:
                cur = db.execute(
                    "INSERT INTO mention_clusters (room_id, first_mention_id, first_at, last_at, size, reach)"
                    " VALUES (?, ?, ?, ?, 0, 0)", [room_id, mention_id, created_at, created_at])
                cluster_id = cur.lastrowid
            if m is not None:
                cur = db.execute(
                    "INSERT INTO cluster_variants (room_id, cluster_id, key, signature) VALUES (?, ?, ?, ?)",
                    [room_id, cluster_id, prep.key, minhash.signature(m)])
                index.add(cur.lastrowid, cluster_id, prep.key, m)
            members.append((mention_id, room_id, cluster_id))
            g = grown.setdefault(cluster_id, [0, 0, mention_id, created_at, created_at])
            g[0] += 1
            g[1] += followers or 0
            if created_at < g[3]:
                g[2], g[3] = mention_id, created_at
            g[4] = max(g[4], created_at)
    db.conn.executemany(
        "INSERT INTO cluster_members (mention_id, room_id, cluster_id) VALUES (?, ?, ?)", members)
    # The first post is the earliest created_at, whatever order the copies arrived in.
    # CASE, not SQLite's two-argument MIN/MAX, which PostgreSQL spells LEAST/GREATEST.
    db.conn.executemany(
        "UPDATE mention_clusters SET size = size + ?, reach = reach + ?,"
        " first_mention_id = CASE WHEN ? < first_at THEN ? ELSE first_mention_id END,"
        " first_at = CASE WHEN ? < first_at THEN ? ELSE first_at END,"
        " last_at = CASE WHEN ? > last_at THEN ? ELSE last_at END WHERE id = ?",
        [(s, r, fa, fid, fa, fa, la, la, cid) for cid, (s, r, fid, fa, la) in grown.items()])


# -- reading ------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    id: int
    room_id: int
    first_mention_id: int
    first_at: str
    last_at: str
    size: int
    reach: int
    languages: tuple[str, ...]

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["languages"] = list(self.languages)
        return d


_CCOLS = "c.id, c.room_id, c.first_mention_id, c.first_at, c.last_at, c.size, c.reach"


def _languages(db: Database, ids: list[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        marks = ",".join("?" * len(part))
        for cid, lang in db.execute(
            f"SELECT DISTINCT cm.cluster_id, m.lang FROM cluster_members cm JOIN mentions m ON m.id = cm.mention_id"
            f" WHERE cm.cluster_id IN ({marks}) AND m.lang IS NOT NULL ORDER BY m.lang", part,
        ):
            out[cid].append(lang)
    return {k: tuple(v) for k, v in out.items()}


def _clusters(db: Database, where: str, params: list) -> list[Cluster]:
    rows = db.execute(f"SELECT {_CCOLS} FROM mention_clusters c WHERE {where}", params).fetchall()
    langs = _languages(db, [r[0] for r in rows])
    return [Cluster(*r, langs[r[0]]) for r in rows]


def get(db: Database, cluster_id: int) -> Cluster | None:
    found = _clusters(db, "c.id = ?", [cluster_id])
    return found[0] if found else None


def queue(db: Database, room_id: int, limit: int = 1000, min_size: int = 1) -> list[Cluster]:
    """The room's clusters, each once, largest first (then newest): the queue
    of things to answer, a campaign of 10,000 copies as one item."""
    return _clusters(db, "c.room_id = ? AND c.size >= ? ORDER BY c.size DESC, c.last_at DESC, c.id LIMIT ?",
                     [room_id, min_size, limit])


def members(db: Database, cluster_id: int, after: int = 0, limit: int = 1000) -> list[int]:
    """Mention ids of a cluster, oldest id first, after ``after``."""
    return [r[0] for r in db.execute(
        "SELECT mention_id FROM cluster_members WHERE cluster_id = ? AND mention_id > ? ORDER BY mention_id LIMIT ?",
        [cluster_id, after, limit])]


def of_mentions(db: Database, mention_ids: list[int]) -> dict[int, tuple[int, int]]:
    """mention id -> (cluster id, cluster size)."""
    out = {}
    for chunk in range(0, len(mention_ids), 500):
        part = mention_ids[chunk:chunk + 500]
        marks = ",".join("?" * len(part))
        for mid, cid, size in db.execute(
            f"SELECT cm.mention_id, cm.cluster_id, c.size FROM cluster_members cm"
            f" JOIN mention_clusters c ON c.id = cm.cluster_id WHERE cm.mention_id IN ({marks})", part,
        ):
            out[mid] = (cid, size)
    return out


def growth(db: Database, cluster_id: int, bucket_minutes: int = 60) -> list[tuple[str, int]]:
    """(bucket start, cumulative size) of a cluster over its members' created_at:
    the post-mortem's size over time."""
    rows = db.execute(
        "SELECT m.created_at FROM cluster_members cm JOIN mentions m ON m.id = cm.mention_id"
        " WHERE cm.cluster_id = ? ORDER BY m.created_at", [cluster_id]).fetchall()
    out: list[tuple[str, int]] = []
    total = 0
    for (created,) in rows:
        bucket = _bucket(created, bucket_minutes)
        total += 1
        if out and out[-1][0] == bucket:
            out[-1] = (bucket, total)
        else:
            out.append((bucket, total))
    return out


def _bucket(ts: str, minutes: int) -> str:
    # ISO text "YYYY-MM-DDTHH:MM:SSZ": truncate to the bucket without parsing.
    hh, mm = int(ts[11:13]), int(ts[14:16])
    total = (hh * 60 + mm) // minutes * minutes
    return f"{ts[:11]}{total // 60:02d}:{total % 60:02d}:00Z"


# -- one answer to a cluster ----------------------------------------------------


def record_answer(db: Database, room_id: int, cluster_id: int, lead_response_id: int,
                  copy_ids: list[int]) -> None:
    """Inside the publishing transaction: which responses are one cluster answer."""
    db.conn.executemany(
        "INSERT INTO cluster_answers (response_id, room_id, cluster_id, lead_response_id) VALUES (?, ?, ?, ?)",
        [(rid, room_id, cluster_id, lead_response_id) for rid in [lead_response_id, *copy_ids]])


def answer_copies(db: Database, room_id: int, after: int = 0) -> set[int]:
    """Ids (> after) of responses that are a cluster answer's copies to its
    other members: one answer to many copies of one text counts once."""
    return {r[0] for r in db.execute(
        "SELECT response_id FROM cluster_answers WHERE room_id = ? AND response_id > ?"
        " AND response_id != lead_response_id", [room_id, after])}


def campaigns(db: Database, room_id: int, limit: int = 10) -> list[dict]:
    """The room's largest clusters of copies (size >= 2) for the post-mortem:
    size, reach, languages, the first post and the size over time (hourly,
    cumulative, by the posts' own time)."""
    out = []
    for c in queue(db, room_id, limit=limit, min_size=2):
        first = db.execute("SELECT source, author, text, created_at FROM mentions WHERE id = ?",
                           [c.first_mention_id]).fetchone()
        out.append({"cluster_id": c.id, "size": c.size, "reach": c.reach, "languages": list(c.languages),
                    "first_at": c.first_at, "last_at": c.last_at,
                    "first_post": {"mention_id": c.first_mention_id, "source": first[0], "author": first[1],
                                   "text": first[2]} if first else None,
                    "growth": [{"hour": h, "size": n} for h, n in growth(db, c.id, 60)]})
    return out
