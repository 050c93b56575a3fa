"""Scrapy settings of the harvester (the `scrapy.cfg` default and the CLI's base).

Project-specific settings start with HARVESTER_; components read them only in
``from_crawler``. The CLI overrides HARVESTER_DB_URL and HARVESTER_ARCHIVE_DIR from
``--data`` / ``--db``.
"""
BOT_NAME = "xxgk-harvester"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Where things land (overridden by the CLI).
HARVESTER_DB_URL = "sqlite:///data/harvester.db"
HARVESTER_ARCHIVE_DIR = "data/archive"
# Who we are: sent in the User-Agent so site operators can reach us.
HARVESTER_CONTACT = "xxgk-harvester@example.org"
HARVESTER_VERSION = "0.1"
# Bounds that keep a misbehaving site from trapping a crawl.
HARVESTER_MAX_LIST_PAGES = 200      # listing pages followed per column
HARVESTER_DISCOVERY_DEPTH = 3       # homepage -> section -> ... -> column
HARVESTER_EXTRACT_THREADS = 2       # worker threads for extraction and parsing
HARVESTER_MAX_ATTACHMENTS = 6       # attachments (PDF, DOCX …) fetched per article page
HARVESTER_BLOCK_STATUSES = [403, 412, 521]  # answers that mean the portal refuses us: recorded as blocked
HARVESTER_BLOCK_AFTER_403 = 2       # a 403 on the homepage blocks at once; elsewhere from the second one

# The archive of record.
HARVESTER_WARC_MAX_SIZE = 1_000_000_000  # bytes; WARC files rotate past this size
# Room kept free (a reserve file on each filesystem written to) so that a harvest stopped by a
# full disk can still close its files, mark its runs failed and release its locks. 0: none.
HARVESTER_DISK_RESERVE = 4 * 1024 * 1024
HARVESTER_CONDITIONAL_REQUESTS = True   # If-None-Match / If-Modified-Since from the last capture
HARVESTER_FULL_EVERY_DAYS = 7           # a full verification pass re-fetches every known report
HARVESTER_KNOWN_PAGES_DEPTH = 1         # nightly listing walks stop after this many all-known pages

USER_AGENT = f"xxgk-harvester/{HARVESTER_VERSION} (+mailto:{HARVESTER_CONTACT})"
ROBOTSTXT_OBEY = True

# Politeness: at most 2 requests at once per host, adaptive delay.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 2

# Every response is archived raw, before decompression: the archiving middleware sits
# next to the downloader (HttpCompressionMiddleware is at 590, lower = closer to the engine).
DOWNLOADER_MIDDLEWARES = {
    "pipelines.incremental.ConditionalRequestMiddleware": 560,
    "pipelines.replay.ArchiveReplayMiddleware": 940,
    "pipelines.archive.WarcArchiveMiddleware": 950,
}
ITEM_PIPELINES = {
    "pipelines.dedupe.KnownContentPipeline": 100,
    "pipelines.extract.ExtractPipeline": 300,
    "pipelines.store.StorePipeline": 800,
}

# Pages are archived, not cached: no HTTP cache, no cookies kept between portals.
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
