"""The Slack app manifest names the routes the server really has and the
scopes for every Web API method the adapter calls."""

from __future__ import annotations

from urllib.parse import urlparse

import yaml

from tests.conftest import ROOT


def test_manifest_matches_routes_and_scopes(app):
    manifest = yaml.safe_load((ROOT / "warroom" / "slack_manifest.yaml").read_text())
    rules = {r.rule: r.methods for r in app.url_map.iter_rules()}
    command = manifest["features"]["slash_commands"][0]
    interactivity = manifest["settings"]["interactivity"]
    for url in (command["url"], interactivity["request_url"]):
        assert "POST" in rules[urlparse(url).path]
    assert command["command"] == "/warroom"
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # chat.postMessage/update, conversations.open/list/history, the command
    assert {"chat:write", "im:write", "im:history", "channels:read", "channels:history", "commands"} <= scopes
    # room channels: conversations.create/invite (public and private), .join, .list of private ones
    assert {"channels:manage", "groups:write", "groups:read", "channels:join"} <= scopes
    assert "open PLAYBOOK" in command["usage_hint"]
