"""MinHash helpers shared by the mention clusters (``clusters``) and the
stock-answer index (``responses.stock``): one place for the normaliser, the
shingler and the MinHash construction, so the two indexes never drift apart.

Pure functions plus a cache of permutations: building a MinHash's
permutations is most of its cost, so one set per ``num_perm`` is made once
per process and shared. datasketch (numpy/scipy) is imported on first use
only, so importing this module stays cheap.

The normaliser knows nothing of any brand or platform beyond the syntax
every network shares (``RT @handle:`` prefixes, ``@handles``, links): copies
of one text differ in those, in case and in punctuation, whatever the text
is about.
"""

from __future__ import annotations

import functools
import re

_RT = re.compile(r"^(?:\s*(?:rt|mt|via)\b\s*@[\w.@-]+\s*:?\s*)+", re.IGNORECASE)
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@[\w.@-]+")
_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """The text as copies share it: no retweet prefix, handles or links; lower
    case; words only (punctuation, emoji and spacing dropped), one space apart."""
    text = _RT.sub("", text or "")
    text = _LINK.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    return " ".join(_WORD.findall(text.lower().replace("_", " ")))


def shingles(normalised: str, k: int = 3) -> list[bytes]:
    """Word ``k``-shingles of a normalised text (the whole text when shorter)."""
    words = normalised.split()
    if len(words) <= k:
        return [" ".join(words).encode()] if words else []
    return list({" ".join(words[i:i + k]).encode() for i in range(len(words) - k + 1)})


@functools.cache
def _seed(num_perm: int):
    from datasketch import MinHash

    first = MinHash(num_perm=num_perm)
    return MinHash, first.permutations, first.scheme


def minhash(tokens: list[bytes], num_perm: int):
    """A MinHash of ``tokens`` with this process's shared permutations."""
    cls, perms, scheme = _seed(num_perm)
    m = cls(num_perm=num_perm, permutations=perms, scheme=scheme)
    if tokens:
        m.update_batch(tokens)
    return m


def signature(m) -> bytes:
    """The MinHash's values as bytes to store (uint32: datasketch keeps them
    below 2**32), 4 bytes per permutation."""
    import numpy as np

    return m.hashvalues.astype(np.uint32).tobytes()


def from_signature(blob: bytes, num_perm: int):
    """The MinHash stored by ``signature``."""
    import numpy as np

    cls, perms, scheme = _seed(num_perm)
    values = np.frombuffer(blob, dtype=np.uint32).astype(np.uint64)
    if len(values) != num_perm:
        raise ValueError(f"a signature of {len(values)} values, not {num_perm}")
    return cls(num_perm=num_perm, hashvalues=values, permutations=perms, scheme=scheme)


def lsh(threshold: float, num_perm: int, weights: tuple[float, float] = (0.5, 0.5)):
    """An empty MinHash LSH index (not thread-safe: callers hold a lock)."""
    from datasketch import MinHashLSH

    return MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
