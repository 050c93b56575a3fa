"""The simulated portals of every family answer as their platforms do (plain HTTP, no harvester)."""
from __future__ import annotations

import json
import urllib.request

import pytest

from harvester.sim import SimServer
from harvester.sim.variants import build_family_universe
from tests.sim.helpers import fetch


@pytest.fixture(scope="module")
def fam():
    u = build_family_universe(seed=2026)
    with SimServer(u, first_host=140) as srv:
        yield u, srv


def test_same_seed_same_bytes():
    a, b = (build_family_universe(seed=5, per_family=1, blocking=()) for _ in range(2))
    assert [{k: v.body for k, v in p.pages.items()} for p in a.portals] == [{k: v.body for k, v in p.pages.items()} for p in b.portals]


def test_every_family_is_there_with_attachment_and_image_reports(fam):
    u, _ = fam
    kinds = {(p.family, r.presentation) for p in u.portals if not p.block for r in p.reports}
    assert kinds == {(f, k) for f in ("trs", "hanweb", "gkmlpt", "generic") for k in ("html", "attachment", "image")}


def test_attachment_needs_a_same_site_referer(fam):
    u, srv = fam
    p = u.portal("sim-hanweb-1")
    r = next(r for r in p.reports if r.attachment_paths)
    url = srv.url(p.id, r.attachment_paths[0])
    assert (fetch(url).status, fetch(url, headers={"Referer": srv.url(p.id, r.path)}).status) == (403, 200)


def test_hanweb_dataproxy_answers_a_post_with_the_records_asked_for(fam):
    u, srv = fam
    p = u.portal("sim-hanweb-1")
    url = srv.url(p.id, "/module/web/jpage/dataproxy.jsp?page=1&columnid=1075&unitid=4000")
    req = urllib.request.Request(url, data=b"startrecord=3&endrecord=4&perpage=2", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        xml = resp.read().decode()
    assert xml.count("<record>") == 2 and f"<totalrecord>{len(p.column_items['/col/col1075/index.html'])}</totalrecord>" in xml


def test_gkmlpt_api_pages_and_counts(fam):
    u, srv = fam
    p = u.portal("sim-gkmlpt-1")
    html = fetch(srv.url(p.id, "/gkmlpt/index")).body.decode()
    sid = html.split("SID:'", 1)[1].split("'", 1)[0]
    data = json.loads(fetch(srv.url(p.id, f"/gkmlpt/api/all/2741?page=1&sid={sid}")).body)
    assert (data["classify"]["post_count"], len(data["articles"])) == (len(p.column_items["/gkmlpt/index#2741"]), 3)


def test_generic_endless_portal_answers_any_page_number(fam):
    u, srv = fam
    p = next(p for p in u.portals if p.family == "generic" and p.plan.list_style == 2)
    assert fetch(srv.url(p.id, "/zfxxgk/ndbg/list_99.shtml")).status == 200


@pytest.mark.parametrize("pid, status", [("sim-blocked-403", 403), ("sim-blocked-521", 521)])
def test_blocking_portals(fam, pid, status):
    _, srv = fam
    assert fetch(srv.url(pid, "/")).status == status


def test_blocking_portal_lets_browsers_in(fam):
    _, srv = fam
    assert fetch(srv.url("sim-blocked-403", "/"), headers={"User-Agent": "Mozilla/5.0"}).status == 200
