"""Regions: China's administrative divisions (GB/T 2260 codes) with their hierarchy, functional
zones placed in it, and names read as people write them.

The hierarchy is province → city → district (county level) for every region: a municipality
(上海市 310000) is both province and city, so its districts (闵行区 310112) hang directly under
it, and a county-level city directly under its province (仙桃市 under 湖北省) has no city.
Functional zones (临港新片区, the statistics bureau's development zones such as 苏州工业园区)
lie within their parent and no division below it; `outside-310000` is "somewhere outside
Shanghai", within nothing but itself. The data are package files (data/regions/, see the
README there), read once.

`read_region` accepts a code (310112, "310112", "310000-lingang"), the name (闵行区), the name
with its province or city (上海市闵行区, 上海闵行, 深圳南山, 浙江省杭州市), the short form (闵行,
浦东, 杭州, 临港) and huiqi's old district codes (minhang, lingang, outside_shanghai), full-width
characters and white space normalised. A name shared by several regions (朝阳区) is refused
naming them; an unknown one with a did-you-mean.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from huiqi.diagnostics import Bilingual
from huiqi.gcpause import paused_gc

Level = Literal["province", "city", "district", "zone", "elsewhere"]
LEVELS: dict[str, Level] = {lv: lv for lv in ("province", "city", "district", "zone", "elsewhere")}
DATA = Path(__file__).parent / "data" / "regions"


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    """The GB/T 2260 code (310112); a zone's parent code and a slug (310000-lingang); outside-310000."""
    name: str
    """The name (闵行区)."""
    level: Level
    parent: str | None
    short: str
    """The name as people write it short (闵行, 浦东, 杭州, 临港); the name where there is none."""
    name_en: str
    """Shanghai's districts as huiqi has named them (Minhang), else pinyin of the short name."""
    full_name: str
    """The name with its province and city (上海市闵行区, 浙江省杭州市西湖区)."""
    province: str | None
    """The province-level region it lies in (itself for a province; None for outside-310000)."""
    city: str | None
    """The city it lies in: itself for a city or a municipality, the municipality for its
    districts; None for a province and for a county-level city directly under its province."""


class RegionDataError(ValueError):
    """The package's region data are inconsistent (a bad parent, a duplicate code or alias)."""


@dataclass(frozen=True)
class Table:
    regions: Mapping[str, Region]
    children: Mapping[str, tuple[str, ...]]
    zones: Mapping[str, Any]
    """zones.yaml, read (its aliases and old codes are spellings)."""

    @cached_property
    def spellings(self) -> Spellings:
        """Built on the first reading of a name, not before: looking up codes needs none of it."""
        return _spellings(self.regions, self.zones)


@dataclass(frozen=True, slots=True)
class Spellings:
    best: Mapping[str, tuple[str, ...]]
    """Each spelling → the regions it names most plainly (a full name before a short form)."""
    every: Mapping[str, tuple[str, ...]]
    """Each spelling → every region it may name (for reading 青海河南: 河南 may be 河南县 there)."""


_ZONE_CODE = re.compile(r"\d{6}-[a-z][a-z0-9-]*")
_OUTSIDE_CODE = re.compile(r"outside-(\d{6})")
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def normalise(text: str) -> str:
    """Full-width characters to their plain forms (NFKC: （ → (, ３ → 3), white space removed,
    Latin letters lower-cased."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).lower()


def build(divisions: str, zones: str) -> Table:
    """The table from the text of divisions.csv and zones.yaml; RegionDataError names every
    inconsistency found in the zones file, or the first one in the divisions."""
    rows: list[tuple[str, str, str, Level, str | None, str, str | None]] = []
    reader = csv.reader(line for line in divisions.splitlines() if not line.startswith("#"))
    if next(reader, None) != ["code", "name", "short", "level", "parent", "name_en"]:
        raise RegionDataError("divisions.csv: expected the columns code, name, short, level, parent, name_en")
    for code, name, short, level, up, name_en in reader:
        if level not in LEVELS:
            raise RegionDataError(f"divisions.csv: {code}: unknown level {level!r}")
        rows.append((code, name, short, LEVELS[level], up or None, name_en, None))
    codes = {row[0] for row in rows}
    data = yaml.load(zones, Loader=_SAFE_LOADER) or {}
    rows += _zones(data, codes)
    seen: set[str] = set()
    for code, name, _, _, up_, _, _ in rows:
        if code in seen:
            raise RegionDataError(f"region code {code} ({name}) appears twice")
        seen.add(code)
        if up_ is not None and up_ not in codes:
            raise RegionDataError(f"region {code} ({name}): parent {up_} is not a known region")
    by_code = {row[0]: row for row in rows}

    chains: dict[str, tuple[str, ...]] = {}

    def chain(code: str, depth: int = 0) -> tuple[str, ...]:  # root first, the code last
        if code not in chains:
            if depth > 4:
                raise RegionDataError(f"region {code}: its parents go round in a circle")
            up = by_code[code][4]
            chains[code] = (*chain(up, depth + 1), code) if up else (code,)
        return chains[code]

    regions: dict[str, Region] = {}
    children: dict[str, list[str]] = {}
    for code, name, short, level, parent, name_en, full in rows:
        path = chain(code)
        city = next((c for c in path if by_code[c][3] == "city"), None)
        if city is None and path[0] in _MUNICIPALITIES:
            city = path[0]
        regions[code] = Region(
            code=code,
            name=name,
            level=level,
            parent=parent,
            short=short,
            name_en=name_en,
            full_name=full or "".join(by_code[c][1] for c in path),
            province=None if level == "elsewhere" else path[0],
            city=city,
        )
        if parent:
            children.setdefault(parent, []).append(code)
    return Table(regions, {k: tuple(v) for k, v in children.items()}, data)


_MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})


def _zones(data: Any, codes: set[str]) -> list[tuple[str, str, str, Level, str | None, str, str | None]]:
    """The zones and elsewhere entries of zones.yaml, checked: every problem named at once."""
    problems: list[str] = []
    out: list[tuple[str, str, str, Level, str | None, str, str | None]] = []
    if not isinstance(data, dict) or set(data) - {"zones", "elsewhere", "legacy_codes"}:
        raise RegionDataError("zones.yaml: expected a mapping with zones, elsewhere and legacy_codes")
    known = set(codes)
    for kind in ("zones", "elsewhere"):
        for i, entry in enumerate(data.get(kind) or []):
            where = f"zones.yaml: {kind}[{i}]"
            if not isinstance(entry, dict):
                problems.append(f"{where}: expected a mapping")
                continue
            where += f" ({entry.get('code')})"
            allowed = {"code", "name", "full_name", "short", "name_en", "aliases"} | (
                {"parent"} if kind == "zones" else {"outside"}
            )
            if extra := set(entry) - allowed:
                problems.append(f"{where}: unknown keys {sorted(extra)}; allowed: {sorted(allowed)}")
            code, name = str(entry.get("code", "")), entry.get("name")
            if not isinstance(name, str) or not name:
                problems.append(f"{where}: a name is required")
                continue
            aliases = entry.get("aliases") or []
            if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
                problems.append(f"{where}: aliases must be a list of names")
            if kind == "zones":
                parent = str(entry.get("parent", ""))
                if parent not in known:
                    problems.append(f"{where}: parent {parent!r} is not a known region")
                elif not _ZONE_CODE.fullmatch(code) or not code.startswith(parent + "-"):
                    problems.append(f"{where}: the code must be the parent's code, '-' and a slug: {parent}-name")
                out.append(
                    (
                        code,
                        name,
                        str(entry.get("short") or name),
                        "zone",
                        parent,
                        str(entry.get("name_en") or name),
                        entry.get("full_name"),
                    )
                )
            else:
                outside = str(entry.get("outside", ""))
                match = _OUTSIDE_CODE.fullmatch(code)
                if outside not in known:
                    problems.append(f"{where}: outside {outside!r} is not a known region")
                elif not match or match.group(1) != outside:
                    problems.append(f"{where}: the code must be outside-{outside}")
                out.append(
                    (
                        code,
                        name,
                        str(entry.get("short") or name),
                        "elsewhere",
                        None,
                        str(entry.get("name_en") or name),
                        None,
                    )
                )
            if code in known:
                problems.append(f"{where}: code {code} appears twice")
            known.add(code)
    legacy = data.get("legacy_codes") or {}
    if not isinstance(legacy, dict):
        problems.append("zones.yaml: legacy_codes must map old codes to region codes")
    else:
        problems += [
            f"zones.yaml: legacy_codes: {old}: {new!r} is not a known region"
            for old, new in legacy.items()
            if str(new) not in known
        ]
    if problems:
        raise RegionDataError("\n".join(problems))
    return out


def _spellings(regions: Mapping[str, Region], data: Any) -> Spellings:
    """Every spelling with its tier: 0 the code, name, full name, aliases and old codes; 1 the
    short form (an autonomous county's with its 县/州/旗: 河南县); 2 an autonomous county's bare
    short form (河南, which is first the province)."""
    ranked: dict[str, dict[str, int]] = {}

    def add(key: str, code: str, tier: int) -> None:  # key: normalised
        codes = ranked.get(key)
        if codes is None:
            ranked[key] = {code: tier}
        elif tier < codes.get(code, 3):
            codes[code] = tier

    for r in regions.values():
        # the vendored names are normalised already (tests/test_regions.py checks it); zones' may not be
        fix = normalise if r.level in ("zone", "elsewhere") else str
        for text in (r.code, r.name, r.full_name):
            add(fix(text), r.code, 0)
        if len(r.short) >= 2 and r.short != r.name:
            autonomous = "自治" in r.name and r.level in ("city", "district")
            if autonomous:
                add(fix(r.short + r.name[-1]), r.code, 1)
            add(fix(r.short), r.code, 2 if autonomous else 1)
    for kind in ("zones", "elsewhere"):
        for entry in data.get(kind) or []:
            for alias in entry.get("aliases") or []:
                existing = ranked.get(normalise(alias), {})
                if any(t == 0 and c != entry["code"] for c, t in existing.items()):
                    raise RegionDataError(
                        f"zones.yaml: {entry['code']}: alias {alias!r} already names {sorted(existing)}"
                    )
                add(normalise(alias), str(entry["code"]), 0)
    for old, new in (data.get("legacy_codes") or {}).items():
        add(normalise(str(old)), str(new), 0)
    best: dict[str, tuple[str, ...]] = {}
    every: dict[str, tuple[str, ...]] = {}
    for text, codes in ranked.items():
        if len(codes) == 1:
            best[text] = every[text] = tuple(codes)
        else:
            top = min(codes.values())
            best[text] = tuple(sorted(c for c, t in codes.items() if t == top))
            every[text] = tuple(sorted(codes))
    return Spellings(best, every)


@cache
def table() -> Table:
    """The package's region data, read and checked once (the collector paused: ~20,000 objects
    that all live on)."""
    with paused_gc():
        return build((DATA / "divisions.csv").read_text("utf-8"), (DATA / "zones.yaml").read_text("utf-8"))


def all_regions() -> Mapping[str, Region]:
    return table().regions


def region(code: str) -> Region:
    """The region of a code; KeyError for an unknown one."""
    return table().regions[code]


def ancestors(code: str) -> tuple[str, ...]:
    """The codes the region lies in, nearest first (闵行区: 上海市); not the code itself."""
    regions = table().regions
    found: list[str] = []
    parent = regions[code].parent
    while parent is not None:
        found.append(parent)
        parent = regions[parent].parent
    return tuple(found)


def within(inner: str, outer: str) -> bool:
    """Whether region inner lies in region outer (a region lies in itself)."""
    region(outer)
    return inner == outer or outer in ancestors(inner)


@lru_cache(maxsize=1024)
def codes_within(outer: str) -> frozenset[str]:
    """Every code inside outer, zones included, and outer itself: a jurisdiction check is
    `code IN codes_within(jurisdiction)`."""
    t = table()
    region(outer)
    found: set[str] = set()
    todo = [outer]
    while todo:
        code = todo.pop()
        found.add(code)
        todo.extend(t.children.get(code, ()))
    return frozenset(found)


def display(code: str, lang: str = "zh") -> str:
    """The full name (上海市闵行区); in English, the names from the region outwards (Minhang,
    Shanghai; Xihu, Hangzhou, Zhejiang)."""
    r = region(code)
    if lang != "en":
        return r.full_name
    return ", ".join(region(c).name_en for c in (code, *ancestors(code)))


def read_region(raw: object, prefer: str | None = None) -> Region:
    """The region a code or name names, as people write them; Bilingual for an unknown or
    ambiguous one. prefer: where a name is shared, the one region of them inside prefer wins
    (普陀区 is Shanghai's and Zhoushan's; read for a Shanghai form, prefer="310000")."""
    if isinstance(raw, Region):
        return raw
    if raw is None:
        raise Bilingual("地区未填", "no region given")
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _unknown(raw, ())
    text = normalise(str(raw))
    if not text:
        raise Bilingual("地区未填", "no region given")
    if re.fullmatch(r"\d{6}000000", text):
        text = text[:6]  # a 12-digit statistical code of a county or above
    codes = _lookup(text)
    if len(codes) > 1 and prefer is not None:
        inside = [c for c in codes if within(c, prefer)]
        codes = tuple(inside) if len(inside) == 1 else codes
    if len(codes) == 1:
        return region(codes[0])
    if codes:
        names = [f"{region(c).full_name} ({c})" for c in codes]
        # No example picked: the first of the list (by code) would push every 南山区 to Heilongjiang.
        raise Bilingual(
            f"{raw!r} 可指多个地区: {'、'.join(names)}; 请写明所属省市(写成以上全称之一)或代码",
            f"{raw!r} names several regions: {', '.join(names)}; write it with its province or city"
            " (one of the full names above) or its code",
        )
    raise _unknown(raw, _suggestions(text))


@lru_cache(maxsize=8192)
def _lookup(text: str) -> tuple[str, ...]:
    """A dict lookup for every plain spelling; else the text read as an outer region's name
    followed by an inner one's (上海闵行, 广东深圳南山)."""
    t = table().spellings
    return t.best.get(text) or tuple(sorted(_split(text, t)))


def _split(text: str, t: Spellings) -> set[str]:
    found: set[str] = set()
    for i in range(2, len(text) - 1):
        heads = t.every.get(text[:i])
        if not heads:
            continue
        tail = text[i:]
        inner = t.every.get(tail) or tuple(_split(tail, t))
        found |= {c for c in inner if any(h != c and within(c, h) for h in heads)}
    return found


HOME = "310000"
"""huiqi's home: among equally close suggestions, Shanghai's regions come first."""


def _suggestions(text: str) -> tuple[str, ...]:
    """Up to five regions whose spellings are closest to text (difflib's ratio at least 0.5); a
    code is compared with the codes of the same province."""
    if not text:
        return ()
    best = table().spellings.best
    digits = text.isdigit()
    matcher = difflib.SequenceMatcher(b=text, autojunk=False)
    scored: list[tuple[float, bool, str]] = []
    for key, codes in best.items():
        if digits != key.isdigit() or (key[:2] != text[:2] if digits else not any(ch in key for ch in text)):
            continue
        matcher.set_seq1(key)
        if matcher.real_quick_ratio() >= 0.5 and matcher.quick_ratio() >= 0.5 and (ratio := matcher.ratio()) >= 0.5:
            scored += [(-ratio, not within(code, HOME), code) for code in codes]
    found: list[str] = []
    for _, _, code in sorted(scored):
        if code not in found:
            found.append(code)
    return tuple(found[:5])


def _unknown(raw: object, suggestions: tuple[str, ...]) -> Bilingual:
    names = [region(c).full_name for c in suggestions]
    zh = f"未知地区 {raw!r}"
    en = f"{raw!r} is not a known region"
    if names:
        zh += f"; 是否指: {'、'.join(names)}?"
        en += f"; did you mean: {', '.join(names)}?"
    zh += "; 可填地区代码 (如 310112) 或名称 (如 闵行、闵行区、上海市闵行区)"
    en += "; write a 6-digit code (310112) or a name (闵行, 闵行区, 上海市闵行区)"
    return Bilingual(zh, en)
