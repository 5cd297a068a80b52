"""What every sub-command module shares: the usage error, the settings of a
run (``--config`` or ./config.toml, then WARROOM_* variables) and opening its
database. Sub-command modules import this and never each other, so the CLI
has no import cycle.
"""

from __future__ import annotations

from pathlib import Path

from .. import db as dbmod
from ..config import load as load_settings


class UsageError(Exception):
    """Printed as-is to stderr; exit 2."""


def settings_for(args):
    path = args.config
    if path is None and Path("config.toml").exists():
        path = "config.toml"
    return load_settings(path)


def open_database(settings):
    db = dbmod.connect(settings.db_url, settings.db.busy_timeout_ms)
    dbmod.migrate(db)
    return db
