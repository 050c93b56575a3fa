"""The portal registry: valid files load, every mistake is named with its entry and field."""
from pathlib import Path

import pytest

from harvester.registry import DEFAULT_REGISTRY, RegistryError, load_registry, parse_registry, select

GOOD = """
[[portal]]
id = "a"
name = "甲市人民政府"
url = "http://127.0.0.20:8080/"

[[portal]]
id = "b-2"
name = "乙县人民政府"
url = "https://b.example.gov.cn/"
columns = ["https://b.example.gov.cn/xxgk/gknb/index.html"]
family = "trs"
"""


def test_valid_registry_loads_all_fields():
    a, b = parse_registry(GOOD)
    assert (a.id, a.name, a.url, a.columns, a.family) == ("a", "甲市人民政府", "http://127.0.0.20:8080/", (), None)
    assert b.columns == ("https://b.example.gov.cn/xxgk/gknb/index.html",)
    assert b.family == "trs"


@pytest.mark.parametrize(
    "entry, message",
    [
        ('id = "x y"\nname = "n"\nurl = "http://a/"', "portal #1 (id 'x y'): field 'id'"),
        ('id = "x"\nurl = "http://a/"', "portal #1 (id 'x'): field 'name'"),
        ('id = "x"\nname = "n"\nurl = "ftp://a/"', "field 'url' must be an http(s) URL of the homepage, got 'ftp://a/'"),
        ('id = "x"\nname = "n"\nurl = "http://a/"\ncolumns = "http://a/c"', "field 'columns' must be a list"),
        ('id = "x"\nname = "n"\nurl = "http://a/"\ncolumns = ["nope"]', "field 'columns' has 'nope'"),
        ('id = "x"\nname = "n"\nurl = "http://a/"\nfamily = "wordpress"', "field 'family' must be one of trs, hanweb, gkmlpt, generic"),
        ('id = "x"\nname = "n"\nurl = "http://a/"\ncolour = "red"', "unknown field(s) ['colour']"),
    ],
)
def test_invalid_entry_names_entry_and_field(entry, message):
    with pytest.raises(RegistryError) as exc:
        parse_registry("[[portal]]\n" + entry, "reg.toml")
    assert str(exc.value).startswith("reg.toml: ")
    assert message in str(exc.value)


def test_duplicate_ids_are_rejected():
    text = GOOD + '\n[[portal]]\nid = "a"\nname = "again"\nurl = "http://c/"\n'
    with pytest.raises(RegistryError, match=r"portal #3 \(id 'a'\): field 'id' duplicates portal #1"):
        parse_registry(text)


def test_not_toml_and_empty(tmp_path: Path):
    bad = tmp_path / "r.toml"
    bad.write_text("[[portal]\nid=", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid TOML"):
        load_registry(bad)
    with pytest.raises(RegistryError, match="no \\[\\[portal\\]\\] entries"):
        parse_registry("")


def test_unreadable_files(tmp_path: Path):
    with pytest.raises(RegistryError, match="portal registry not found"):
        load_registry(tmp_path / "missing.toml")
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('[[portal]]\nid="a"\nname="政府"\nurl="http://a/"\n'.encode("gbk"))
    with pytest.raises(RegistryError, match="not UTF-8"):
        load_registry(gbk)


def test_select_unknown_portal_lists_known_ones():
    entries = parse_registry(GOOD)
    assert [e.id for e in select(entries, ["b-2"])] == ["b-2"]
    with pytest.raises(RegistryError, match="unknown portal id\\(s\\): zz \\(registry has: a, b-2\\)"):
        select(entries, ["zz"])


def test_shipped_registry_is_valid():
    entries = load_registry(DEFAULT_REGISTRY)
    assert len(entries) >= 3
    assert all(e.url.startswith("http") for e in entries)


def test_a_registry_saved_with_a_utf8_bom_loads(tmp_path: Path):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.lstrip().encode("utf-8"))
    assert [e.id for e in load_registry(bom)] == ["a", "b-2"]
    assert [e.name for e in parse_registry("\ufeff" + GOOD)] == ["甲市人民政府", "乙县人民政府"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "政" * 201, "field 'name' is 201 characters long; at most 200 allowed"),
        ("url", "http://a/" + "x" * 2040, "field 'url' is 2049 characters long; at most 2048 allowed"),
        ("robots_reason", "r" * 1001, "field 'robots_reason' is 1001 characters long; at most 1000 allowed"),
    ],
)
def test_overlong_fields_are_refused_naming_file_entry_and_field(field, value, message):
    fields = {"id": "x", "name": "n", "url": "http://a/", "robots": "ignore", "robots_reason": "agreed"}
    fields[field] = value
    text = "[[portal]]\n" + "".join(f'{k} = "{v}"\n' for k, v in fields.items())
    with pytest.raises(RegistryError) as exc:
        parse_registry(text, "reg.toml")
    assert str(exc.value).startswith("reg.toml: portal #1 (id 'x'): ")
    assert message in str(exc.value)
    assert len(str(exc.value)) < 300  # the value is not copied into the message


def test_a_huge_name_or_id_gives_a_short_message(tmp_path: Path):
    huge = tmp_path / "huge.toml"
    huge.write_text(f'[[portal]]\nid = "a"\nname = "{"名" * 10_000_000}"\nurl = "http://a/"\n', encoding="utf-8")
    with pytest.raises(RegistryError) as exc:
        load_registry(huge)
    assert str(exc.value).startswith(f"{huge}: portal #1 (id 'a'): field 'name' is 10000000 characters long; at most 200")
    assert len(str(exc.value)) < 400
    with pytest.raises(RegistryError) as exc:
        parse_registry(f'[[portal]]\nid = "{"x" * 100_000}"\nname = "n"\nurl = "http://a/"\n', "reg.toml")
    assert "field 'id' must be 1-64 letters" in str(exc.value) and "(100000 characters)" in str(exc.value)
    assert len(str(exc.value)) < 400


def test_many_columns_are_refused():
    cols = ", ".join(f'"http://a/c{i}/"' for i in range(201))
    with pytest.raises(RegistryError, match=r"field 'columns' has 201 URLs; at most 200 allowed"):
        parse_registry(f'[[portal]]\nid = "x"\nname = "n"\nurl = "http://a/"\ncolumns = [{cols}]\n', "reg.toml")
