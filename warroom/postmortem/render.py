"""Render a post-mortem report (``postmortem.build_report``) as Markdown, HTML or JSON.

The Markdown is the master text: GitHub-flavoured tables, charts as data URIs
or as SVG files next to it. The HTML page is that same Markdown rendered with
``markdown`` (tables extension), cleaned with nh3, with the charts inlined as
SVG and a print stylesheet: one self-contained file, no scripts, no fetches.
It is opened from disk, where no server's header protects it, so it carries
its own Content-Security-Policy (``EXPORT_CSP``: nothing remote, images only
``data:``, inline styles) and images in the lessons' Markdown that point
anywhere but ``data:`` lose their ``src`` (the alt text stays).
User text (titles, reasons, notes, lessons) is HTML-escaped before it enters
the Markdown, so nothing a user typed becomes markup.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from html import escape

import markdown as markdown_lib
import nh3

from . import charts

CHARTS = ("volume", "negative", "replies")
CHART_TITLES = {"volume": "Mentions per minute", "negative": "Negative share per minute",
                "replies": "Time to first reply"}


# -- number and text formatting (shared by every format) ------------------------------


def minutes(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds / 60:.1f} min"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    return f"{h} h {rest // 60:02d} min"


def share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def compound(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def count(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def ts(value: str | None) -> str:
    """'2026-03-29T09:05:00.000Z' -> '2026-03-29 09:05:00' (UTC)."""
    return "—" if not value else value[:19].replace("T", " ")


def cell(text) -> str:
    """User text made safe for one Markdown table cell (no markup, no line breaks)."""
    if text is None:
        return "—"
    out = escape(str(text), quote=False)
    for ch in "\\`*_[]|#":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split()) or "—"


def _detail(data: dict, limit: int = 100) -> str:
    parts = []
    for key, value in data.items():
        if isinstance(value, (list, dict)):
            value = f"[{len(value)}]"
        parts.append(f"{key}={value}")
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(head: list[str], rows: list[list]) -> list[str]:
    """A GitHub-flavoured Markdown table; every cell goes through ``cell``."""
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return out + [""]


def _html_table(head: list[str], rows: list[list]) -> str:
    """The HTML the tables extension makes of ``_table(head, rows)``, built directly."""
    def td(text) -> str:
        return f"<td>{escape(' '.join(str(text).split()) if text is not None else '—', quote=False) or '—'}</td>"

    body = "\n".join("<tr>" + "".join(td(c) for c in r) + "</tr>" for r in rows)
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table>\n<thead>\n<tr>{th}</tr>\n</thead>\n<tbody>\n{body}\n</tbody>\n</table>"


# -- charts -----------------------------------------------------------------------


def chart_svgs(report: dict) -> dict[str, str]:
    vol = report["volume"]
    resp = report["responses"]
    return {
        "volume": charts.volume(vol["minutes"], vol["spike_minutes"]),
        "negative": charts.negative_share(vol["minutes"]),
        "replies": charts.reply_times(resp["histogram"], resp["first_response_minutes"]),
    }


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


# -- Markdown ------------------------------------------------------------------------


def to_markdown(report: dict, chart_ref: Callable[[str, str], str] | None = None,
                direct: list | None = None, direct_rows: int = 100) -> str:
    """The report as Markdown. ``chart_ref(name, svg)`` gives each chart's image
    target (default: a data URI); it may also return a whole line to use as is.
    With a ``direct`` list, tables longer than ``direct_rows`` are left as
    placeholder lines ``@@table-N@@`` and their (head, rows) appended to it."""
    ref = chart_ref or (lambda _name, svg: data_uri(svg))
    svgs = chart_svgs(report)

    def chart(name: str) -> str:
        target = ref(name, svgs[name])
        return target if target.startswith("@@") else f"![{CHART_TITLES[name]}]({target})"

    def table(head: list[str], rows: list[list], empty: str = "None.") -> list[str]:
        if not rows:
            return [empty, ""]
        if direct is not None and len(rows) > direct_rows:
            direct.append((head, rows))
            return [f"@@table-{len(direct) - 1}@@", ""]
        return _table(head, rows)

    room, s, r = report["room"], report["summary"], report["responses"]
    esc, rost = report["escalation"], report["roster"]
    pb = s["playbook"]
    lines = [f"# Post-mortem: {cell(room['title'])}", ""]
    lines += [f"Room {room['id']}{' (drill)' if room['is_drill'] else ''} · status {room['status']}"
              f" · generated {ts(report['generated_at'])} UTC · `{report['schema']}`", ""]
    if room["description"]:
        lines += [cell(room["description"]), ""]

    lines += ["## Summary", ""]
    peak = s["peak"]
    lines += table(["Item", "Value"], [
        ["Playbook", f"{pb['id']} v{pb['version']}" + (f" — {pb['title']}" if pb["title"] else "")
         if pb else "none"],
        ["Owner", room["owner"]],
        ["Opened", ts(s["opened_at"])],
        ["Closed", ts(s["closed_at"]) if s["closed_at"] else "still open"],
        ["Duration", duration(s["duration_seconds"])],
        ["Total mentions", count(s["total_mentions"])],
        ["Peak mention rate", f"{count(peak['mentions_per_minute'])} per minute at {ts(peak['minute'])}"],
        ["Spikes detected", count(s["spikes"])],
        ["Storm window", f"{ts(s['storm_start'])} to {ts(s['storm_end'])}"],
    ])
    lines += ["### Sentiment", "",
              "Before the storm window, during it and after it (by the mentions' own time).", ""]
    lines += table(["Period", "Mentions", "Mean compound", "Negative", "Unknown language", "Negative share"], [
        [p, count(v["mentions"]), compound(v["mean_compound"]), count(v["negative"]), count(v.get("unknown", 0)),
         share(v["negative_share"])] for p, v in s["sentiment"].items()
    ])
    lines += [chart("volume"), "", chart("negative"), ""]
    if report.get("campaigns"):  # only rooms where some text was posted more than once
        lines += ["### Campaigns", "",
                  "The largest clusters of near-identical posts (retweets, pasted texts); each language is its own.",
                  ""]
        lines += table(["Size", "Reach", "Languages", "First post", "By", "Text", "Size over time (hourly)"], [
            [count(c["size"]), count(c["reach"]), ", ".join(c["languages"]) or "-", ts(c["first_at"]),
             (c["first_post"] or {}).get("author", ""), ((c["first_post"] or {}).get("text") or "")[:120],
             " ".join(f"{g['hour'][11:16]}: {g['size']}" for g in c["growth"][-8:])]
            for c in report["campaigns"]])

    lines += ["## Responses", ""]
    target = r["first_response_minutes"]
    lines += table(["Metric", "Value"], [
        ["First-response target", f"{target} min" if target is not None else "none"],
        ["Mentions replied", count(r["replied_mentions"])],
        ["Median time to first reply", minutes(r["median_seconds"])],
        ["p90 time to first reply", minutes(r["p90_seconds"])],
        ["Replied within target", f"{count(r['within_target'])} ({share(r['share_within_target'])})"],
        ["Drafts", count(r["drafts"])],
        ["Submitted for approval", count(r["submitted"])],
        ["Approvals", count(r["approvals"])],
        ["Rejections", count(len(r["rejections"]))],
        ["Lint overrides", count(len(r["lint_overrides"]))],
        ["Published replies", count(r["published"])],
        ["Mentions unanswered past the target", count(r["clock_breaches"])],
    ])
    lines += [chart("replies"), ""]
    if r.get("deliveries"):  # only rooms whose replies went out through a platform connector
        lines += ["### On the platforms", ""]
        lines += table(["When", "Reply", "Platform", "Outcome", "URL"], [
            [ts(x["at"]), x["response_id"], x["platform"], x["state"].replace("_", " ") +
             (f" by {x['by']}" if x["state"] == "posted_by_hand" else ""), x["url"] or ""]
            for x in r["deliveries"]])
    lines += ["### Rejections", ""]
    lines += table(["When", "By", "Draft", "Reason"], [
        [ts(x["at"]), x["by"], x["draft_id"], x["reason"]] for x in r["rejections"]])
    lines += ["### Lint overrides", ""]
    lines += table(["When", "By", "Draft", "Rules", "Reason"], [
        [ts(x["at"]), x["by"], x["draft_id"], ", ".join(x["rules"]), x["reason"]]
        for x in r["lint_overrides"]])

    lines += ["## Escalation", "",
              f"Pages sent: {count(esc['pages_sent'])} · failed: {count(esc['pages_failed'])}"
              f" · not delivered: {count(esc.get('pages_undelivered', 0))}"
              f" · retried sends: {count(esc['retries'])}", ""]
    lines += ["### Escalations", ""]
    lines += table(["Escalation", "Reason", "State", "Opened", "Acknowledged", "By",
                    "Time to acknowledge"], [
        [x["id"], x["reason"], x["state"], ts(x["opened_at"]), ts(x["acknowledged_at"]),
         x["acknowledged_by"], minutes(x["seconds_to_ack"])] for x in esc["escalations"]])
    lines += ["### Pages", ""]
    lines += table(["Page", "Target", "Recipient", "Status", "Sent", "Attempts", "Acknowledged",
                    "Time to acknowledge", "Error"], [
        [p["id"], p["target"], p["recipient"], p["status"], ts(p["sent_at"]), count(p["attempts"]),
         ts(p["acknowledged_at"]), minutes(p["seconds_to_ack"]), p["error"]] for p in esc["pages"]])

    lines += ["## Roster", ""]
    lines += table(["Role", "Filled slots", "Slots", "Coverage", "Signed up", "Seats"], [
        [x["role"], count(x["filled"]), count(x["slots"]), share(x["coverage"]),
         count(x["signed_up"]), count(x["seats"])] for x in rost["roles"]], empty="No shifts.")
    lines += ["### Hand-over notes", ""]
    lines += table(["When", "By", "Role", "Note", "Open items", "Promises"], [
        [ts(n["at"]), n["by"], n["role"], n["note"], "; ".join(n["open_items"]),
         "; ".join(n["promises"])] for n in rost["handover_notes"]])

    rb = report.get("runbook")
    if rb and (rb["items"] or rb["rhythm"]):  # a playbook without them keeps the report as it was
        lines += ["## Checklist and rhythm", ""]
        lines += [f"Checklist: {count(rb['done'])} done ({count(rb['late'])} late), {count(rb['skipped'])} skipped "
                  f"({count(rb['skipped_on_purpose'])} on purpose) · updates: {count(rb['updates_posted'])} posted, "
                  f"{count(rb['missed_updates'])} missed", ""]
        state = {"done": "done", "skipped": "skipped", "open": "not done"}
        lines += table(["#", "Stage", "Item", "Owner", "Due", "State", "By", "At", "Late", "Reason"], [
            [str(i["number"]), i["stage"], i["text"], i["owner"], ts(i["due_at"]), state[i["state"]], i["by"],
             ts(i["at"]), "late" if i["late"] else "", i["reason"]] for i in rb["items"]], empty="No checklist.")
        lines += ["### Update rhythm", ""]
        lines += table(["Rhythm", "Owner", "Posted", "Missed", "Missed at", "Quiet"], [
            [x["describe"], x["owner"], count(x["updates"]), count(len(x["missed"])),
             ", ".join(ts(t) for t in x["missed"]), count(len(x["quiet"]))] for x in rb["rhythm"]],
            empty="No rhythm.")

    lines += ["## Lessons", ""]
    les = report["lessons"]
    if les:
        lines += [f"Version {les['version']} of {les['versions']}, by {cell(les['author'])},"
                  f" {ts(les['saved_at'])} UTC.", "",
                  # the lead's own Markdown, with any raw HTML shown as text, its
                  # headings under this report's "## Lessons"
                  _demote_headings(escape(les["text"], quote=False)), ""]
    else:
        lines += ["No lessons written yet.", ""]

    lines += ["## Timeline", ""]
    lines += table(["#", "Time (UTC)", "Event", "Actor", "Details"], [
        [e["id"], ts(e["ts"]), e["kind"], e["actor"], _detail(e["data"])]
        for e in fold_batches(report["timeline"])
    ], empty="No events.")
    return "\n".join(lines)


_HEADING = re.compile(r"^(#{1,6})(?=\s)", re.M)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def _demote_headings(text: str) -> str:
    """Lesson headings two levels down (# -> ###), code blocks untouched."""
    out, at = [], 0
    for fence in _FENCE.finditer(text):
        out.append(_HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + 2), text[at:fence.start()]))
        out.append(fence.group(0))
        at = fence.end()
    out.append(_HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + 2), text[at:]))
    return "".join(out)


def fold_batches(timeline: list[dict]) -> list[dict]:
    """Consecutive ``mentions.received`` events as one row: a storm's ingest
    batches are thousands of events that say one thing (the JSON keeps them all)."""
    out: list[dict] = []
    run: list[dict] = []

    def flush():
        if len(run) == 1:
            out.append(run[0])
        elif run:
            total = sum(int((e["data"] or {}).get("count") or 0) for e in run)
            out.append({"id": f"{run[0]['id']}–{run[-1]['id']}", "ts": run[0]["ts"], "kind": "mentions.received",
                        "actor": run[0]["actor"],
                        "data": {"batches": len(run), "mentions": total, "last_at": run[-1]["ts"]}})
        run.clear()

    for e in timeline:
        if e["kind"] == "mentions.received":
            run.append(e)
            continue
        flush()
        out.append(e)
    flush()
    return out


def markdown_with_files(report: dict, stem: str) -> tuple[str, dict[str, str]]:
    """Markdown whose charts are SVG files next to it: (text, {file name: svg})."""
    files: dict[str, str] = {}

    def ref(name: str, svg: str) -> str:
        files[f"{stem}-{name}.svg"] = svg
        return f"{stem}-{name}.svg"

    return to_markdown(report, ref), files


# -- HTML ----------------------------------------------------------------------------

CSS = """
:root { color: #1d2330; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; background: #f4f5f7; }
main { max-width: 960px; margin: 1.5rem auto; padding: 1.5rem 2rem; background: #fff;
  border: 1px solid #e2e5ea; border-radius: 8px; }
h1 { font-size: 1.6rem; margin-top: 0; } h2 { border-bottom: 2px solid #c2410c; padding-bottom: .2rem;
  margin-top: 2rem; } h3 { margin-top: 1.4rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .9rem; }
th, td { text-align: left; padding: .3rem .45rem; border-bottom: 1px solid #e2e5ea; vertical-align: top; }
th { background: #f1f5f9; }
td:first-child { white-space: nowrap; }
code { background: #f1f5f9; padding: 0 .25rem; border-radius: 3px; }
figure.chart { margin: 1rem 0; } figure.chart svg { max-width: 100%; height: auto; display: block; }
@media (max-width: 600px) {
  /* a phone: every column kept, cells wrap rather than the page scrolling sideways */
  main { margin: 0; padding: 1rem .75rem; border: 0; border-radius: 0; }
  table { table-layout: fixed; font-size: .8rem; }
  th, td { padding: .25rem; overflow-wrap: anywhere; } td:first-child { white-space: normal; }
}
@page { size: A4; margin: 14mm; }
@media print {
  body { background: #fff; } main { border: 0; margin: 0; padding: 0; max-width: none; }
  thead { display: table-header-group; } tr, figure.chart { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


# The exported page's own policy: opened from disk it has no server header.
EXPORT_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
              "base-uri 'none'; form-action 'none'")


def _no_remote_images(element: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: an image may only be a data: URI (a remote one
    would be fetched, and seen by its host, whenever the file is opened)."""
    if element == "img" and attribute in ("src", "srcset"):
        return value if value.strip().lower().startswith("data:image/") else None
    return value


def to_html(report: dict, direct_rows: int = 100) -> str:
    """The page. Tables longer than ``direct_rows`` are built directly as the same
    HTML the tables extension would make: python-markdown needs ~0.7 ms per
    table row here (14 s for a 20,000-event timeline)."""
    svgs: dict[str, str] = {}
    direct: list = []

    def ref(name: str, svg: str) -> str:
        svgs[name] = svg
        return f"@@chart-{name}@@"

    text = to_markdown(report, ref, direct=direct, direct_rows=direct_rows)
    body = markdown_lib.markdown(text, extensions=["tables"], output_format="html")
    # belt and braces: the Markdown already escaped user text; Markdown's own
    # image syntax in the lessons is still markup, so remote images go here.
    body = nh3.clean(body, attribute_filter=_no_remote_images)
    for name, svg in svgs.items():
        figure = f'<figure class="chart" id="chart-{name}">{svg}</figure>'
        body = body.replace(f"<p>@@chart-{name}@@</p>", figure)
    for i, (head, rows) in enumerate(direct):
        body = body.replace(f"<p>@@table-{i}@@</p>", _html_table(head, rows))
    title = escape(f"Post-mortem: {report['room']['title']}")
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{EXPORT_CSP}\">\n"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n<main class=\"report\">\n{body}\n</main>\n</body>\n</html>\n"
    )


# -- JSON ----------------------------------------------------------------------------


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def render(report: dict, fmt: str) -> str:
    if fmt == "md":
        return to_markdown(report)
    if fmt == "html":
        return to_html(report)
    if fmt == "json":
        return to_json(report)
    raise ValueError(f"unknown format {fmt!r} (md, html or json)")
