"""The configuration loader: every HARVESTER_* environment variable that ``Config.from_env``
reads reaches the configuration, and the README's Configuration table documents it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from harvester.config import ClusterConfig, Config, ConfigError, NotifyConfig, WebConfig

ROOT = Path(__file__).resolve().parent.parent


def _loader_variables() -> set[str]:
    return set(re.findall(r'"(HARVESTER_[A-Z_]+)"', (ROOT / "harvester" / "config.py").read_text(encoding="utf-8")))


def _readme_variables() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("| `")]
    return {name for ln in rows for name in re.findall(r"`(HARVESTER_[A-Z_]+)`", ln.split("|")[1])}


def test_every_documented_variable_reaches_the_configuration(tmp_path):
    env = {
        "HARVESTER_DATA": str(tmp_path / "d"),
        "HARVESTER_DB": "postgresql+psycopg2://h:pw@db.example/h",
        "HARVESTER_PORTALS": str(tmp_path / "portals.toml"),
        "HARVESTER_WEB_TOKEN": "act",
        "HARVESTER_WEB_ACCESS_TOKEN": "see",
        "HARVESTER_WEB_BASIC_AUTH": "auditor:密码",
        "HARVESTER_WEBHOOK_URL": "http://127.0.0.1:9/hook",
        "HARVESTER_SMTP_HOST": "mail.example:587",
        "HARVESTER_SMTP_FROM": "harvester@example.org",
        "HARVESTER_SMTP_TO": "ops@example.org, audit@example.org",
        "HARVESTER_SMTP_USER": "mailer",
        "HARVESTER_SMTP_PASSWORD": "mail-pw",
        "HARVESTER_SMTP_STARTTLS": "1",
        "HARVESTER_PARSE_MAX_DECODED": "1000000",
        "HARVESTER_ARCHIVE": str(tmp_path / "shared-archive"),
        "HARVESTER_REDIS_URL": "redis://127.0.0.1:6379/3",
        "HARVESTER_QUEUE": "province-nightly",
        "HARVESTER_WORKER_HEARTBEAT": "15",
        "HARVESTER_PARSE_PROCESSES": "3",
    }
    assert set(env) == _loader_variables()  # every variable the loader reads is set here…
    assert set(env) == _readme_variables()  # …and the README's table documents exactly these
    cfg = Config.from_env(env)
    assert (cfg.data_dir, cfg.db_url, cfg.registry) == ((tmp_path / "d").resolve(), env["HARVESTER_DB"],
                                                        tmp_path / "portals.toml")
    assert cfg.archive_dir == (tmp_path / "shared-archive").resolve()
    assert cfg.cluster == ClusterConfig(redis_url="redis://127.0.0.1:6379/3", queue="province-nightly", heartbeat=15.0)
    assert cfg.web == WebConfig(token="act", access_token="see", basic_auth="auditor:密码")
    assert cfg.parse_max_decoded == 1_000_000
    assert cfg.parse_processes == 3
    assert cfg.notify == NotifyConfig(webhook_url="http://127.0.0.1:9/hook", smtp_host="mail.example", smtp_port=587,
                                      smtp_from="harvester@example.org",
                                      smtp_to=("ops@example.org", "audit@example.org"), smtp_user="mailer",
                                      smtp_password="mail-pw", smtp_starttls=True)


def test_command_line_options_win_and_unset_or_empty_variables_are_off(tmp_path):
    env = {"HARVESTER_DATA": str(tmp_path / "env"), "HARVESTER_DB": "sqlite:///env.db", "HARVESTER_WEB_TOKEN": "",
           "HARVESTER_SMTP_HOST": "mail.example", "HARVESTER_SMTP_STARTTLS": "0"}
    cfg = Config.from_env(env, data=str(tmp_path / "opt"), db="sqlite:///opt.db", portals="p.toml")
    assert (cfg.data_dir, cfg.db_url, cfg.registry) == ((tmp_path / "opt").resolve(), "sqlite:///opt.db", Path("p.toml"))
    assert cfg.web == WebConfig()  # an empty token is no token: actions stay disabled
    assert (cfg.notify.smtp_host, cfg.notify.smtp_port, cfg.notify.smtp_starttls) == ("mail.example", 25, False)
    # without HARVESTER_ARCHIVE the archive is in the data directory; without a Redis, no cluster
    assert cfg.archive_dir == (tmp_path / "opt" / "archive").resolve()
    assert cfg.cluster == ClusterConfig()
    opt = Config.from_env({"HARVESTER_REDIS_URL": "redis://env", "HARVESTER_ARCHIVE": "/env"}, redis="redis://opt",
                          archive=str(tmp_path / "a"))
    assert (opt.cluster.redis_url, opt.archive_dir) == ("redis://opt", (tmp_path / "a").resolve())
    # without HARVESTER_DB the database lives in the data directory
    assert Config.from_env({"HARVESTER_DATA": str(tmp_path)}).db_url.endswith(str(tmp_path / "harvester.db"))


def test_a_bad_smtp_port_names_the_variable():
    with pytest.raises(ConfigError, match=r"HARVESTER_SMTP_HOST: port 'twenty-five'"):
        Config.from_env({"HARVESTER_SMTP_HOST": "mail.example:twenty-five"})


def test_a_bad_decompression_limit_is_refused_by_name():
    from harvester.config import ConfigError, parse_max_decoded

    assert parse_max_decoded({}) == 128 * 1024 * 1024
    assert parse_max_decoded({"HARVESTER_PARSE_MAX_DECODED": "1000"}) == 1000
    for bad in ("0", "-5", "128M"):
        with pytest.raises(ConfigError, match=f"HARVESTER_PARSE_MAX_DECODED: '{bad}' is not a positive number of bytes"):
            Config.from_env({"HARVESTER_PARSE_MAX_DECODED": bad})


def test_bad_cluster_settings_are_refused_by_name():
    with pytest.raises(ConfigError, match=r"HARVESTER_WORKER_HEARTBEAT: 'soon' is not a number of seconds"):
        Config.from_env({"HARVESTER_WORKER_HEARTBEAT": "soon"})
    with pytest.raises(ConfigError, match=r"HARVESTER_WORKER_HEARTBEAT: '0.1'"):
        Config.from_env({"HARVESTER_WORKER_HEARTBEAT": "0.1"})
    with pytest.raises(ConfigError, match=r"HARVESTER_QUEUE: 'a b' is not a queue name"):
        Config.from_env({"HARVESTER_QUEUE": "a b"})


def test_a_bad_number_of_reader_processes_is_refused_by_name():
    import os

    from harvester.config import parse_processes

    assert parse_processes({}) == (os.cpu_count() or 1)
    assert parse_processes({"HARVESTER_PARSE_PROCESSES": "1"}) == 1
    for bad in ("0", "-1", "two"):
        with pytest.raises(ConfigError, match=f"HARVESTER_PARSE_PROCESSES: '{bad}' is not a positive number of processes"):
            Config.from_env({"HARVESTER_PARSE_PROCESSES": bad})
