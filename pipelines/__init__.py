"""Scrapy components between a fetched page and the store, in crawl order:

1. ``archive.WarcArchiveMiddleware`` (downloader middleware): raw bytes into WARC files.
2. ``dedupe.KnownContentPipeline``: bodies already read are not read again.
3. ``extract.ExtractPipeline``: text, metadata and the report parser, in worker threads.
4. ``store.StorePipeline``: documents, snapshots, contents and the crawl run in the database.
"""
