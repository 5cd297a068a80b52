"""config.toml plus WARROOM_<SECTION>_<KEY> overrides, with errors naming the key."""

import os
import stat

import pytest

from warroom import config


def test_defaults_then_file_then_environment(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[server]\nport = 6000\n[db]\npath = "data/x.db"\n')
    s = config.load(path, env={"WARROOM_SERVER_PORT": "7000", "WARROOM_SCHEDULER_ENABLED": "false"})
    assert s.server.port == 7000            # env beats file
    assert s.server.host == "127.0.0.1"     # default kept
    assert s.scheduler.enabled is False
    assert s.db_path == tmp_path / "data" / "x.db"   # relative to the config file
    assert s.db_url == f"sqlite:///{tmp_path / 'data' / 'x.db'}"  # no [db] url: SQLite at path, as before


def test_db_url_from_file_or_environment(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[db]\nurl = "sqlite:///data/y.db"\n')
    assert config.load(path, env={}).db_url == f"sqlite:///{tmp_path / 'data' / 'y.db'}"
    pg = config.load(path, env={"WARROOM_DB_URL": "postgresql://warroom@db1:5432/warroom"})
    assert pg.db_url == "postgresql://warroom@db1:5432/warroom"


@pytest.mark.parametrize(
    "text, env, message",
    [
        ('[server]\nport = "abc"\n', {}, "c.toml:2: server.port must be an integer"),
        ("[server]\nprot = 1\n", {}, "c.toml:2: unknown key server.prot (did you mean 'port'?)"),
        ("[servre]\n", {}, "unknown section [servre] (did you mean 'server'?)"),
        ("", {"WARROOM_SERVER_PORT": "eighty"}, "WARROOM_SERVER_PORT: server.port must be an integer"),
        ("", {"WARROOM_SCHEDULER_ENABLED": "maybe"}, "scheduler.enabled must be true or false"),
        ("[server]\nport = 70000\n", {}, "server.port must be between 1 and 65535"),
        ("[live]\nmessage_queue = \"amqp://x\"\n", {}, "live.message_queue must be a redis:// URL"),
        ("", {"WARROOM_DB_URL": "mysql://x"}, "db.url must be sqlite:///path or postgresql://"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, env, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(config.ConfigError) as err:
        config.load(path, env=env)
    assert message in str(err.value)


def test_shipped_config_loads_and_matches_defaults():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    shipped = config.load(os.path.join(root, "config.toml"), env={})
    defaults = config.load(None, env={})
    for section in config.SECTIONS:
        assert getattr(shipped, section) == getattr(defaults, section), section


def test_secret_key_generated_once_with_mode_0600(tmp_path):
    s = config.load(None, env={"WARROOM_DB_PATH": str(tmp_path / "d" / "w.db")})
    first = config.secret_key(s, env={})
    assert len(first) == 64
    assert config.secret_key(s, env={}) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "d" / "secret_key").st_mode)
    assert mode == 0o600
    assert config.secret_key(s, env={"WARROOM_SECRET_KEY": "from-env"}) == "from-env"


def test_spikes_budget_is_a_positive_number_and_reaches_the_detector(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[spikes]\nfalse_alarms_per_day = 0.5\n")
    s = config.load(path, env={})
    assert s.spikes.false_alarms_per_day == 0.5
    assert s.spikes.detector_params == {"false_alarms_per_day": 0.5}
    with pytest.raises(config.ConfigError, match="false_alarms_per_day must be a positive number"):
        config.load(path, env={"WARROOM_SPIKES_FALSE_ALARMS_PER_DAY": "0"})
