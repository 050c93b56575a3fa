"""The harvester's configuration, and the one place that reads the environment.

Every ``HARVESTER_*`` environment variable is read here (the README's "Configuration" table
lists them): the paths (``HARVESTER_DATA``, ``HARVESTER_DB``, ``HARVESTER_PORTALS``), the
archive browser's access control (``HARVESTER_WEB_*``) and where health events are sent
(``HARVESTER_WEBHOOK_URL``, ``HARVESTER_SMTP_*``), and the cluster's job queue
(``HARVESTER_REDIS_URL``, ``HARVESTER_QUEUE``, ``HARVESTER_WORKER_HEARTBEAT``). Crawl tuning stays in Scrapy settings
(``harvester/settings.py``, ``--set NAME=VALUE``).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harvester.registry import DEFAULT_REGISTRY
from storage.database import sqlite_url


class ConfigError(ValueError):
    """A path or setting the harvester cannot use; the message names it."""


def _get(env: Mapping[str, str], name: str) -> str | None:
    """A variable's value; unset and empty are the same (``VAR= harvester …`` turns it off)."""
    return env.get(name) or None


@dataclass(frozen=True)
class WebConfig:
    """The archive browser's secrets; each None when unset."""

    token: str | None = None  # HARVESTER_WEB_TOKEN: enables the recrawl action
    access_token: str | None = None  # HARVESTER_WEB_ACCESS_TOKEN: bearer token / cookie for access
    basic_auth: str | None = None  # HARVESTER_WEB_BASIC_AUTH: "user:password" for access

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "WebConfig":
        env = os.environ if env is None else env
        return cls(token=_get(env, "HARVESTER_WEB_TOKEN"), access_token=_get(env, "HARVESTER_WEB_ACCESS_TOKEN"),
                   basic_auth=_get(env, "HARVESTER_WEB_BASIC_AUTH"))


@dataclass(frozen=True)
class NotifyConfig:
    """Where health events are sent: a webhook (POST of JSON) and/or email; both optional."""

    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str | None = None
    smtp_to: tuple[str, ...] = ()
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "NotifyConfig":
        env = os.environ if env is None else env
        host, port = _get(env, "HARVESTER_SMTP_HOST"), 25
        if host and ":" in host:
            host, p = host.rsplit(":", 1)
            try:
                port = int(p)
            except ValueError:
                raise ConfigError(f"HARVESTER_SMTP_HOST: port {p!r} is not a number (expected host or host:port)") from None
        return cls(
            webhook_url=_get(env, "HARVESTER_WEBHOOK_URL"),
            smtp_host=host,
            smtp_port=port,
            smtp_from=_get(env, "HARVESTER_SMTP_FROM"),
            smtp_to=tuple(a.strip() for a in (_get(env, "HARVESTER_SMTP_TO") or "").split(",") if a.strip()),
            smtp_user=_get(env, "HARVESTER_SMTP_USER"),
            smtp_password=_get(env, "HARVESTER_SMTP_PASSWORD"),
            smtp_starttls=env.get("HARVESTER_SMTP_STARTTLS") == "1",
        )


DEFAULT_PARSE_MAX_DECODED = 128 * 1024 * 1024


def parse_max_decoded(env: Mapping[str, str] | None = None) -> int:
    """``HARVESTER_PARSE_MAX_DECODED``: the bytes a document may inflate to while the parser
    reads it (PDF streams, DOCX/XLSX parts, DOC/WPS text); default 128 MiB."""
    return _positive_int(os.environ if env is None else env, "HARVESTER_PARSE_MAX_DECODED", DEFAULT_PARSE_MAX_DECODED,
                         "bytes")


def _positive_int(env: Mapping[str, str], name: str, default: int, unit: str) -> int:
    """A variable holding a positive whole number of ``unit``; ``default`` when unset."""
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(f"{name}: {raw!r} is not a positive number of {unit}")
    return value


DEFAULT_QUEUE = "xxgk-harvester"
DEFAULT_WORKER_HEARTBEAT = 60.0
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


@dataclass(frozen=True)
class ClusterConfig:
    """Where the harvest's job queue lives (Redis), when harvests are shared by workers."""

    redis_url: str | None = None  # HARVESTER_REDIS_URL: set, the scheduler enqueues instead of crawling
    queue: str = DEFAULT_QUEUE  # HARVESTER_QUEUE: the prefix of every Redis key of the queue
    heartbeat: float = DEFAULT_WORKER_HEARTBEAT  # HARVESTER_WORKER_HEARTBEAT: seconds of silence = a dead worker

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, redis: str | None = None) -> "ClusterConfig":
        env = os.environ if env is None else env
        queue = _get(env, "HARVESTER_QUEUE") or DEFAULT_QUEUE
        if not _QUEUE_NAME.match(queue):
            raise ConfigError(f"HARVESTER_QUEUE: {queue!r} is not a queue name (letters, digits, '_', '.', ':', '-'; "
                              "at most 100)")
        raw = _get(env, "HARVESTER_WORKER_HEARTBEAT")
        heartbeat = DEFAULT_WORKER_HEARTBEAT
        if raw is not None:
            try:
                heartbeat = float(raw)
            except ValueError:
                heartbeat = 0.0
            if not heartbeat >= 1.0:
                raise ConfigError(f"HARVESTER_WORKER_HEARTBEAT: {raw!r} is not a number of seconds (at least 1)")
        return cls(redis_url=redis or _get(env, "HARVESTER_REDIS_URL"), queue=queue, heartbeat=heartbeat)


def parse_processes(env: Mapping[str, str] | None = None) -> int:
    """``HARVESTER_PARSE_PROCESSES``: how many worker processes read pages (trafilatura and the
    report parser) during a crawl; default one per core."""
    return _positive_int(os.environ if env is None else env, "HARVESTER_PARSE_PROCESSES", os.cpu_count() or 1,
                         "processes")


@dataclass(frozen=True)
class Config:
    data_dir: Path
    db_url: str
    registry: Path
    web: WebConfig = field(default_factory=WebConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    parse_max_decoded: int = DEFAULT_PARSE_MAX_DECODED
    archive: Path | None = None  # HARVESTER_ARCHIVE / --archive: the WARC files elsewhere than data/archive
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    parse_processes: int = field(default_factory=lambda: os.cpu_count() or 1)

    @property
    def archive_dir(self) -> Path:
        return self.archive if self.archive is not None else self.data_dir / "archive"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, data: str | None = None, db: str | None = None,
                 portals: str | None = None, archive: str | None = None, redis: str | None = None) -> "Config":
        """The configuration from the environment; ``data``, ``db``, ``portals``, ``archive``
        and ``redis`` (the command-line options) win over their variables."""
        env = os.environ if env is None else env
        data_dir = Path(data or _get(env, "HARVESTER_DATA") or "data").expanduser().resolve()
        db_url = db or _get(env, "HARVESTER_DB") or sqlite_url(data_dir / "harvester.db")
        registry = Path(portals or _get(env, "HARVESTER_PORTALS") or DEFAULT_REGISTRY)
        archive_dir = archive or _get(env, "HARVESTER_ARCHIVE")
        return cls(data_dir, db_url, registry, web=WebConfig.from_env(env), notify=NotifyConfig.from_env(env),
                   parse_max_decoded=parse_max_decoded(env), parse_processes=parse_processes(env),
                   archive=Path(archive_dir).expanduser().resolve() if archive_dir else None,
                   cluster=ClusterConfig.from_env(env, redis=redis))

    def prepare(self) -> None:
        """Create the data directory and its archive; fail clearly when not writable."""
        for d in (self.data_dir, self.archive_dir):
            if d.exists() and not d.is_dir():
                raise ConfigError(f"data directory {d} exists and is not a directory")
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(f"cannot create data directory {d}: {exc.strerror}") from None
            if not os.access(d, os.W_OK | os.X_OK):
                raise ConfigError(f"data directory {d} is not writable")
