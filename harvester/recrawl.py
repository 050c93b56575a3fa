"""On-demand harvest of one portal, in a child process, with live progress.

``recrawl`` runs ``harvester crawl PORTAL --purpose recrawl`` as a child (a Twisted reactor
cannot be restarted in-process, and a crash must not take the caller down) and shows the
run's progress from the database: a live line in a terminal, a plain log line otherwise.
The child takes the portal's lock: a second harvest of the same portal waits or is refused.
``launch`` starts the same child without waiting (for the archive browser's action).
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from typing import IO

from sqlalchemy import func, select

from harvester.cli import EXIT_BUSY
from harvester.config import Config
from storage.database import Database
from storage.models import CrawlRun


def crawl_command(cfg: Config, portal_id: str, *, full: bool, wait: float, purpose: str,
                  settings: tuple[str, ...] = ()) -> list[str]:
    """The child's command line. The database URL is not on it (it may carry a password,
    and command lines are visible to every user of the machine): see ``start_crawl_child``."""
    cmd = [
        sys.executable, "-m", "harvester.cli", "--data", str(cfg.data_dir),
        "--portals", str(cfg.registry), *(["--archive", str(cfg.archive)] if cfg.archive is not None else []),
        "crawl", portal_id, "--purpose", purpose, "--quiet", "--wait", str(wait),
    ]
    for item in settings:
        cmd += ["--set", item]
    return cmd + (["--full"] if full else [])


def start_crawl_child(cfg: Config, portal_id: str, *, full: bool, wait: float, purpose: str,
                      settings: tuple[str, ...] = (), **popen_kwargs) -> subprocess.Popen:
    """Harvest one portal in a child process; the database URL reaches it in its environment
    (``HARVESTER_DB``), which only the same user can read."""
    env = {**os.environ, "HARVESTER_DB": cfg.db_url}
    return subprocess.Popen(crawl_command(cfg, portal_id, full=full, wait=wait, purpose=purpose, settings=settings),
                            env=env, **popen_kwargs)


def _latest_run_id(db: Database, portal_id: str) -> int:
    with db.session() as s:
        return s.scalar(select(func.max(CrawlRun.id)).where(CrawlRun.portal_id == portal_id)) or 0


class LiveLine:
    """A progress line: redrawn in place (``\\r\\033[K``) in a terminal; otherwise written as
    a timestamped log line when what it says changes (the elapsed time after its last ", "
    aside), at least every ``log_every`` seconds, and when ``force``d (the last one)."""

    def __init__(self, out: IO[str], *, log_every: float = 5.0):
        self.out = out
        self.tty = out.isatty()
        self.log_every = log_every
        self.drawn = False
        self._last, self._last_log = "", 0.0

    def show(self, line: str, *, log: bool = True, force: bool = False) -> None:
        if self.tty:
            self.out.write("\r\033[K" + line)
            self.drawn = True
        elif log and (line.split(", ")[:-1] != self._last.split(", ")[:-1] or force
                      or time.monotonic() - self._last_log >= self.log_every):
            self.out.write(f"{dt.datetime.now().strftime('%H:%M:%S')} {line}\n")
            self._last_log = time.monotonic()
        self._last = line
        self.out.flush()

    def clear(self) -> None:
        """Wipe the drawn line (before something else is printed to the terminal)."""
        if self.tty and self.drawn:
            self.out.write("\r\033[K")
            self.out.flush()

    def close(self) -> None:
        """End the drawn line, so what follows starts on a line of its own."""
        if self.tty and self.drawn:
            self.out.write("\n")
            self.out.flush()
            self.drawn = False


def progress_line(run: CrawlRun | None, portal_id: str, elapsed: float) -> str:
    if run is None:
        return f"{portal_id}: starting… {elapsed:.0f} s"
    return (
        f"{portal_id}: {run.status} ({run.mode}) — pages {run.pages}, reports new {run.new_reports} / "
        f"changed {run.changed_reports} / unchanged {run.unchanged_reports}, errors {run.errors}, {elapsed:.0f} s"
    )


def recrawl(cfg: Config, db: Database, portal_id: str, *, full: bool = False, wait: float = 0.0,
            out: IO[str] | None = None, poll: float = 0.5, log_every: float = 5.0, settings: tuple[str, ...] = ()) -> int:
    out = out or sys.stdout
    before = _latest_run_id(db, portal_id)
    started = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as child_out, tempfile.TemporaryFile("w+", encoding="utf-8") as child_err:
        proc = start_crawl_child(cfg, portal_id, full=full, wait=wait, purpose="recrawl", settings=settings,
                                 stdout=child_out, stderr=child_err, text=True)
        live = LiveLine(out, log_every=log_every)
        while True:
            done = proc.poll() is not None
            with db.session() as s:
                run = s.scalars(select(CrawlRun).where(CrawlRun.portal_id == portal_id, CrawlRun.id > before)
                                .order_by(CrawlRun.id).limit(1)).first()
                line = progress_line(run, portal_id, time.monotonic() - started)
            live.show(line, log=run is not None, force=done)
            if done:
                break
            time.sleep(poll)
        live.close()
        child_out.seek(0)
        child_err.seek(0)
        err = child_err.read()
        refused = [ln for ln in err.splitlines() if ": refused — " in ln or ln.startswith("harvester: error:")]
        for ln in refused:
            out.write(ln + "\n")
        if proc.returncode not in (0, 1, 2, EXIT_BUSY):
            out.write(f"{portal_id}: the harvest process ended abnormally (exit {proc.returncode}); "
                      f"the next run recovers what it archived\n")
    return proc.returncode


def launch(cfg: Config, portal_id: str, full: bool = False) -> dict:
    """Start a recrawl in the background (for the archive browser); refuses if the portal, or a
    host it shares with other portals, is busy with another harvest."""
    from harvester.locks import entry_hosts, held_elsewhere, portal_hosts
    from harvester.registry import RegistryError, load_registry, select
    from storage.database import open_database
    from storage.models import Portal

    db = open_database(cfg.db_url)
    try:
        hosts = entry_hosts(select(load_registry(cfg.registry), [portal_id])[0])
    except (RegistryError, OSError, IndexError):  # the crawl child will say what is wrong
        with db.session() as s:
            p = s.get(Portal, portal_id)
            hosts = portal_hosts(p.url, (), p.columns or ()) if p is not None else []
    reason = held_elsewhere(db, portal_id, hosts)
    if reason is not None:
        return {"portal": portal_id, "started": False, "reason": reason}
    proc = start_crawl_child(cfg, portal_id, full=full, wait=0, purpose="recrawl",
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return {"portal": portal_id, "started": True, "pid": proc.pid, "full": full}
