"""Recognising one report at several locations: normalised-text digest, then simhash."""
import datetime as dt
import random

import pytest
from sqlalchemy import select

from harvester.similarity import distance, near_duplicate, normalise, simhash, text_digest
from storage.database import open_database, sqlite_url
from storage.models import Content, Document, Portal, ReportVersion
from storage.reports import record_report

T = dt.datetime(2025, 2, 1, tzinfo=dt.timezone.utc)
PARA = ("2024年,本机关认真贯彻落实《中华人民共和国政府信息公开条例》,全年主动公开政府信息1234条,"
        "新收政府信息公开申请17件,办结16件,结转下年度办理1件。因政府信息公开申请引发行政复议1件、行政诉讼2件。")


def _text(seed: int, n: int = 12) -> str:
    rng = random.Random(seed)
    words = ["政务公开", "依申请公开", "政策解读", "回应关切", "平台建设", "监督保障", "标准化", "规范化", "基层", "培训"]
    return PARA + "".join(f"({i}){rng.choice(words)}工作取得{rng.randint(1, 99)}项进展,{rng.choice(words)}持续深化。" for i in range(n))


def test_normalisation_ignores_layout_and_width():
    assert normalise("一、 总体情况\n（一）主动公开 ２０２４年") == normalise("一、总体情况(一)主动公开2024年")
    assert text_digest("报告  正文\n") == text_digest("报告正文")
    assert text_digest("") is None and simhash("") is None


def test_simhash_separates_near_duplicates_from_other_reports():
    a = _text(1)
    repost = a.replace("1234条", "1,234条").replace("(3)", "（3）") + "(转载自乡镇政府网站)"
    other = _text(2)
    assert near_duplicate(simhash(a), simhash(repost))
    assert distance(simhash(a), simhash(other)) > 3
    assert not near_duplicate(simhash(a), simhash(other))


def _content(s, sha, text, agency="司前镇人民政府", year=2024):
    c = Content(sha256=sha, size=len(text), extractor_version="t", text=text, is_annual_report=True,
                agency=agency, year=year, record={"text": text})
    s.add(c)
    return c


def _doc(s, url):
    d = Document(portal_id="p", url=url, kind="article", is_report=True)
    s.add(d)
    s.flush()
    return d


def test_a_slightly_altered_repost_joins_the_report_but_another_agency_or_year_does_not(tmp_path):
    db = open_database(sqlite_url(tmp_path / "h.db"))
    a = _text(1)
    with db.session() as s:
        s.add(Portal(id="p", name="县", url="http://127.0.0.1/"))
        s.flush()
        original = _doc(s, "http://127.0.0.1/town.html")
        assert record_report(s, original, _content(s, "1" * 64, a), T, None) == "new"
        repost = _doc(s, "http://127.0.0.1/county-repost.html")
        altered = a.replace("1234条", "1,234条") + "(转载)"
        assert record_report(s, repost, _content(s, "2" * 64, altered), T, None) == "location"
        assert repost.report_id == original.report_id
        same_text_other_agency = _doc(s, "http://127.0.0.1/other-agency.html")
        out = record_report(s, same_text_other_agency, _content(s, "3" * 64, altered + "。", agency="隆街镇人民政府"), T, None)
        assert out == "new" and same_text_other_agency.report_id != original.report_id
        next_year = _doc(s, "http://127.0.0.1/town-2025.html")
        assert record_report(s, next_year, _content(s, "4" * 64, altered + "!", year=2025), T, None) == "new"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = sqlite_url(tmp_path / "h.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = open_database(url)
    yield db
    db.dispose()


def test_a_repost_of_a_text_the_report_has_since_replaced_joins_it_and_versions_chain(store):
    """The digest of every version is looked up, not only the current one: a county that reposted
    the first edition after the township corrected its report still points at that report."""
    first, corrected = _text(1), _text(7)  # unlike enough that simhash alone would not join them
    assert not near_duplicate(simhash(first), simhash(corrected))
    later = T + dt.timedelta(days=30)
    with store.session() as s:
        s.add(Portal(id="p", name="县", url="http://127.0.0.1/"))
        s.flush()
        town = _doc(s, "http://127.0.0.1/town.html")
        assert record_report(s, town, _content(s, "1" * 64, first), T, None) == "new"
        town.current_sha256 = "1" * 64
        assert record_report(s, town, _content(s, "2" * 64, corrected), later, "1" * 64) == "changed"
        assert record_report(s, town, s.get(Content, "2" * 64), later, "2" * 64) == "unchanged"
        repost = _doc(s, "http://127.0.0.1/county-repost.html")
        assert record_report(s, repost, _content(s, "3" * 64, first + "\n"), later, None) == "location"
        assert repost.report_id == town.report_id
        s.flush()
        versions = [(v.document_id, v.content_sha256, v.previous_content_sha256)
                    for v in s.scalars(select(ReportVersion).order_by(ReportVersion.id))]
    assert versions == [(town.id, "1" * 64, None), (town.id, "2" * 64, "1" * 64), (repost.id, "3" * 64, None)]


def test_a_report_whose_current_text_matches_wins_over_one_that_had_it_once(store):
    """Two reports could take a text of unknown agency: the one showing that text now, not one
    that showed it once and has since become an empty (image-only) page."""
    a = _text(3)
    with store.session() as s:
        s.add(Portal(id="p", name="县", url="http://127.0.0.1/"))
        s.flush()
        emptied = _doc(s, "http://127.0.0.1/x-town.html")
        record_report(s, emptied, _content(s, "1" * 64, a, agency="司前镇人民政府"), T, None)
        emptied.current_sha256 = "1" * 64
        assert record_report(s, emptied, _content(s, "2" * 64, "", agency="司前镇人民政府"), T, "1" * 64) == "changed"
        showing = _doc(s, "http://127.0.0.1/y-town.html")
        assert record_report(s, showing, _content(s, "3" * 64, a, agency="隆街镇人民政府"), T, None) == "new"
        unknown = _doc(s, "http://127.0.0.1/unsigned-repost.html")
        assert record_report(s, unknown, _content(s, "4" * 64, a, agency=None), T, None) == "location"
        assert unknown.report_id == showing.report_id != emptied.report_id


def _simhash_by_definition(text: str):
    """Simhash as defined: each 4-gram's 64-bit hash votes +weight / -weight on every bit."""
    import hashlib

    norm = normalise(text)
    if len(norm) < 4:
        return None
    grams: dict[str, int] = {}
    for i in range(len(norm) - 3):
        grams[norm[i:i + 4]] = grams.get(norm[i:i + 4], 0) + 1
    weights = [0] * 64
    for gram, n in grams.items():
        h = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += n if (h >> bit) & 1 else -n
    value = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return value - (1 << 64) if value >= (1 << 63) else value


def test_simhash_is_the_stored_one_whatever_the_text():
    # stored simhashes must keep matching: the fast tally gives the definition's bits exactly
    texts = [_text(s, n) for s, n in ((1, 1), (2, 12), (3, 60))] + [PARA * 40, "abcd", "年度报告年度报告" * 50]
    for t in texts:
        assert simhash(t) == _simhash_by_definition(t)


def test_fingerprints_from_a_reader_process_are_the_ones_computed_here():
    from harvester import similarity

    text = _text(7, 20)
    key, digest, sh = similarity.fingerprints(text)
    assert (digest, sh) == (text_digest(text), simhash(text))
    similarity.remember(key, "d" * 64, 42)  # remembered values are used as they are…
    try:
        assert (text_digest(text), simhash(text)) == ("d" * 64, 42)
        assert simhash(_text(8, 20)) == _simhash_by_definition(_text(8, 20))  # …only for that text
    finally:
        similarity._memo.clear()
