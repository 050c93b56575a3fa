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
HARVESTER_MAX_ATTACHMENTS = 6       # attachments (PDF, DOCX …) fetched per article page
HARVESTER_BLOCK_STATUSES = [403, 412, 521]  # answers that mean the portal refuses us: recorded as blocked
HARVESTER_BLOCK_AFTER_403 = 2       # a 403 on the homepage blocks at once; elsewhere from the second one
HARVESTER_MAX_REDIRECTS = 5         # hops followed per request (within the portal's hosts), then a recorded error
HARVESTER_META_REFRESH_MAX_DELAY = 5  # a <meta refresh> this quick (seconds) is a redirect; slower ones are links
# Answers retried by the spider (not Scrapy's RetryMiddleware), so every attempt is stored with its status.
HARVESTER_RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# The archive of record.
HARVESTER_WARC_MAX_SIZE = 1_000_000_000  # bytes; WARC files rotate past this size
# Room kept free (a reserve file on each filesystem written to) so that a harvest stopped by a
# full disk can still close its files, mark its runs failed and release its locks. 0: none.
HARVESTER_DISK_RESERVE = 4 * 1024 * 1024
HARVESTER_CONDITIONAL_REQUESTS = True   # If-None-Match / If-Modified-Since from the last capture
HARVESTER_FULL_EVERY_DAYS = 7           # a full verification pass re-fetches every known report
HARVESTER_KNOWN_PAGES_DEPTH = 1         # nightly listing walks stop after this many all-known pages
# Portals harvested at once by one `crawl` (one Scrapy crawler each); the next one starts when one
# ends. A harvest's memory grows with this, not with the number of portals in the registry:
# ~7 MB a portal in flight during a first harvest (bench/RESULTS.md: 310 MB peak for 200 portals
# x 10 reports at 16, ~430 MB at 32).
HARVESTER_PORTALS_IN_FLIGHT = 16

USER_AGENT = f"xxgk-harvester/{HARVESTER_VERSION} (+mailto:{HARVESTER_CONTACT})"
ROBOTSTXT_OBEY = True

# Politeness: at most 2 requests at once per host, adaptive delay.
# Not the asyncio reactor: under it, Scrapy 2.19's downloader schedules every queued request
# of a slot before any of them counts as transferring, so CONCURRENT_REQUESTS_PER_DOMAIN is
# not enforced (up to 8 at once per host were seen; tests/test_politeness.py).
TWISTED_REACTOR = "twisted.internet.epollreactor.EPollReactor"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy 2.19 starts CONCURRENT_ITEMS cooperative tasks (each with its Deferreds) for every
# response's output, however few things the callback yields; at the default 100 that was ~30% of
# the crawl stage's CPU in the reactor thread (bench/bench_crawl_stage.py). A harvester callback
# yields one page item and at most a listing's worth of requests, and the pipelines' work is in
# threads: 8 at a time per response loses nothing.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 2         # for network failures (Scrapy) and the HARVESTER_RETRY_HTTP_CODES answers (the spider)
RETRY_HTTP_CODES = []   # Scrapy would retry them out of the spider's sight: the retried answers were archived
                        # but never stored, and `verify` went red. The spider retries them instead.

# Size limits: a government PDF is tens of MB; nothing needs Scrapy's 1 GiB default. A body (or a
# compressed body once decompressed: HttpCompressionMiddleware stops at this size) larger than
# DOWNLOAD_MAXSIZE is cut off and recorded as an error for its URL.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024

# Every response is archived raw, before decompression: the archiving middleware sits
# next to the downloader (HttpCompressionMiddleware is at 590, lower = closer to the engine).
DOWNLOADER_MIDDLEWARES = {
    "middlewares.conditional.ConditionalRequestMiddleware": 560,
    "middlewares.archive_replay.ArchiveReplayMiddleware": 940,
    "middlewares.archive.WarcArchiveMiddleware": 950,
    "middlewares.hostlimit.HostLimitMiddleware": 990,
}
# CONCURRENT_REQUESTS_PER_DOMAIN holds per host for every portal of the process together (portals
# sharing a host share its limit: middlewares.hostlimit); False: per portal, as Scrapy alone does.
HARVESTER_HOST_LIMIT_SHARED = True
ITEM_PIPELINES = {
    "pipelines.dedupe.KnownContentPipeline": 100,
    "pipelines.extract.ExtractPipeline": 300,
    "pipelines.store.StorePipeline": 800,
}

# Pages are archived, not cached: no HTTP cache, no cookies kept between portals.
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
# Scrapy's remote control (an HTTP server on localhost that runs code sent with a bearer token,
# leaving token files in ~/.local/state/scrapy/job_files): an archiver has no use for it.
REMOTE_CONTROL_ENABLED = False
# One CrawlContext per crawl: what its spider, middlewares and pipelines share (harvester.crawlcontext).
EXTENSIONS = {"scrapy.extensions.remote_control.RemoteControl": None, "harvester.crawlcontext.CrawlContext": 0}
# A <meta http-equiv="refresh"> must not replace the page: the spider stores the page as itself
# and decides about the refresh target (spiders.base).
METAREFRESH_ENABLED = False
# Scrapy checks every generator callback for "return <value>" by reading and parsing its source:
# once per crawler (one crawler per portal: thousands of parses a harvest), and, its cache being
# keyed by the bound method, once per response too (12% of the reactor thread in a crawl). The
# spiders' tests cover their callbacks instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
