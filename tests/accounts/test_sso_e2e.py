"""Single sign-on in Chromium: a real `run.py serve` and the real OpenID
provider; the user clicks the sign-on button, logs in and consents at the
provider, and lands on Warroom's rooms page as a just-created lead."""

import pytest

from tests.conftest import Server, free_port
from tests.oidc_server import OidcServer

pytestmark = pytest.mark.e2e


def test_sign_on_in_chromium(tmp_path, browser):
    port = free_port()
    provider = OidcServer([f"http://127.0.0.1:{port}/sso/callback"], {"kim": {"groups": ["comms-leads"]}}).start()
    server = Server(tmp_path, extra_env={
        "WARROOM_SSO_ENABLED": "true", "WARROOM_SSO_ISSUER": provider.issuer,
        "WARROOM_SSO_CLIENT_ID": provider.client_id, "WARROOM_SSO_CLIENT_SECRET": provider.client_secret,
        "WARROOM_SSO_SCOPES": "openid profile groups", "WARROOM_SSO_ROLE_MAP": "comms-leads=lead",
    })
    server.port, server.url = port, f"http://127.0.0.1:{port}"
    server.env["WARROOM_SERVER_PORT"] = str(port)
    server.start()
    try:
        page = browser.new_context().new_page()
        page.goto(server.url + "/login")
        page.click("#sso-login")
        page.wait_for_url(provider.issuer + "/**")
        page.fill("input[name=login]", "kim")
        page.fill("input[name=password]", "any")
        page.click("button[type=submit]")
        page.click("button[type=submit]:has-text('Continue')")  # the consent page (waits for it)
        page.wait_for_url(server.url + "/")
        assert "kim" in page.locator("header .who").inner_text()
        assert "(lead)" in page.locator("header .who").inner_text()
    finally:
        server.stop()
        provider.stop()
