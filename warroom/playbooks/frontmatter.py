"""Playbook front matter: splitting a file at its ``+++`` lines and finding
the line of every TOML key (tomllib reports values, not where their keys are).

A small line scanner, not a TOML parser: it only needs to know table
headers, ``key =`` lines, and when a value spans several lines (arrays,
inline tables, multi-line strings) so that their contents are not taken for
keys. tomllib remains the judge of whether the TOML is valid.
"""

from __future__ import annotations

import hashlib


def normalise(text: str) -> str:
    """One form of a text for hashing: LF line ends (a Windows checkout is not a new version)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sha256_of(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def split(text: str) -> tuple[str, str, int, int]:
    """(front matter, body, line of the opening +++, line of the closing +++).

    Raises ``SplitError`` (with the line) when the +++ lines are missing.
    """
    lines = normalise(text).split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start >= len(lines) or lines[start].strip() != "+++":
        raise SplitError(start + 1 if start < len(lines) else 1,
                          "a playbook starts with a '+++' line opening its TOML front matter")
    for end in range(start + 1, len(lines)):
        if lines[end].strip() == "+++":
            front = "\n".join(lines[start + 1:end])
            body = "\n".join(lines[end + 1:])
            return front, body, start + 1, end + 1
    raise SplitError(start + 1, "the front matter is not closed: add a '+++' line after it")


class SplitError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _split_key(raw: str) -> list[str]:
    """'a."b.c".d' -> ['a', 'b.c', 'd'] (TOML dotted keys, quoted parts kept whole)."""
    parts, buf, quote = [], "", None
    for ch in raw.strip():
        if quote:
            if ch == quote:
                quote = None
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
    parts.append(buf.strip())
    return parts


class _Scan:
    """Tracks strings, brackets and multi-line strings across lines."""

    def __init__(self):
        self.depth = 0
        self.ml: str | None = None

    @property
    def inside(self) -> bool:
        return self.depth > 0 or self.ml is not None

    def feed(self, s: str) -> None:
        i = 0
        while i < len(s):
            if self.ml:
                end = s.find(self.ml, i)
                while end > 0 and self.ml == '"""' and _escaped(s, end):
                    end = s.find(self.ml, end + 1)
                if end < 0:
                    return
                self.ml, i = None, end + 3
                continue
            ch = s[i]
            if ch == "#":
                return
            if s.startswith('"""', i) or s.startswith("'''", i):
                self.ml, i = s[i:i + 3], i + 3
                continue
            if ch in "\"'":
                j = i + 1
                while j < len(s) and not (s[j] == ch and not (ch == '"' and _escaped(s, j))):
                    j += 1
                i = j + 1
                continue
            if ch in "[{":
                self.depth += 1
            elif ch in "]}":
                self.depth = max(0, self.depth - 1)
            i += 1


def _escaped(s: str, pos: int) -> bool:
    n = 0
    while pos - 1 - n >= 0 and s[pos - 1 - n] == "\\":
        n += 1
    return n % 2 == 1


def _key_end(line: str) -> int:
    """Index of the '=' that ends the key on a key/value line, or -1."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return i
        elif ch == "#":
            return -1
    return -1


def key_lines(front: str) -> dict[tuple, int]:
    """Line (1-based, within the front matter) of every table header and key.

    Paths are tuples: ``("rules", "approval")``, ``("roles", 1, "count")`` for
    the second ``[[roles]]`` entry.
    """
    found: dict[tuple, int] = {}
    aot: dict[tuple, int] = {}  # array-of-tables path -> entries seen
    table: tuple = ()
    scan = _Scan()
    for no, raw in enumerate(front.split("\n"), 1):
        if scan.inside:
            scan.feed(raw)
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            is_aot = line.startswith("[[")
            inner = line[2:line.find("]]")] if is_aot else line[1:line.find("]")]
            path: tuple = ()
            parts = _split_key(inner)
            for k, part in enumerate(parts):
                path = path + (part,)
                bare = tuple(p for p in path if not isinstance(p, int))
                if is_aot and k == len(parts) - 1:
                    index = aot.get(bare, 0)
                    aot[bare] = index + 1
                    found.setdefault(path, no)
                    path = path + (index,)
                elif bare in aot:
                    path = path + (aot[bare] - 1,)
            table = path
            found.setdefault(table, no)
            continue
        eq = _key_end(line)
        if eq < 0:
            continue
        path = table
        for part in _split_key(line[:eq]):
            path = path + (part,)
            found.setdefault(path, no)
        scan.feed(line[eq + 1:])
    return found


def line_of(lines: dict[tuple, int], path: tuple) -> int:
    """The line of ``path`` or of its nearest recorded parent (0 if none)."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return 0


def version_line(text: str) -> int:
    """File line of the ``version`` key (for store errors about versions)."""
    try:
        front, _body, start, _end = split(text)
    except SplitError as exc:
        return exc.line
    return start + (line_of(key_lines(front), ("version",)) or 0)
