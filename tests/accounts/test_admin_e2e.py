"""In Chromium against a real server: an admin disables a user from the
users page; that user's open board is disconnected within seconds and their
next request is refused."""

import pytest

from tests.conftest import browser_login, open_board

pytestmark = pytest.mark.e2e


def test_disabling_a_user_disconnects_their_open_board(server, browser):
    server.add_user("root", "admin")
    server.add_user("dana", "responder")
    lead = server.login("root")
    opened = server.cli("room", "open", "service-complaint", "--title", "Ash cloud")
    assert opened.returncode == 0, opened.stderr
    room_id = lead.get(server.url + "/api/v1/rooms").json()["rooms"][0]["id"]

    dana_ctx = browser.new_context()
    dana = browser_login(dana_ctx, server, "dana")
    open_board(dana, server, room_id)

    admin_ctx = browser.new_context()
    admin = browser_login(admin_ctx, server, "root")
    admin.goto(server.url + "/admin/users")
    admin.click('tr[data-user="dana"] button[value="disable"]')
    admin.wait_for_selector('tr[data-user="dana"] button[value="enable"]')

    # the server cut the socket; the board's reconnect is refused (no session)
    dana.wait_for_selector("#live-state.off", timeout=5000)
    resp = dana.request.get(server.url + "/api/v1/rooms", headers={"Accept": "application/json"})
    assert resp.status == 401
    dana.reload()
    assert dana.locator("input[name=password]").count() == 1  # the login form
    dana_ctx.close()
    admin_ctx.close()
