"""`python run.py ...`: argparse sub-commands, `serve` by default.

Each group of sub-commands lives in its own module with a
``register(subparsers, common)`` function; ``common`` is the parent parser
that gives every sub-command ``--config FILE``. Usage errors exit 2; errors
in a file the user gave are printed as ``file:line: message``, also exit 2.
"""

from __future__ import annotations

import argparse
import sys

from ..config import ConfigError
from . import core, listening, spikes
from . import export as export_cli
from . import lint as lint_cli
from . import oncall as oncall_cli
from . import playbooks as playbooks_cli
from . import privacy as privacy_cli
from . import store as store_cli
from .common import UsageError

GROUPS = [core, spikes, lint_cli, export_cli, playbooks_cli, listening, oncall_cli, privacy_cli, store_cli]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="FILE", default=None,
        help="config file (default: config.toml if present; WARROOM_* variables override it)",
    )
    parser = argparse.ArgumentParser(
        prog="run.py", parents=[common],
        description="Warroom: crisis-response playbooks and a live war room.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not any(a in parser._subparsers._group_actions[0].choices for a in argv) and not (
        {"-h", "--help"} & set(argv)
    ):
        argv = ["serve", *argv]
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
