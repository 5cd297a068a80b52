"""Platforms: one connector per outside platform that posts come from (and,
later, replies go to).

Owns ``feeds`` (``migrations/``). Face: the submodules ``connector`` (the
interface every platform connector implements: ``Connector``, ``Post``,
``Batch``, ``Posted``, ``Limit``, ``ConnectorError``), ``bluesky`` (the AT
Protocol connector: ``factory(settings, secrets)``, ``FirehoseConsumer``) and
``rss`` (RSS and Atom polling with conditional GET into a room's mentions).
"""

from . import bluesky, connector, rss

__all__ = ["bluesky", "connector", "rss"]
