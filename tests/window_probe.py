"""Run in a child process by tests/test_portal_window.py: one `run_crawl` of a registry with a
Scrapy extension that watches every crawler (spider opened / closed) and counts, each time a
spider opens, how many crawlers of the harvest are still in memory. Writes what it saw as JSON.

    python tests/window_probe.py DATA_DIR REGISTRY IN_FLIGHT OUT.json
"""
from __future__ import annotations

import gc
import json
import sys
import weakref
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class WindowProbe:
    """A Scrapy extension (one per crawler) recording what the harvest's crawlers do."""

    open_now = 0
    events: list[dict] = []
    crawlers: list[weakref.ref] = []

    def __init__(self, crawler):
        self.crawler_ref = weakref.ref(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        probe = cls(crawler)
        cls.crawlers.append(weakref.ref(crawler))
        crawler.signals.connect(probe.opened, signal=signals.spider_opened)
        crawler.signals.connect(probe.closed, signal=signals.spider_closed)
        return probe

    def opened(self, spider):
        cls = type(self)
        cls.open_now += 1
        gc.collect()
        alive = sum(1 for ref in cls.crawlers if ref() is not None)
        cls.events.append({"event": "open", "portal": spider.portal_id, "open": cls.open_now, "alive": alive})

    def closed(self, spider, reason):
        cls = type(self)
        cls.open_now -= 1
        cls.events.append({"event": "close", "portal": spider.portal_id, "open": cls.open_now, "reason": reason})


def main(data: str, registry: str, in_flight: str, out: str) -> int:
    from harvester.crawl import run_crawl
    from harvester.registry import PortalEntry, load_registry
    from harvester.settings import EXTENSIONS
    from storage.database import open_database, sqlite_url

    entries = load_registry(Path(registry))
    # a portal whose spider cannot start (ignoring robots.txt needs a reason): a failed run, the others go on
    entries.insert(len(entries) // 2, PortalEntry(id="unstartable", name="无法启动", url="http://127.0.0.1:9/",
                                                  robots="ignore"))
    Path(data).mkdir(parents=True, exist_ok=True)
    db = open_database(sqlite_url(Path(data) / "harvester.db"))
    lines: list[str] = []
    runs, refused = run_crawl(
        db, entries, str(Path(data) / "archive"),
        {"HARVESTER_PORTALS_IN_FLIGHT": in_flight, "LOG_LEVEL": "WARNING", "AUTOTHROTTLE_ENABLED": False,
         "EXTENSIONS": {**EXTENSIONS, f"{WindowProbe.__module__}.WindowProbe": 10}},
        progress=lines.append, progress_every=0.05)
    gc.collect()
    Path(out).write_text(json.dumps({
        "runs": runs, "refused": refused, "events": WindowProbe.events, "progress": lines,
        "alive_after": sum(1 for ref in WindowProbe.crawlers if ref() is not None),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
