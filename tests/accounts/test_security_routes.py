"""Walk the whole url_map: without a session every route answers 401/403,
except the few that are public on purpose (listed here, each with its reason),
so a new route cannot be forgotten."""

import re

import pytest

# endpoint -> why it is reachable without a session
PUBLIC_ON_PURPOSE = {
    "static": "CSS and JS (no data)",
    "auth.login": "the login form",
    "api.healthz": "load balancers' health check (says only ok/fail)",
    "api.openapi": "the API's own description (no data)",
    # the signed token in the URL is the credential; CSRF is kept (as for the
    # login form) since a phone's browser posts it. Wrong links: test_contacts_web.py
    "contacts.ack_link": "acknowledging a page by its signed, single-use link",
    # single sign-on: the redirect to the provider, and its answer (checked
    # by state, PKCE and the ID token; tests/accounts/test_sso.py)
    "sso.login": "starts single sign-on (404 unless [sso] is enabled)",
    "sso.callback": "the OpenID provider's answer",
    # published public updates only (updates.status decides; tests/web/test_status_page.py)
    "updates.status_index": "the public status page's index",
    "updates.status_page": "a room's public status page",
    "updates.status_feed": "a room's public updates as Atom",
}
# Public views that authenticate by other means (bearer token, Slack
# signature, calendar token) must still refuse a request without them.
REFUSED_WITHOUT_CREDENTIALS = {401, 403, 404}


def sample_url(rule) -> str:
    def fill(m):
        conv = m.group(1) or "default"
        return "1" if conv.startswith("int") else "x"
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", fill, rule.rule)


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_refuses_a_request_without_session(app):
    client = app.test_client()
    seen = 0
    problems = []
    for rule, method in routes(app):
        view = app.view_functions[rule.endpoint]
        is_public = getattr(view, "warroom_public", False) or rule.endpoint == "static"
        if rule.endpoint in PUBLIC_ON_PURPOSE:
            continue
        seen += 1
        resp = client.open(sample_url(rule), method=method, headers={"Accept": "application/json"})
        allowed = REFUSED_WITHOUT_CREDENTIALS if is_public else {401, 403}
        if resp.status_code not in allowed:
            problems.append(f"{method} {rule.rule} ({rule.endpoint}) -> {resp.status_code}")
    assert seen >= 5
    assert problems == []


def test_public_views_are_exactly_the_listed_ones_or_bring_their_own_auth(app):
    public = {
        rule.endpoint for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "warroom_public", False)
    }
    for endpoint in public - set(PUBLIC_ON_PURPOSE):
        view = app.view_functions[endpoint]
        # Anything else public must be a credentialed machine endpoint, which
        # by convention is also CSRF-exempt (no browser session can reach it)
        # or a GET feed guarded by its own token.
        assert getattr(view, "warroom_csrf_exempt", False) or endpoint.endswith(("ics", "feed")), endpoint


@pytest.mark.parametrize("path", ["/", "/rooms/1", "/api/v1/rooms", "/api/v1/rooms/1/events"])
def test_html_and_json_callers_get_401(app, path):
    assert app.test_client().get(path).status_code == 401
