"""Scrapy item pipelines between a fetched (and archived: ``middlewares.archive``) page and the
store, in crawl order:

1. ``dedupe.KnownContentPipeline``: bodies already read are not read again.
2. ``extract.ExtractPipeline``: text, metadata and the report parser, in worker processes
   (``harvester.readpool``).
3. ``store.StorePipeline``: the crawl run, and each page through ``storage.ingest``.
"""
