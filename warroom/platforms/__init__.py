"""Platforms: one connector per outside platform that posts come from and
approved replies go to.

Owns ``feeds`` (0031), ``connectors``, ``mention_sources`` and
``deliveries`` (0070, ``migrations/``). Face: the submodules

- ``connector``: the interface every platform connector implements
  (``Connector``, ``Post``, ``Batch``, ``Posted``, ``Limit``,
  ``ConnectorError``, ``Platform``; ``reply_key``);
- ``registry``: platform name -> ``Platform`` (factory and set-up fields);
- ``store``: connector rows (create, disconnect, state, limits; credentials
  sealed by ``crypto.Vault``, never shown), ``check_length`` and
  ``accounts_of`` (the account each of a page of mentions came through);
- ``listener``: batches + cursor in one transaction, the listening loop and
  its ``Supervisor`` (a thread per active connector);
- ``outbox``: exactly-once publishing through the connector (``enqueue`` in
  the publishing transaction, ``tick``, ``mark_posted_by_hand``);
- ``crypto``: ``Vault`` (HKDF from WARROOM_SECRET_KEY, Fernet);
- ``bluesky`` (the AT Protocol connector, ``FirehoseConsumer``), ``mastodon``,
  ``facebook`` (+ ``webhook``, its signed webhook): connectors;
- ``rss``: RSS and Atom polling with conditional GET into a room's mentions.
"""

from . import (
           bluesky,
           connector,
           crypto,
           facebook,
           listener,
           mastodon,
           outbox,
           registry,
           rss,
           store,
           webhook,
)

__all__ = ["bluesky", "connector", "crypto", "facebook", "listener", "mastodon", "outbox", "registry", "rss", "store",
           "webhook"]
