"""Property-based tests (hypothesis) on the two parsers that take untrusted
input: the ingestion payload and the playbook file. Whatever arrives, the
answer is either a clean result or the module's own error naming where the
problem is; never another exception (which would be a 500)."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom import playbooks
from warroom.listening import mentions
from warroom.web.ingest import BadBody, parse_body

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.text(max_size=10), kids, max_size=4), max_leaves=12)
FIELDS = ["external_id", "source", "author", "text", "url", "created_at", "lang", "followers"]
records = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=9)
good_record = st.fixed_dictionaries({
    "external_id": st.text(min_size=1, max_size=30).filter(str.strip),
    "text": st.text(min_size=1, max_size=200).filter(str.strip),
    "author": st.text(min_size=1, max_size=30).filter(str.strip),
    "url": st.sampled_from(["https://example.org/p/1", ""]),
    "created_at": st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 3, 29)).map(
        lambda d: d.isoformat() + "Z"),
})


@FAST
@given(st.lists(records | json_values, max_size=6))
def test_any_payload_is_accepted_or_refused_with_row_and_field(payload):
    try:
        batch = mentions.validate(payload, NOW, default_source="prop", rows=list(range(1, len(payload) + 1)))
    except mentions.MentionInvalid as exc:
        assert exc.status in (400, 413, 422)
        assert exc.row is None or 1 <= exc.row <= len(payload)
        assert isinstance(exc.field, str) and exc.field
        return
    assert len(batch) == len(payload)


@FAST
@given(st.lists(good_record, min_size=1, max_size=5))
def test_well_formed_records_are_accepted(payload):
    batch = mentions.validate(payload, NOW, default_source="prop", rows=list(range(1, len(payload) + 1)))
    assert len(batch) == len(payload)


@FAST
@given(st.text(max_size=300), st.sampled_from(["application/json", "application/x-ndjson"]))
def test_any_body_text_parses_or_says_why(text, mimetype):
    try:
        got, rows = parse_body(text, mimetype)
    except BadBody as exc:
        assert exc.status in (400, 422) and str(exc)
        return
    assert len(got) == len(rows)


@FAST
@given(st.lists(good_record, min_size=1, max_size=4))
def test_ndjson_and_array_bodies_agree(payload):
    as_array, _ = parse_body(json.dumps(payload), "application/json")
    as_ndjson, _ = parse_body("\n".join(json.dumps(p) for p in payload), "application/x-ndjson")
    assert as_array == as_ndjson == payload


VALID = (ROOT / "playbooks" / "service-complaint.md").read_text(encoding="utf-8")
LOCATED = re.compile(r"^<prop>:\d+: \S")


@FAST
@given(st.text(max_size=400))
def test_any_text_is_a_playbook_or_located_errors(text):
    try:
        playbooks.parse(text, "<prop>")
    except playbooks.PlaybookInvalid as exc:
        assert exc.errors and all(LOCATED.match(e) for e in exc.errors), exc.errors


@FAST
@given(st.integers(0, len(VALID) - 1), st.integers(0, 40), st.text(max_size=20))
def test_a_mangled_shipped_playbook_fails_cleanly(at, cut, insert):
    text = VALID[:at] + insert + VALID[at + cut:]
    try:
        parsed = playbooks.parse(text, "<prop>")
    except playbooks.PlaybookInvalid as exc:
        assert exc.errors and all(LOCATED.match(e) for e in exc.errors), exc.errors
        line_count = text.count("\n") + 1
        assert all(int(e.split(":")[1]) <= line_count for e in exc.errors)
    else:
        assert parsed.id and parsed.version >= 1


def test_the_shipped_playbook_itself_parses():
    assert playbooks.parse(VALID, "<prop>").id == "service-complaint"
