"""Platform name -> ``Platform`` (its connector factory and set-up fields).

Adding a platform is one module exposing ``PLATFORM`` and one line below.
"""

from __future__ import annotations

from . import bluesky, facebook, mastodon
from .connector import Connector, Platform

PLATFORMS: dict[str, Platform] = {
    p.name: p for p in (
        bluesky.PLATFORM,
        mastodon.PLATFORM,
        facebook.PLATFORM,
    )
}


class UnknownPlatform(ValueError):
    field = "platform"


def platform(name: str) -> Platform:
    found = PLATFORMS.get(name)
    if found is None:
        raise UnknownPlatform(f"unknown platform {name!r}; known: {', '.join(sorted(PLATFORMS))}")
    return found


def build(name: str, settings: dict, secrets: dict) -> Connector:
    return platform(name).factory(settings, secrets)
