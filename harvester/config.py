"""Where the harvester keeps things: the data directory, the database URL, the registry."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harvester.registry import DEFAULT_REGISTRY
from storage.database import sqlite_url


class ConfigError(ValueError):
    """A path or setting the harvester cannot use; the message names it."""


@dataclass(frozen=True)
class Config:
    data_dir: Path
    db_url: str
    registry: Path

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @classmethod
    def from_args(cls, data: str | None, db: str | None, portals: str | None) -> "Config":
        data_dir = Path(data or os.environ.get("HARVESTER_DATA") or "data").expanduser().resolve()
        db_url = db or os.environ.get("HARVESTER_DB") or sqlite_url(data_dir / "harvester.db")
        registry = Path(portals or os.environ.get("HARVESTER_PORTALS") or DEFAULT_REGISTRY)
        return cls(data_dir, db_url, registry)

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
