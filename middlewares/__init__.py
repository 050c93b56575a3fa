"""Scrapy downloader middlewares of a crawl, in request order (settings.DOWNLOADER_MIDDLEWARES):

1. ``conditional.ConditionalRequestMiddleware`` (560): validators of the last capture, so an
   unchanged page costs a 304.
2. ``archive_replay.ArchiveReplayMiddleware`` (940): resuming an interrupted run, pages it
   captured come from the archive instead of the network.
3. ``archive.WarcArchiveMiddleware`` (950, next to the downloader): every response into WARC
   files, exactly as received.
4. ``hostlimit.HostLimitMiddleware`` (990, last): the per-host limit held for every portal of the
   process together (portals sharing a host share its places).

They share the crawl's ``harvester.crawlcontext.CrawlContext`` (run id, portal state).
"""
