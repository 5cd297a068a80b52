"""Settings: config.toml, then WARROOM_<SECTION>_<KEY> environment overrides.

Loaded once into a frozen tree. Every bad value is reported with the key that
holds it (``server.port``) and where it came from (file line or env name).
Secrets are never read from the file: see ``secret()``.
"""

from __future__ import annotations

import difflib
import os
import secrets as _secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key."""


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 5000
    # Base URL used in links sent out (Slack buttons, printed URLs); empty
    # means http://host:port.
    public_url: str = ""
    # Werkzeug's dev server refuses to run without a TTY unless allowed; the
    # production server is gunicorn (see README), where this does not apply.
    threads: int = 100


@dataclass(frozen=True)
class DbSettings:
    # The SQLite file (also the folder of secret_key and other local files).
    path: str = "var/warroom.db"
    busy_timeout_ms: int = 5000
    # Empty: SQLite at ``path``. Or "sqlite:///file" or "postgresql://user@host/db"
    # (several app hosts on one PostgreSQL; see docs/postgresql.md).
    url: str = ""


@dataclass(frozen=True)
class LiveSettings:
    # "redis://127.0.0.1:6379/0" to share the fan-out between workers.
    message_queue: str = ""
    # How often the publisher looks for committed events it has not sent yet
    # (commits in this process wake it at once; this bounds the delay for
    # commits made by other processes such as `run.py ingest`).
    poll_ms: int = 200
    # Under load, events are sent at most this often per publisher, each
    # message carrying all that were committed meanwhile; an event after a
    # quiet spell goes at once. 0 sends every commit on its own.
    coalesce_ms: int = 50
    # Whether this process sends committed events to the boards. On SQLite
    # exactly one process per database publishes; extra web workers behind a
    # message queue set this false. On PostgreSQL true means "take part in
    # the election": every host may keep it true, and the one holding the
    # publisher lock sends (another takes over when it dies; docs/postgresql.md).
    publish: bool = True
    # Board commands per second per Socket.IO session, and the burst allowed
    # (a token bucket): generous for people, a brake on a looping script.
    commands_per_second: int = 20
    command_burst: int = 40


@dataclass(frozen=True)
class SlackSettings:
    base_url: str = "https://slack.com/api/"
    default_channel: str = ""
    # One Web API call's timeout, and how often a 429 is retried after its
    # Retry-After inside that call (slack-sdk's retry handler).
    timeout_seconds: int = 10
    rate_limit_retries: int = 2
    # Each open war room gets its own channel (wr-<id>-<title>), with the
    # people on shift invited and the key events posted (warroom/roomchat).
    room_channels: bool = True


@dataclass(frozen=True)
class EscalationSettings:
    # Tries per page before it is flagged failed and the next step goes out.
    max_tries: int = 3
    # Back-off before try n+1: backoff_seconds * 2**(n-1).
    backoff_seconds: int = 5
    # At most this many page messages per person per 15 minutes; the rest
    # are bundled into one message.
    throttle_per_15min: int = 3
    # A page left "sending" by a claimer on another host is recovered after
    # this long (same-host claimers are checked by pid at once).
    stale_seconds: int = 120


@dataclass(frozen=True)
class NotifySettings:
    # Signed ack links in pages (e-mail, SMS, push, webhooks) work this long.
    ack_link_hours: int = 24
    # SMTP for e-mail methods (sent with apprise); the password comes from
    # SMTP_PASSWORD. smtp_mode: "starttls", "ssl" or "insecure" (no TLS).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_from: str = ""
    smtp_mode: str = "starttls"
    # The ntfy server for methods that name a bare topic (a full topic URL
    # names its own server); an access token may come from NTFY_TOKEN.
    ntfy_url: str = ""
    # Twilio's REST API for SMS and voice; TWILIO_ACCOUNT_SID and
    # TWILIO_AUTH_TOKEN come from the environment. twilio_from: our number.
    twilio_base_url: str = "https://api.twilio.com"
    twilio_from: str = ""
    # One call to any of these services.
    timeout_seconds: int = 10


@dataclass(frozen=True)
class SchedulerSettings:
    enabled: bool = True
    interval_seconds: int = 5


@dataclass(frozen=True)
class AuthSettings:
    session_hours: int = 12
    # Failed logins allowed per name and per address within 15 minutes.
    login_attempts: int = 10


@dataclass(frozen=True)
class SsoSettings:
    """OpenID Connect single sign-on (authorisation code + PKCE)."""
    enabled: bool = False
    # The provider's issuer URL; its /.well-known/openid-configuration is read.
    issuer: str = ""
    client_id: str = ""
    # The environment variable holding the client secret (never the secret).
    client_secret_env: str = "WARROOM_SSO_CLIENT_SECRET"
    scopes: str = "openid profile"
    # The claim that becomes the Warroom user name.
    name_claim: str = "preferred_username"
    # Role and teams from claims: "claim value=role, ..." and "claim value=team, ...".
    role_claim: str = "groups"
    role_map: str = ""
    default_role: str = "viewer"
    team_claim: str = "groups"
    team_map: str = ""
    # false: only single sign-on logs in (the password form is refused).
    local_passwords: bool = True
    label: str = "Sign in with single sign-on"


@dataclass(frozen=True)
class IngestSettings:
    # Largest request body POST /api/v1/rooms/<id>/mentions accepts (413 above).
    max_body_bytes: int = 4 * 1024 * 1024
    # Most mentions in one request (413 above).
    max_rows: int = 5000
    # Longest mention text in characters (413 above).
    max_text_chars: int = 10000
    # Requests a minute per token unless the token has its own rate (429 above).
    requests_per_minute: int = 600
    # Ingestion requests processed at once per process; more get 503 with
    # Retry-After, so a storm queues at the sender, not in this server's memory.
    max_concurrent: int = 4
    # RSS/Atom feeds are polled this often.
    feed_interval_seconds: int = 300
    feed_timeout_seconds: int = 20
    # The scheduler closes a quiet minute of a live stream this long after it ends.
    close_lag_seconds: int = 30
    # Load the language models when a server starts (in the background), not
    # in the first storm batch after a restart.
    warm_languages: bool = True


@dataclass(frozen=True)
class PlaybooksSettings:
    # Folder of playbook files (*.md), relative to the config file. Changed
    # files are stored as new versions on start and on `playbooks import`.
    path: str = "playbooks"


@dataclass(frozen=True)
class OncallSettings:
    # A TOML file (relative to this config) with people, handoff,
    # rotation_days, timezone, start and [[overrides]]; when set, the keys
    # below are ignored.
    file: str = ""
    # Duty leads in turn, comma-separated user names; empty: no rotation.
    people: str = ""
    handoff: str = "09:00"
    rotation_days: int = 7
    timezone: str = "UTC"
    # The date the first person's turn begins.
    start: str = "2026-01-05"


@dataclass(frozen=True)
class BoardSettings:
    # POST each published reply as JSON to this URL (empty: no webhook).
    webhook_url: str = ""
    webhook_timeout_seconds: int = 5
    # A viewer drops out of "who else is viewing" this long after its last ping.
    presence_seconds: int = 45


@dataclass(frozen=True)
class PlatformsSettings:
    # Listening: a connector's first retry after an error, doubling up to the ceiling.
    listen_backoff_seconds: int = 2
    listen_max_backoff_seconds: int = 300
    # Publishing: tries of a delivery, back-off before try n+1: backoff * 2**(n-1).
    delivery_max_tries: int = 5
    delivery_backoff_seconds: int = 10
    # A "sending" delivery claimed on another host this long ago is taken over.
    delivery_stale_seconds: int = 120


@dataclass(frozen=True)
class PrivacySettings:
    # Days a mention's personal fields are kept (a team's retention_days
    # wins); 0 keeps them until erased on request.
    retention_days: int = 0
    # How often the retention job runs.
    sweep_minutes: int = 60


@dataclass(frozen=True)
class SpikesSettings:
    # Daily false-alarm budget of each stream (room or monitor), shared by the
    # detector's tests; a playbook's [listening] false_alarms_per_day wins.
    false_alarms_per_day: float = 0.2

    @property
    def detector_params(self) -> dict:
        return {"false_alarms_per_day": self.false_alarms_per_day}


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    db: DbSettings = field(default_factory=DbSettings)
    live: LiveSettings = field(default_factory=LiveSettings)
    slack: SlackSettings = field(default_factory=SlackSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    escalation: EscalationSettings = field(default_factory=EscalationSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    sso: SsoSettings = field(default_factory=SsoSettings)
    board: BoardSettings = field(default_factory=BoardSettings)
    oncall: OncallSettings = field(default_factory=OncallSettings)
    playbooks: PlaybooksSettings = field(default_factory=PlaybooksSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    platforms: PlatformsSettings = field(default_factory=PlatformsSettings)
    spikes: SpikesSettings = field(default_factory=SpikesSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    # Folder of the config file; relative paths in it are resolved from here.
    base_dir: str = "."

    @property
    def db_path(self) -> Path:
        p = Path(self.db.path)
        return p if p.is_absolute() or self.db.path == ":memory:" else Path(self.base_dir) / p

    @property
    def db_url(self) -> str:
        """What db.connect opens: the [db] url, else sqlite:/// at db_path."""
        url = self.db.url
        if url.startswith("sqlite:///"):
            p = Path(url[len("sqlite:///"):])
            return "sqlite:///" + str(p if p.is_absolute() or str(p) == ":memory:" else Path(self.base_dir) / p)
        return url or f"sqlite:///{self.db_path}"

    @property
    def data_dir(self) -> Path:
        return self.db_path.parent

    @property
    def url(self) -> str:
        if self.server.public_url:
            return self.server.public_url.rstrip("/")
        host = "127.0.0.1" if self.server.host in ("0.0.0.0", "") else self.server.host
        return f"http://{host}:{self.server.port}"


# section name -> its dataclass, in declaration order
SECTIONS = {f.name: f.default_factory for f in fields(Settings) if f.name != "base_dir"}


def _coerce(value, default, key: str, origin: str):
    """Convert ``value`` to the type of ``default``; raise naming the key."""
    kind = type(default)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{origin}: {key} must be true or false, got {value!r}")
    if kind is int:
        if isinstance(value, bool):
            raise ConfigError(f"{origin}: {key} must be an integer, got {value!r}")
        if isinstance(value, int):
            out = value
        else:
            try:
                out = int(str(value).strip())
            except ValueError:
                raise ConfigError(f"{origin}: {key} must be an integer, got {value!r}") from None
        if out < 0:
            raise ConfigError(f"{origin}: {key} must not be negative, got {out}")
        return out
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{origin}: {key} must be a string, got {value!r}")
        return value
    if kind is float:
        try:
            out = float(value if not isinstance(value, str) else value.strip())
        except (TypeError, ValueError):
            out = float("nan")
        if isinstance(value, bool) or not out > 0 or out == float("inf"):
            raise ConfigError(f"{origin}: {key} must be a positive number, got {value!r}")
        return out
    raise ConfigError(f"{origin}: {key} has an unsupported type")  # pragma: no cover


def _hint(word: str, choices) -> str:
    near = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _line_of(text: str, section: str, key: str | None) -> int:
    """Best-effort line number of [section] / key in a TOML text, for messages."""
    in_section = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("["):
            in_section = line.strip("[] ") == section
            if in_section and key is None:
                return no
            continue
        if in_section and key and line.split("=", 1)[0].strip() == key:
            return no
    return 0


def load(path: str | os.PathLike | None = None, env: dict | None = None) -> Settings:
    """Read the TOML file (if any) and apply environment overrides."""
    env = os.environ if env is None else env
    data: dict = {}
    text = ""
    base_dir = "."
    where = "config"
    if path is not None:
        p = Path(path)
        where = str(p)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read config file: {exc.strerror}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: {exc}") from None
        base_dir = str(p.resolve().parent)

    sections = {}
    for name, value in data.items():
        if name not in SECTIONS:
            raise ConfigError(
                f"{where}:{_line_of(text, name, None)}: unknown section [{name}]{_hint(name, SECTIONS)}"
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {name} must be a table")
        sections[name] = value

    built = {}
    for name in SECTIONS:
        cls_default = SECTIONS[name]()
        known = {f.name: getattr(cls_default, f.name) for f in fields(cls_default)}
        values = {}
        for key, value in sections.get(name, {}).items():
            if key not in known:
                line = _line_of(text, name, key)
                raise ConfigError(
                    f"{where}:{line}: unknown key {name}.{key}{_hint(key, known)}"
                )
            origin = f"{where}:{_line_of(text, name, key)}"
            values[key] = _coerce(value, known[key], f"{name}.{key}", origin)
        for key, default in known.items():
            env_name = f"WARROOM_{name.upper()}_{key.upper()}"
            if env_name in env:
                values[key] = _coerce(env[env_name], default, f"{name}.{key}", env_name)
        built[name] = replace(cls_default, **values)
    settings = Settings(**built, base_dir=base_dir)
    if not 0 < settings.server.port < 65536:
        raise ConfigError(f"{where}: server.port must be between 1 and 65535, got {settings.server.port}")
    for key in ("commands_per_second", "command_burst"):
        if getattr(settings.live, key) < 1:
            raise ConfigError(f"{where}: live.{key} must be at least 1, got {getattr(settings.live, key)}")
    if settings.notify.smtp_mode not in ("starttls", "ssl", "insecure"):
        raise ConfigError(f"{where}: notify.smtp_mode must be starttls, ssl or insecure")
    if settings.db.url and not settings.db.url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ConfigError(f"{where}: db.url must be sqlite:///path or postgresql://..., got {settings.db.url!r}")
    if settings.live.message_queue and not settings.live.message_queue.startswith(("redis://", "rediss://")):
        raise ConfigError(f"{where}: live.message_queue must be a redis:// URL")
    return settings


def secret(name: str, env: dict | None = None) -> str | None:
    """A secret from the environment only (never from config.toml)."""
    env = os.environ if env is None else env
    value = env.get(name, "")
    return value or None


def secret_key(settings: Settings, env: dict | None = None) -> str:
    """WARROOM_SECRET_KEY, else a key generated once and kept (mode 0600)."""
    given = secret("WARROOM_SECRET_KEY", env)
    if given:
        return given
    path = settings.data_dir / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(_secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()
