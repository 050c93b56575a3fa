"""The per-host limit shared by every crawler of the process (middlewares.hostlimit), in the
reactor-free way its places are taken and given back. The harvest-level behaviour (portals
sharing a host never exceed its limit together) is tested in test_politeness."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http import Response
from twisted.internet.defer import CancelledError, Deferred

from middlewares.hostlimit import META_KEY, HostLimitMiddleware, HostPlaces


@pytest.fixture(autouse=True, scope="module")
def harvest_reactor():
    """The reactor a harvest runs (harvester.settings.TWISTED_REACTOR), never started here: the
    middleware asks which one is installed before it waits."""
    import sys

    if "twisted.internet.reactor" not in sys.modules:
        from scrapy.utils.reactor import install_reactor

        install_reactor("twisted.internet.epollreactor.EPollReactor")


def fired(d: Deferred):
    out = []
    d.addBoth(out.append)
    return out


def test_a_host_has_at_most_its_limit_of_places():
    places = HostPlaces()
    first, second, third = (fired(places.take("a.gov.cn", 2)) for _ in range(3))
    assert len(first) == 1 and len(second) == 1
    assert third == []  # waits
    assert places.busy("a.gov.cn") == 2
    places.give_back(first[0])
    assert len(third) == 1 and places.busy("a.gov.cn") == 2


def test_other_hosts_do_not_wait():
    places = HostPlaces()
    for _ in range(2):
        places.take("a.gov.cn", 2)
    assert len(fired(places.take("b.gov.cn", 2))) == 1


def test_a_place_given_back_twice_counts_once():
    places = HostPlaces()
    a = fired(places.take("a.gov.cn", 2))[0]
    fired(places.take("a.gov.cn", 2))
    places.give_back(a)
    places.give_back(a)
    assert places.busy("a.gov.cn") == 1


def test_idle_hosts_are_forgotten():
    """Memory follows the hosts being fetched, not every host ever fetched."""
    places = HostPlaces()
    taken = [fired(places.take(f"h{i}.gov.cn", 2))[0] for i in range(100)]
    assert len(places) == 100
    for p in taken:
        places.give_back(p)
    assert len(places) == 0


def _middleware(places: HostPlaces, limit: int = 1, spider=None) -> HostLimitMiddleware:
    crawler = SimpleNamespace(engine=None, spider=spider)
    return HostLimitMiddleware(crawler, limit, places)


def _request(url="http://a.gov.cn/x.html") -> Request:
    return Request(url)


def test_the_answer_gives_the_place_back():
    places = HostPlaces()
    mw = _middleware(places)
    first, second = _request(), _request("http://a.gov.cn/y.html")
    got_first = fired(Deferred.fromCoroutine(mw.process_request(first)))
    got_second = fired(Deferred.fromCoroutine(mw.process_request(second)))
    assert got_first == [None] and got_second == []  # limit 1: the second waits
    assert META_KEY in first.meta
    mw.process_response(first, Response(first.url, request=first))
    assert got_second == [None]  # now it goes
    assert META_KEY not in first.meta  # a redirect or retry copying the meta holds no place
    mw.process_exception(second, ConnectionError("refused"))
    assert places.busy("a.gov.cn") == 0


def test_an_answer_served_without_a_place_gives_nothing_back():
    """A page replayed from the archive by an earlier middleware never took a place."""
    places = HostPlaces()
    mw = _middleware(places)
    held = _request()
    fired(Deferred.fromCoroutine(mw.process_request(held)))
    replayed = _request("http://a.gov.cn/old.html")
    mw.process_response(replayed, Response(replayed.url, request=replayed))
    assert places.busy("a.gov.cn") == 1


def test_a_crawl_that_ends_gives_back_its_places_and_stops_waiting():
    """A portal stopped with requests on the way does not keep its host from the other portals."""
    places = HostPlaces()
    stopped, other = _middleware(places), _middleware(places)
    fired(Deferred.fromCoroutine(stopped.process_request(_request())))
    waiting = fired(Deferred.fromCoroutine(stopped.process_request(_request("http://a.gov.cn/2.html"))))
    others = fired(Deferred.fromCoroutine(other.process_request(_request("http://a.gov.cn/3.html"))))
    assert waiting == [] and others == []
    stopped.spider_closed(None)
    assert len(waiting) == 1 and waiting[0].check(CancelledError)
    assert others == [None]  # the other portal got the host
    assert places.busy("a.gov.cn") == 1


def test_requests_waiting_when_their_portal_blocks_are_not_sent():
    """A portal that answered with a block (its spider closes): its requests still waiting for a
    place are dropped, not sent one by one behind the other portals on the host."""
    from scrapy.exceptions import IgnoreRequest

    places = HostPlaces()
    spider = SimpleNamespace(blocked=False)
    mw, other = _middleware(places, spider=spider), _middleware(places)
    first = _request()
    fired(Deferred.fromCoroutine(mw.process_request(first)))
    queued = fired(Deferred.fromCoroutine(mw.process_request(_request("http://a.gov.cn/2.html"))))
    spider.blocked = True
    mw.process_response(first, Response(first.url, request=first))
    assert len(queued) == 1 and queued[0].check(IgnoreRequest)
    assert "blocked" in queued[0].getErrorMessage()
    assert fired(Deferred.fromCoroutine(other.process_request(_request("http://a.gov.cn/3.html")))) == [None]


@pytest.mark.parametrize("limit", [0, -1])
def test_no_per_host_limit_means_no_middleware(limit):
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    with pytest.raises(NotConfigured):
        HostLimitMiddleware.from_crawler(get_crawler(settings_dict={"CONCURRENT_REQUESTS_PER_DOMAIN": limit}))
