"""Small SVG charts for the post-mortem: pure functions, data in, SVG text out.

No styles or scripts (the export is shown under a strict CSP and printed),
only presentation attributes; every piece of text is XML-escaped. Long series
are drawn as one polyline, so a week of minutes stays a few hundred KB.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 30, 40
INK, MUTED, GRID = "#1d2330", "#667085", "#e2e5ea"
BLUE, RED, ORANGE = "#2563eb", "#b91c1c", "#c2410c"


def _esc(text) -> str:
    return escape(str(text), quote=True)


def _open(kind: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{_esc(kind)}"'
        f' width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{_esc(title)}</title><desc>{_esc(desc)}</desc>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="18" font-size="13" font-weight="600" fill="{INK}">{_esc(title)}</text>',
    ]


_COUNT_STEPS = sorted({m * 10**k for k in range(10) for m in (1, 2, 4, 8)} - {1, 2, 10})


def _nice_max(value: float) -> float:
    """A round count-axis maximum at or above value whose quarters are whole numbers."""
    return float(next((c for c in _COUNT_STEPS if c % 4 == 0 and c >= value), value))


def _y_axis(out: list[str], ymax: float, fmt) -> None:
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = ymax * i / 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
                   f"{_esc(fmt(value))}</text>")


def _x_labels(out: list[str], labels: list[str], xs: list[float]) -> None:
    if not labels:
        return
    picks = sorted({0, len(labels) // 2, len(labels) - 1})
    for i in picks:
        anchor = "start" if i == 0 else ("end" if i == len(labels) - 1 else "middle")
        out.append(f'<text x="{xs[i]:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{anchor}"'
                   f' fill="{MUTED}">{_esc(labels[i])}</text>')


def _empty(out: list[str], message: str) -> str:
    out.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{MUTED}">'
               f"{_esc(message)}</text></svg>")
    return "\n".join(out)


def _xs(minutes: list[str]) -> list[float]:
    """x positions by time (a gap in the series stays a gap on the axis)."""
    plot_w = WIDTH - LEFT - RIGHT
    try:
        ts = [datetime.fromisoformat(m.replace("Z", "+00:00")).timestamp() for m in minutes]
    except ValueError:  # not timestamps: evenly spaced
        ts = list(range(len(minutes)))
    span = ts[-1] - ts[0]
    if span <= 0:
        return [LEFT + plot_w / 2] * len(ts)
    return [LEFT + plot_w * (t - ts[0]) / span for t in ts]


def _short(minute: str) -> str:
    """'2026-03-29T09:05:00.000Z' -> '03-29 09:05' (UTC)."""
    return f"{minute[5:10]} {minute[11:16]}" if len(minute) >= 16 else minute


def volume(minutes: list[dict], spike_minutes: list[str]) -> str:
    """Mentions per minute (area + line) with a red marker at every spike minute."""
    out = _open("volume", "Mentions per minute", "Mentions per minute (UTC); red marks are spikes")
    if not minutes:
        return _empty(out, "no mentions")
    counts = [m["count"] for m in minutes]
    ymax = _nice_max(max(counts))
    plot_h = HEIGHT - TOP - BOTTOM
    xs = _xs([m["minute"] for m in minutes])
    ys = [TOP + plot_h - plot_h * c / ymax for c in counts]
    _y_axis(out, ymax, lambda v: f"{v:g}")
    base = TOP + plot_h
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    out.append(f'<polygon points="{xs[0]:.1f},{base:.1f} {points} {xs[-1]:.1f},{base:.1f}"'
               f' fill="{BLUE}" fill-opacity="0.15" stroke="none"/>')
    out.append(f'<polyline class="series" points="{points}" fill="none" stroke="{BLUE}"'
               f' stroke-width="1.5"/>')
    index = {m["minute"]: i for i, m in enumerate(minutes)}
    for spike in sorted(set(spike_minutes)):
        i = index.get(spike)
        if i is None:  # a spike minute outside the series: nearest earlier minute
            i = max((j for j, m in enumerate(minutes) if m["minute"] <= spike), default=0)
        out.append(f'<line class="spike" x1="{xs[i]:.1f}" y1="{TOP}" x2="{xs[i]:.1f}" y2="{base:.1f}"'
                   f' stroke="{RED}" stroke-dasharray="4 3"/>')
        out.append(f'<circle class="spike" cx="{xs[i]:.1f}" cy="{ys[i]:.1f}" r="4" fill="{RED}">'
                   f"<title>spike at {_esc(spike)}</title></circle>")
    _x_labels(out, [_short(m["minute"]) for m in minutes], xs)
    out.append("</svg>")
    return "\n".join(out)


def negative_share(minutes: list[dict]) -> str:
    """Share of mentions labelled negative among those whose sentiment could
    be read (not ``unknown``), per minute (0-100 %)."""
    out = _open("negative", "Negative share per minute",
                "Share of each minute's readable mentions labelled negative")
    rows = [m for m in minutes if m["count"] - m.get("unknown", 0) > 0]
    if not rows:
        return _empty(out, "no mentions")
    plot_h = HEIGHT - TOP - BOTTOM
    xs = _xs([m["minute"] for m in rows])
    ys = [TOP + plot_h - plot_h * (m["negative"] / (m["count"] - m.get("unknown", 0))) for m in rows]
    _y_axis(out, 1.0, lambda v: f"{v * 100:.0f}%")
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    out.append(f'<polyline class="series" points="{points}" fill="none" stroke="{RED}"'
               f' stroke-width="1.5"/>')
    _x_labels(out, [_short(m["minute"]) for m in rows], xs)
    out.append("</svg>")
    return "\n".join(out)


def reply_times(histogram: list[dict], target_minutes: int | None) -> str:
    """Bars: replies per time-to-first-reply bin; bins within the target are green."""
    out = _open("replies", "Time to first reply",
                "Mentions replied, by minutes from receipt to first published reply")
    total = sum(b["count"] for b in histogram)
    if not total:
        return _empty(out, "no published replies")
    ymax = _nice_max(max(b["count"] for b in histogram))
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / len(histogram)
    _y_axis(out, ymax, lambda v: f"{v:g}")
    for i, b in enumerate(histogram):
        h = plot_h * b["count"] / ymax
        x = LEFT + slot * i + slot * 0.15
        hi = b["to_minutes"]
        ok = target_minutes is not None and hi is not None and hi <= target_minutes
        label = f"{b['from_minutes']}-{hi} min" if hi is not None else f"{b['from_minutes']}+ min"
        out.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.7:.1f}"'
                   f' height="{max(h, 0.5):.1f}" fill="{"#15803d" if ok else ORANGE}">'
                   f"<title>{_esc(label)}: {b['count']}</title></rect>")
        out.append(f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle"'
                   f' fill="{MUTED}">{_esc(label)}</text>')
        if b["count"]:
            out.append(f'<text x="{x + slot * 0.35:.1f}" y="{TOP + plot_h - h - 4:.1f}"'
                       f' text-anchor="middle" fill="{INK}">{b["count"]}</text>')
    if target_minutes is not None:
        out.append(f'<text x="{WIDTH - RIGHT}" y="18" text-anchor="end" fill="{MUTED}">'
                   f"target: {_esc(target_minutes)} min (green = within)</text>")
    out.append("</svg>")
    return "\n".join(out)
