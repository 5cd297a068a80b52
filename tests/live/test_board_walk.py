"""Issue 19's acceptance walk in real Chromium, at a desktop (1440x900) and a
phone (390x844) viewport, through a whole drill room: every side panel one
click or one key away, the working area (queue, claim, composer) reachable,
no horizontal scroll on the phone, and axe-core (tests/axe, `make test-axe`)
run in the page finds no serious or critical violation on the board, the rooms
list and the post-mortem HTML. Screenshots go to test-artifacts/walk/."""

from __future__ import annotations

import re

import pytest

from ..conftest import ROOT, Server, browser_login, launch_chromium, make_user, open_board

pytestmark = pytest.mark.e2e

AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-artifacts" / "walk"
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test-axe` installs it from tests/axe/package-lock.json")
    server = Server(tmp_path_factory.mktemp("walk")).start()
    db = server.db()
    try:
        make_user(db, "lead", "lead")
    finally:
        db.close()
    done = server.cli("drill", "mass-disruption", "--owner", "lead")
    assert done.returncode == 0, done.stderr
    room_id = int(re.search(r"drill room (\d+)", done.stdout).group(1))
    yield server, room_id
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def _axe(page, what: str) -> None:
    """Serious and critical axe-core violations on the page, none expected."""
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    assert result["passes"], f"{what}: axe checked nothing"
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    detail = "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at "
                       + ", ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                                   for n in v["nodes"][:4]) for v in bad)
    assert not bad, f"{what}: {detail}"


def _no_sideways_scroll(page, what: str) -> None:
    sw, iw = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert sw <= iw, f"{what}: page is {sw}px wide in a {iw}px viewport"


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_walk_through_a_drill(drill, chromium, device):
    srv, room_id = drill
    width, height = VIEWPORTS[device]
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The post-mortem export forbids all script (its CSP); axe is injected anyway.
    ctx = chromium.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = browser_login(ctx, srv, "lead")
    phone = device == "phone"

    # Rooms list -> the drill room: one click, from the header too.
    page.goto(srv.url + "/")
    assert page.locator("#nav-rooms").get_attribute("aria-current") == "page"
    for nav in ("#nav-monitors", "#nav-playbooks", "#nav-contacts"):
        assert page.locator(nav).is_visible(), nav
    page.screenshot(path=str(SHOTS / f"{device}-rooms.png"), full_page=True)
    if phone:
        _no_sideways_scroll(page, "rooms list")
    _axe(page, "rooms list")

    open_board(page, srv, room_id)
    page.wait_for_selector("#mention-list li.mention")
    page.screenshot(path=str(SHOTS / f"{device}-board.png"))

    # Every side panel: one click on its tab shows it (and only it).
    tabs = page.locator("#panel-tabs [role=tab]")
    names = [t.get_attribute("aria-controls") for t in tabs.all()]
    for required in ("volume", "facts", "roster", "escalation", "panel-playbook", "timeline"):
        assert required in names, names
    for i, panel in enumerate(names):
        page.click(f"#tab-{panel}")
        assert page.locator(f"#{panel}").is_visible(), panel
        assert page.locator(f"#tab-{panel}").get_attribute("aria-selected") == "true"
        others = [n for n in names if n != panel]
        assert all(page.locator(f"#{n}").is_hidden() for n in others), panel
        page.locator(f"#{panel}").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{device}-panel-{i + 1}-{panel}.png"))
        if phone:
            _no_sideways_scroll(page, f"panel {panel}")

    # ... and one key: the digit on its tab.
    page.locator("body").click(position={"x": 1, "y": 1})
    for i, panel in enumerate(names[:9]):
        page.keyboard.press(str(i + 1))
        assert page.locator(f"#{panel}").is_visible(), f"key {i + 1} -> {panel}"
    page.keyboard.press("]")  # after the last key pressed: the next tab, wrapping round
    assert page.locator(f"#{names[min(9, len(names)) % len(names)]}").is_visible()

    # A link to a panel (a sign-up clash redirects to #roster) opens its tab.
    page.goto(f"{srv.url}/rooms/{room_id}#roster")
    page.wait_for_selector("#roster table.shifts")
    assert page.locator("#tab-roster").get_attribute("aria-selected") == "true"

    # The playbook's full prose is folded; its rules stay in view.
    page.keyboard.press(str(names.index("panel-playbook") + 1))
    assert page.locator("#guidance-fold").get_attribute("open") is None
    assert "first response within" in page.inner_text("#panel-playbook")

    # The working area: next mention, claim, reply -> the composer.
    page.keyboard.press("n")
    page.keyboard.press("c")
    page.wait_for_selector("#mention-list li.mention.selected.claimed, #mention-list li.mention.selected .release-btn")
    page.keyboard.press("r")
    page.wait_for_selector("#composer:not([hidden])")
    page.screenshot(path=str(SHOTS / f"{device}-composer.png"))
    if phone:
        _no_sideways_scroll(page, "composer")

    # axe over the board with every panel shown at once.
    page.evaluate("() => document.querySelectorAll('#board-side [role=tabpanel]').forEach(p => { p.hidden = false; })")
    _axe(page, "board")

    page.goto(f"{srv.url}/rooms/{room_id}/export.html")
    page.screenshot(path=str(SHOTS / f"{device}-postmortem.png"), full_page=True)
    if phone:
        _no_sideways_scroll(page, "post-mortem")
    _axe(page, "post-mortem HTML")
    ctx.close()
