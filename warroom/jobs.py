"""The scheduler's jobs: thin functions that open a database, build what the
domain is handed (the Slack or log sender of this process, the on-call
resolver from the settings, fault injection for the crash tests) and call a
domain tick with ``now``. Domain packages never import this module.

``WARROOM_FAULT=after_claim|after_send`` makes the process ``os._exit(137)``
at that point of a send: the crash tests kill a real server exactly between
the claim and the send, or between the send and recording it.
``WARROOM_HOLD_AFTER_SEND=<folder>`` instead holds the process after each
send, before recording it, until the test SIGKILLs it (``hold_after_send``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from . import notifications, privacy, roomchat, updates
from .clock import utcnow
from .config import Settings, secret, secret_key
from .db import is_postgresql
from .escalation import acklinks, paging
from .listening import volume, watch
from .platforms import crypto, listener, outbox, rss
from .roster import oncall
from .slack import SlackMethod, SlackRoomApi, SlackSender, make_client

log = logging.getLogger(__name__)


def sender_for(app):
    """One sender per app: Slack when SLACK_BOT_TOKEN is set, else the log."""
    found = app.extensions.get("warroom_sender")
    if found is None:
        settings: Settings = app.extensions["warroom"]
        client = make_client(settings)
        found = SlackSender(client, settings.url) if client else paging.LogSender()
        app.extensions["warroom_sender"] = found
    return found


def method_senders(app, env=None) -> dict:
    """kind -> sender for contact methods, built once from the settings and
    the environment's secrets (SMTP_PASSWORD, NTFY_TOKEN, TWILIO_*)."""
    found = app.extensions.get("warroom_method_senders")
    if found is None:
        n = app.extensions["warroom"].notify
        t = n.timeout_seconds
        found = {
            "email": notifications.EmailSender(n.smtp_host, n.smtp_port, n.smtp_from, n.smtp_user,
                                               secret("SMTP_PASSWORD", env) or "", n.smtp_mode, t),
            "ntfy": notifications.NtfySender(n.ntfy_url, secret("NTFY_TOKEN", env) or "", t),
            "teams": notifications.WebhookSender("teams", t),
            "webhook": notifications.WebhookSender("webhook", t),
        }
        for kind in ("sms", "voice"):
            found[kind] = notifications.TwilioSender(
                kind, n.twilio_base_url, secret("TWILIO_ACCOUNT_SID", env) or "",
                secret("TWILIO_AUTH_TOKEN", env) or "", n.twilio_from, t)
        slack = sender_for(app)
        if isinstance(slack, SlackSender):
            found["slack"] = SlackMethod(slack)
        app.extensions["warroom_method_senders"] = found
    return found


def link_for(app):
    """Signed ack links for the pages sent now (see escalation.acklinks)."""
    settings: Settings = app.extensions["warroom"]
    return acklinks.link_maker(secret_key(settings), settings.url, utcnow, settings.notify.ack_link_hours)


def paging_config(settings: Settings) -> paging.PagingConfig:
    e = settings.escalation
    return paging.PagingConfig(max_tries=max(1, e.max_tries), backoff_seconds=e.backoff_seconds,
                               throttle_per_15min=e.throttle_per_15min, stale_seconds=e.stale_seconds)


def on_call_for(settings: Settings):
    """on_call(db, now) -> User | None from the configured rotation (None without one)."""
    rotation = oncall.load_rotation(settings)
    if rotation is None:
        return None
    return lambda db, now: oncall.on_call(db, rotation, now)


def fault_from_env(env=None):
    env = env or os.environ
    point = env.get("WARROOM_FAULT", "")
    hold = env.get("WARROOM_HOLD_AFTER_SEND", "")
    if point not in ("after_claim", "after_send") and not hold:
        return None

    def fault(at: str, key: str | None = None) -> None:
        if at == point:
            log.error("WARROOM_FAULT=%s: exiting now", point)
            os._exit(137)
        if hold and at == "after_send" and key:
            hold_after_send(Path(hold), key)

    return fault


def hold_after_send(folder: Path, key: str) -> None:
    """The SIGKILL tests' barrier: announce that the message ``key`` is sent
    and not yet recorded (the file ``held-<key>``, written whole), then block
    on the FIFO ``release`` until a writer opens it, or the test kills the
    process. Once per message: a resend during recovery goes straight on."""
    mark = folder / f"held-{key}"
    if mark.exists():
        return
    release = folder / "release"
    if not release.exists():
        os.mkfifo(release)
    tmp = folder / f".held-{key}"
    tmp.write_text(str(os.getpid()))
    tmp.rename(mark)
    log.error("WARROOM_HOLD_AFTER_SEND: %s sent, holding before recording it", key[:10])
    with open(release, "rb") as fifo:  # blocks until the test opens the FIFO for writing
        fifo.read()


def token_for(app) -> str:
    token = app.extensions.get("warroom_claim_token")
    if token is None:
        token = app.extensions["warroom_claim_token"] = paging.new_claim_token()
    return token


def run_tick(app) -> paging.TickResult:
    settings: Settings = app.extensions["warroom"]
    db = app.extensions["warroom_open_db"]()
    try:
        return paging.tick(db, utcnow(), sender_for(app), paging_config(settings), token_for(app),
                           on_call=on_call_for(settings), fault=fault_from_env(),
                           senders=method_senders(app), link_for=link_for(app))
    finally:
        db.close()


def run_notifier(app) -> list:
    """What Slack hears, and reminders through each person's own methods: the
    notifier is handed this process's Slack sender and method senders."""
    settings: Settings = app.extensions["warroom"]
    db = app.extensions["warroom_open_db"]()
    try:
        return notifications.notify(db, sender_for(app), settings.slack.default_channel,
                                    senders=method_senders(app), now=utcnow())
    finally:
        db.close()


def room_api_for(app):
    """The Slack API of room channels, or None (no token, or [slack] room_channels off)."""
    found = app.extensions.get("warroom_room_api", False)
    if found is False:
        settings: Settings = app.extensions["warroom"]
        client = make_client(settings) if settings.slack.room_channels else None
        found = app.extensions["warroom_room_api"] = SlackRoomApi(client, settings.url) if client else None
    return found


def run_room_channels(app) -> roomchat.SyncResult | None:
    """Each open room's Slack channel: create or link, invite, post (roomchat.sync)."""
    api = room_api_for(app)
    if api is None:
        return None
    db = app.extensions["warroom_open_db"]()
    try:
        result = roomchat.sync(db, utcnow(), api, token_for(app))
        for error in result.errors:
            log.warning("room channels: %s", error)
        return result
    finally:
        db.close()


def run_feed_poll(app) -> None:
    db = app.extensions["warroom_open_db"]()
    try:
        for outcome in rss.poll_all(db, utcnow(), app.extensions["warroom"]):
            if outcome.error:
                log.warning("feed %s: %s", outcome.feed_id, outcome.error)
    finally:
        db.close()


def run_volume_tick(app) -> None:
    settings: Settings = app.extensions["warroom"]
    db = app.extensions["warroom_open_db"]()
    try:
        now = utcnow()
        # Monitors first: an alarm there opens a room whose stream the room tick then closes too.
        watch.tick(db, now, lag_seconds=settings.ingest.close_lag_seconds, params=settings.spikes.detector_params)
        volume.tick(db, now, lag_seconds=settings.ingest.close_lag_seconds,
                    params=settings.spikes.detector_params)
    finally:
        db.close()


def run_retention(app) -> privacy.RetentionResult:
    settings: Settings = app.extensions["warroom"]
    db = app.extensions["warroom_open_db"]()
    try:
        return privacy.retention_sweep(db, utcnow(), settings.privacy.retention_days)
    finally:
        db.close()


# -- platform connectors ----------------------------------------------------------


def vault_for(app) -> crypto.Vault:
    """The credentials vault, keyed from this installation's secret key."""
    found = app.extensions.get("warroom_vault")
    if found is None:
        found = app.extensions["warroom_vault"] = crypto.Vault(secret_key(app.extensions["warroom"]))
    return found


def supervisor_for(app) -> listener.Supervisor:
    found = app.extensions.get("warroom_listeners")
    if found is None:
        from .listening.sentiment import Scorer

        settings: Settings = app.extensions["warroom"]
        p = settings.platforms
        lease = None
        if is_postgresql(settings.db_url):
            # several hosts run this job: each connector is listened to by one
            from .election import connector_lease

            lease = connector_lease(settings.db_url)
        found = app.extensions["warroom_listeners"] = listener.Supervisor(
            lambda: app.extensions["warroom_open_db"](), vault_for(app), Scorer(), utcnow,
            listener.ListenConfig(p.listen_backoff_seconds, p.listen_max_backoff_seconds), lease=lease)
    return found


def run_listeners(app) -> list[int]:
    """One listening thread per active connector (new ones start, stopped ones end)."""
    return supervisor_for(app).sync()


def stop_listeners(app) -> int:
    """Stop this process's listening threads; returns how many ended."""
    found = app.extensions.get("warroom_listeners")
    return found.stop_all() if found is not None else 0


def run_outbox(app) -> outbox.TickResult:
    """Deliver published replies to their platforms, exactly once."""
    p = app.extensions["warroom"].platforms
    cfg = outbox.OutboxConfig(max_tries=max(1, p.delivery_max_tries), backoff_seconds=p.delivery_backoff_seconds,
                              stale_seconds=p.delivery_stale_seconds)
    db = app.extensions["warroom_open_db"]()
    try:
        return outbox.tick(db, utcnow(), vault_for(app), token_for(app), cfg)
    finally:
        db.close()


def run_update_mail(app) -> dict:
    """E-mail published stakeholder updates to their rooms' lists (claim, send, record)."""
    db = app.extensions["warroom_open_db"]()
    try:
        return updates.mail.deliver(db, utcnow(), method_senders(app)["email"],
                                    max_tries=max(1, app.extensions["warroom"].escalation.max_tries),
                                    token=token_for(app))
    finally:
        db.close()
