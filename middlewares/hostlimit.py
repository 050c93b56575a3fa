"""Per-host politeness across every portal harvested by this process.

Scrapy keeps its per-host limit (``CONCURRENT_REQUESTS_PER_DOMAIN``) per crawler, and a harvest
runs one crawler per portal. Portals often share a host: a county site carries a disclosure
column per township and department, a provincial platform serves many agencies. Registered as
separate portals and harvested side by side, each portal's crawler would send its own 2
requests at once to the shared host.

This middleware holds one limit per host for the whole process: a request takes one of its
host's places before it goes to the downloader and gives it back when its answer (or its
failure) comes back. It sits last in the request direction (order 990), so no other middleware
can answer or drop a request between the taking and the giving back; the answers it sees
first. A request served by an earlier middleware (a page replayed from the archive) never
takes a place.

The host is Scrapy's own slot key for the request (its host name, or ``meta["download_slot"]``),
so this limit and Scrapy's per-crawler slots count the same thing. The first crawler to use a
host sets its limit (every crawler of a harvest has the same settings). A host with no request
in flight or waiting is forgotten: memory follows the hosts being fetched, not the registry.

Across processes and machines, portals sharing a host are never harvested at once: see
``harvester.locks`` (host leases).
"""
from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import CancelledError, DeferredSemaphore

META_KEY = "harvester_host_place"  # the place a request holds, until its answer comes back


class _Place:
    """One request's place at a host (given back once)."""

    __slots__ = ("host", "given_back")

    def __init__(self, host: str):
        self.host = host
        self.given_back = False


class HostPlaces:
    """The places of every host being fetched by this process (reactor thread only)."""

    def __init__(self) -> None:
        self._hosts: dict[str, DeferredSemaphore] = {}

    def take(self, host: str, limit: int):
        """A Deferred firing with a ``_Place`` at ``host`` when one is free (at once if one is)."""
        sem = self._hosts.get(host)
        if sem is None:
            sem = self._hosts[host] = DeferredSemaphore(max(1, limit))
        return sem.acquire().addCallback(lambda _: _Place(host))

    def give_back(self, place: _Place) -> None:
        if place.given_back:
            return
        place.given_back = True
        sem = self._hosts.get(place.host)
        if sem is None:
            return
        sem.release()  # may hand the place on at once, and its new holder give it back already
        if sem.tokens == sem.limit and not sem.waiting and self._hosts.get(place.host) is sem:
            del self._hosts[place.host]

    def busy(self, host: str) -> int:
        """Requests holding a place at ``host`` now."""
        sem = self._hosts.get(host)
        return 0 if sem is None else sem.limit - sem.tokens

    def __len__(self) -> int:
        return len(self._hosts)


PLACES = HostPlaces()  # one per process: shared by every crawler in it


class NotSent(IgnoreRequest):
    """A request dropped because its portal's crawl is stopping (blocked, a full disk): not an
    error of its own (the run records why it stopped), so the spider does not record it as one."""


class HostLimitMiddleware:
    def __init__(self, crawler, limit: int, places: HostPlaces = PLACES):
        self.crawler, self.limit, self.places = crawler, limit, places
        self.held: set[_Place] = set()
        self.waiting: set = set()
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler):
        limit = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        if limit <= 0:
            raise NotConfigured("no per-host limit (CONCURRENT_REQUESTS_PER_DOMAIN is 0)")
        if not crawler.settings.getbool("HARVESTER_HOST_LIMIT_SHARED", True):
            raise NotConfigured("per-host limits are per portal (HARVESTER_HOST_LIMIT_SHARED is off)")
        mw = cls(crawler, limit)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _host(self, request) -> str:
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        if downloader is not None:
            return downloader.get_slot_key(request)
        return request.meta.get("download_slot") or urlparse_cached(request).hostname or ""

    async def process_request(self, request):
        if self.closed:
            return None
        d = self.places.take(self._host(request), self.limit)
        self.waiting.add(d)
        try:
            place = await maybe_deferred_to_future(d)
        finally:
            self.waiting.discard(d)
        if self.closed:  # the crawl ended while it waited: nothing more is fetched for it
            self.places.give_back(place)
            raise CancelledError("the crawl ended")
        why = self._stopping()
        if why:  # a request queued before its portal was blocked waits no more, nor is it sent
            self.places.give_back(place)
            raise NotSent(f"not fetched: {why}")
        request.meta[META_KEY] = place
        self.held.add(place)
        return None

    def _stopping(self) -> str | None:
        """Why the portal's crawl fetches nothing more (Scrapy would still send every request
        already handed to its downloader when a spider closes), or None."""
        from storage.failure import GUARD

        if getattr(getattr(self.crawler, "spider", None), "blocked", False):
            return "the portal blocked the crawl"
        if GUARD.tripped:
            return f"the harvest is stopping ({GUARD.cause})"
        return None

    def _give_back(self, request) -> None:
        place = request.meta.pop(META_KEY, None)
        if place is not None:
            self.held.discard(place)
            self.places.give_back(place)

    def process_response(self, request, response):
        self._give_back(request)
        return response

    def process_exception(self, request, exception):
        self._give_back(request)
        return None

    def spider_closed(self, spider):
        """Places still held or waited for go back (Scrapy closes a spider once its requests
        have ended, so there should be none: this is the last guard against a leak that would
        slow every other portal on those hosts)."""
        self.closed = True
        for d in list(self.waiting):
            d.cancel()
        for place in list(self.held):
            self.places.give_back(place)
        self.held.clear()
