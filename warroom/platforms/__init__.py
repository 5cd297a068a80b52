"""Platforms: one connector per outside platform that posts come from (and,
later, replies go to).

Owns ``feeds`` (``migrations/``). Face: the submodule ``rss`` (RSS and Atom
polling with conditional GET into a room's mentions).
"""

from . import rss

__all__ = ["rss"]
