"""The exported HTML is opened from disk, with no server's header around it:
it carries its own CSP and no remote image survives the lessons' Markdown."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.conftest import free_port, make_user
from warroom import postmortem, rooms
from warroom.postmortem import lessons, render

LESSONS = """Page the lead sooner.

![tracking pixel](http://{host}/pixel.png)
![also this](https://{host}/banner.png "t")
<img src="http://{host}/raw.png">
[the incident page](http://{host}/incident) stays a link.
"""


def _report(db, now, host):
    lead = make_user(db, "lea", "lead")
    room = rooms.open_room(db, now, lead, "Pixel")
    lessons.save_lessons(db, now, room.id, "lea", LESSONS.format(host=host))
    return postmortem.build_report(db, room.id, now)


def test_export_has_its_own_csp_and_no_remote_images(db, now):
    html = render.to_html(_report(db, now, "evil.test"))
    head = html.split("</head>")[0]
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', head)
    assert csp is not None
    directives = dict(d.strip().split(" ", 1) for d in csp.group(1).split(";"))
    assert directives["default-src"] == "'none'" and directives["img-src"] == "data:"
    assert directives["style-src"] == "'unsafe-inline'"
    assert head.index("Content-Security-Policy") < head.index("<style>")  # before anything it governs
    srcs = re.findall(r"<img\b[^>]*>", html)
    assert len(srcs) == 2 and all("src=" not in tag for tag in srcs)  # alt text only
    assert 'alt="tracking pixel"' in html
    assert "&lt;img" in html  # raw HTML in the lessons stays text
    assert '<a href="http://evil.test/incident"' in html  # a link is not a fetch


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def counter():
    srv = HTTPServer(("127.0.0.1", free_port()), _Counter)
    _Counter.hits = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv, _Counter.hits
    srv.shutdown()
    srv.server_close()


def test_chromium_opening_the_export_from_disk_fetches_nothing(db, now, tmp_path, browser, counter):
    srv, hits = counter
    host = f"127.0.0.1:{srv.server_address[1]}"
    html = render.to_html(_report(db, now, host))
    # A remote image that got past the cleaning would still meet the CSP.
    smuggled = html.replace("</main>", f'<img src="http://{host}/smuggled.png"></main>')
    without_csp = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", smuggled)
    page = browser.new_page()
    for name, text in (("export", html), ("smuggled", smuggled), ("control", without_csp)):
        path = tmp_path / f"{name}.html"
        path.write_text(text, encoding="utf-8")
        page.goto(path.as_uri(), wait_until="load")  # "load" waits for every image
        if name != "control":
            assert hits == [], name
    # the control proves the server would have seen a fetch
    assert hits == ["/smuggled.png"]
    page.close()
