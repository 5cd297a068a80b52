"""`run.py lint [--playbook ID] [--negative] [--lang CODE] TEXT`: the honesty lint as a filter.

One JSON object per finding on stdout (rule, start, end, reason, blocking);
exit 1 when any finding blocks, 0 otherwise, 2 on a usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..responses import lint as lintmod

ROOT = Path(__file__).resolve().parent.parent.parent


def register(sub, common) -> None:
    p = sub.add_parser(
        "lint", parents=[common], help="check a reply with the honesty lint (JSON findings)",
        description="Check a reply with the honesty lint. Prints one JSON object per finding; "
                    "exits 1 when any finding blocks publication, 0 otherwise.",
    )
    p.add_argument("--playbook", metavar="ID", help="use this playbook's rules (default rules otherwise)")
    p.add_argument("--negative", action="store_true", help="the customer is angry")
    p.add_argument("--lang", metavar="CODE",
                   help="the mention's language (en, nl, fr, de, es): its phrase tables plus English; "
                        "default: picked from the reply's words")
    p.add_argument("text", metavar="TEXT", help="the reply; - reads standard input")
    p.set_defaults(func=cmd_lint)


def playbook_dirs(settings) -> list[Path]:
    configured = getattr(getattr(settings, "playbooks", None), "path", None)
    dirs = []
    if configured:
        p = Path(configured)
        dirs.append(p if p.is_absolute() else Path(settings.base_dir) / p)
    dirs += [Path(settings.base_dir) / "playbooks", ROOT / "playbooks"]
    return list(dict.fromkeys(d.resolve() for d in dirs))


def find_playbook(settings, playbook_id: str):
    from .. import playbooks
    from .common import UsageError

    for folder in playbook_dirs(settings):
        for path in sorted(folder.glob("*.md")):
            text = path.read_text(encoding="utf-8")
            try:
                book = playbooks.parse(text, str(path))
            except playbooks.PlaybookInvalid:
                continue
            if book.id == playbook_id:
                return book
    raise UsageError(f"lint: no playbook with id {playbook_id!r} in "
                     + ", ".join(str(d) for d in playbook_dirs(settings)))


def cmd_lint(args) -> int:
    from .common import settings_for

    rules = lintmod.DEFAULT_RULES
    if args.playbook:
        rules = find_playbook(settings_for(args), args.playbook).rules
    text = sys.stdin.read() if args.text == "-" else args.text
    findings = lintmod.lint(text, rules, negative=args.negative, lang=args.lang)
    for f in findings:
        print(json.dumps(f.to_dict(), ensure_ascii=False))
    return 1 if any(f.blocking for f in findings) else 0
