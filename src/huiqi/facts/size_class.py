"""The national enterprise size classes (大型/中型/小型/微型) from employees, revenue and assets.

The table and its rules are data (`huiqi/data/enterprise_size/`: `classification.yaml` encodes the table
of 《统计上大中小微型企业划分办法（2017）》, 国统字〔2017〕213号, quoted verbatim from `source.txt`); this
module reads it once and applies it, with no other I/O. The rules, from the table's 说明 1 and the
National Bureau of Statistics' own reading of it:

* 「大型、中型和小型企业须同时满足所列指标的下限，否则下划一档」, 「若一项不满足则下划一档，直至完全
  满足为止」: each indicator gives a class (the highest whose lower bound it meets); the enterprise is
  the lowest of them.
* 「微型企业只须满足所列指标中的一项即可」: one indicator in the 微型 column makes the enterprise 微型,
  so it is known even when the other indicators are not.

Industries are the table's rows (工业 covers 采矿业/制造业/电力、热力、燃气及水生产和供应业, …, 说明 2);
an industry without a row of its own that 说明 2 lists under 其他未列明行业 (科学研究和技术服务业, …) is
read as that row. Text naming no row (金融业, 教育, 铁路运输业, …) is refused, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path as FilePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from huiqi.diagnostics import (
    Bilingual,
    Diagnostic,
    InputError,
    SourceDoc,
    parse_model,
)
from huiqi.money import format_wan

SizeClass = Literal["large", "medium", "small", "micro"]
"""大型, 中型, 小型, 微型."""

Indicator = Literal["employees", "revenue", "assets"]
"""从业人员 (persons), 营业收入 (yuan), 资产总额 (yuan)."""

SIZE_CLASSES: tuple[SizeClass, ...] = ("large", "medium", "small", "micro")
"""Largest first: the order the table's columns are read in."""

SIZE_LABELS: Mapping[SizeClass, tuple[str, str]] = {
    "large": ("大型", "large"),
    "medium": ("中型", "medium"),
    "small": ("小型", "small"),
    "micro": ("微型", "micro"),
}

STARTUP_YEARS = 5
"""The default reading of 初创企业: founded at most this many years before (see `is_startup`)."""

DATA_DIR = FilePath(__file__).resolve().parent.parent / "data" / "enterprise_size"


def size_label(size: SizeClass, lang: str = "zh") -> str:
    """'中型' (zh) or 'medium' (en)."""
    zh, en = SIZE_LABELS[size]
    return zh if lang == "zh" else en


def read_size(raw: object) -> SizeClass:
    """A size class given as its code (medium), Chinese (中型, 中型企业) or English label."""
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip().lower().removesuffix("企业")
        for size, (zh, en) in SIZE_LABELS.items():
            if text in (size, zh, en, zh[0]):
                return size
    raise Bilingual(
        f"无法识别企业规模 {raw!r}；可填：大型、中型、小型、微型 (large, medium, small, micro)",
        f"{raw!r} is not a size class; write one of: large, medium, small, micro (大型、中型、小型、微型)",
    )


def is_sme(size: SizeClass) -> bool:
    """中小企业: 中型、小型和微型企业.

    《中华人民共和国中小企业促进法》第二条: 「本法所称中小企业，是指在中华人民共和国境内依法设立的，人员
    规模、经营规模相对较小的企业，包括中型企业、小型企业和微型企业。」 So a policy's 中小企业 and
    中小微企业 are the same set; only 大型 is outside it."""
    return size != "large"


def is_small_or_micro(size: SizeClass) -> bool:
    """小微企业: 小型和微型企业 (a policy that says 小微 leaves 中型 out)."""
    return size in ("small", "micro")


def is_startup(founded: date, as_of: date, years: int = STARTUP_YEARS) -> bool:
    """初创企业, read as: founded at most `years` whole years before `as_of` (the anniversary day counts).

    A documented reading, not a national definition: the compute-voucher texts found (e.g. 上海市进一步
    扩大人工智能应用的若干措施, 2025: 「按照"补早补小"原则，市区协同给予最多1年、最高100%的租金补贴」)
    favour early and small enterprises without fixing an age. The default follows the one national
    figure for a startup, 财税〔2018〕55号 (创业投资企业和天使投资个人有关税收政策) on 初创科技型企业:
    「接受投资时设立时间不超过5年（60个月）」. The engine is to expose `years` as an overridable
    interpretation; a policy that states its own age (e.g. 成立未满3年) should use it.

    A 29 February founding reaches its anniversary on 28 February in common years. `as_of` before
    `founded` is refused: the enterprise did not exist yet."""
    if years < 0:
        raise Bilingual(f"年限不能为负数：{years}", f"years cannot be negative: {years}")
    if as_of < founded:
        raise Bilingual(
            f"评估日期 {as_of} 早于成立日期 {founded}",
            f"the date asked about, {as_of}, is before the founding, {founded}",
        )
    try:
        anniversary = founded.replace(year=founded.year + years)
    except ValueError:  # 29 February, and the anniversary year is not a leap year
        anniversary = date(founded.year + years, 2, 28)
    return as_of <= anniversary


# ---- the data ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    code: Indicator
    zh: str
    en: str
    symbol: str
    unit_zh: str
    """人 or 万元 as the table writes it (the stored thresholds are persons and yuan)."""


@dataclass(frozen=True, slots=True)
class Threshold:
    """One row of the table: the lower bounds of 大型, 中型 and 小型 for one indicator (below 小型: 微型)."""

    indicator: Indicator
    large: Decimal
    medium: Decimal
    small: Decimal
    quote: str
    """The row as the table writes it: 「从业人员(X) 人 X≥1000 300≤X<1000 20≤X<300 X<20」."""

    def size_of(self, value: int | Decimal) -> SizeClass:
        """The class this one indicator reaches."""
        if value >= self.large:
            return "large"
        if value >= self.medium:
            return "medium"
        if value >= self.small:
            return "small"
        return "micro"

    def bounds(self, size: SizeClass) -> tuple[Decimal | None, Decimal | None]:
        """(lower bound, upper bound) of a class for this indicator; None where open."""
        return {
            "large": (self.large, None),
            "medium": (self.medium, self.large),
            "small": (self.small, self.medium),
            "micro": (None, self.small),
        }[size]


@dataclass(frozen=True, slots=True)
class Industry:
    """A row (or combined row, 带*的项) of the table."""

    code: str
    zh: str
    en: str
    table_name: str
    """The 行业名称 cell as the table writes it (工业*)."""
    thresholds: tuple[Threshold, ...]
    synonyms: tuple[str, ...] = ()
    """Other names people write that the text puts in this row (制造业 for 工业)."""
    gb_codes: tuple[str, ...] = ()
    """GB/T 4754-2017 codes of the row (门类 letter, 大类/中类/小类 digits)."""
    scope_quote: str | None = None
    """For a combined row, what 说明 2 says it includes."""

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(t.indicator for t in self.thresholds)

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class Classification:
    """The whole table, as loaded and checked."""

    title: str
    number: str
    url: str
    indicators: Mapping[Indicator, IndicatorInfo]
    rules: Mapping[str, str]
    """The rule sentences quoted: all_indicators, repeat_down, micro_by_one."""
    industries: tuple[Industry, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _DocumentIn(_Strict):
    title: str
    number: str
    issued: date
    url: str


class _IndicatorIn(_Strict):
    zh: str
    en: str
    symbol: Literal["X", "Y", "Z"]
    unit_zh: Literal["人", "万元"]


class _RulesIn(_Strict):
    all_indicators: str
    repeat_down: str
    micro_by_one: str


class _ThresholdIn(_Strict):
    indicator: Indicator
    large: Decimal = Field(gt=0)
    medium: Decimal = Field(gt=0)
    small: Decimal = Field(gt=0)
    quote: str = Field(min_length=1)


class _IndustryIn(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z_]*$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    table_name: str = Field(min_length=1)
    scope_quote: str | None = None
    synonyms: list[str] = []
    gb_codes: list[str] = []
    thresholds: list[_ThresholdIn] = Field(min_length=1)


class _FileIn(_Strict):
    document: _DocumentIn
    indicators: dict[Indicator, _IndicatorIn]
    rules: _RulesIn
    industries: list[_IndustryIn] = Field(min_length=1)


def normalise(text: str) -> str:
    """Text as quotes are compared: NFKC (全角 and 半角 alike) and every run of white space one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def _table_blocks(source: str) -> dict[str, str]:
    """The table of source.txt by its 行业名称 cell: that row and the rows under it (a row whose first
    cell is empty continues the industry above), normalised."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    inside = False
    for line in source.splitlines():
        cells = line.split("\t")
        if len(cells) == 7 and normalise(cells[0]) == "行业名称":
            inside = True
            continue
        if not inside:
            continue
        if len(cells) != 7:
            if blocks:
                break
            continue
        if cells[0].strip():
            current = blocks.setdefault(normalise(cells[0]), [])
        if current is not None:
            current.append(normalise(" ".join(cells)))
    return {name: "\n".join(rows) for name, rows in blocks.items()}


_ROW = re.compile(
    r"^(?P<name>\S+)\((?P<sym>[XYZ])\) (?P<unit>\S+) "
    r"(?P=sym)≥(?P<l1>\d+) (?P<m1>\d+)≤(?P=sym)<(?P<l2>\d+) (?P<s1>\d+)≤(?P=sym)<(?P<m2>\d+) (?P=sym)<(?P<s2>\d+)$"
)


def _row_problems(threshold: _ThresholdIn, info: _IndicatorIn) -> list[tuple[str, str]]:
    """The quoted row against the numbers stored: (English, Chinese) for each mismatch."""
    match = _ROW.match(normalise(threshold.quote))
    if match is None:
        return [
            (
                "quote is not one row of the table (指标名称(X) 单位 X≥a b≤X<a c≤X<b X<c)",
                "摘录不是表中完整的一行（指标名称(X) 单位 X≥a b≤X<a c≤X<b X<c）",
            )
        ]
    problems: list[tuple[str, str]] = []
    if match["name"] != info.zh or match["sym"] != info.symbol or match["unit"] != info.unit_zh:
        problems.append(
            (
                f"the row quoted is {match['name']}({match['sym']}) in {match['unit']}, "
                f"not {info.zh}({info.symbol}) in {info.unit_zh}",
                f"摘录的是 {match['name']}({match['sym']})（{match['unit']}），"
                f"不是 {info.zh}({info.symbol})（{info.unit_zh}）",
            )
        )
    if (match["l1"], match["m1"], match["s1"]) != (match["l2"], match["m2"], match["s2"]):
        problems.append(("the row's bounds do not join up", "该行各档上下限不衔接"))
    factor = Decimal(10000) if info.unit_zh == "万元" else Decimal(1)
    sizes: tuple[tuple[SizeClass, str], ...] = (("large", "l1"), ("medium", "m1"), ("small", "s1"))
    for size, key in sizes:
        stored: Decimal = getattr(threshold, size)
        written = Decimal(match[key]) * factor
        if stored != written:
            unit = "元 (万元 × 10000)" if factor != 1 else "人"
            problems.append(
                (
                    f"{size} is {stored}, but the row quoted says {written} {unit}",
                    f"{size_label(size)}下限为 {stored}，但所引表行为 {written} {unit}",
                )
            )
    return problems


def load_classification(text: str, file: str, source_text: str, source_file: str = "source.txt") -> Classification:
    """The table from classification.yaml's text, checked against the source text; every problem is
    reported at once (InputError), each with file and line."""
    parsed, doc = parse_model(text, file, _FileIn)
    problems = _check(parsed, doc, source_text, source_file)
    if problems:
        raise InputError(problems)
    indicators = {code: IndicatorInfo(code, i.zh, i.en, i.symbol, i.unit_zh) for code, i in parsed.indicators.items()}
    industries = tuple(
        Industry(
            code=i.code,
            zh=i.zh,
            en=i.en,
            table_name=i.table_name,
            thresholds=tuple(Threshold(t.indicator, t.large, t.medium, t.small, t.quote) for t in i.thresholds),
            synonyms=tuple(i.synonyms),
            gb_codes=tuple(i.gb_codes),
            scope_quote=i.scope_quote,
        )
        for i in parsed.industries
    )
    rules = parsed.rules.model_dump()
    return Classification(
        parsed.document.title, parsed.document.number, parsed.document.url, indicators, rules, industries
    )


def _check(parsed: _FileIn, doc: SourceDoc, source_text: str, source_file: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []

    def problem(path: tuple[str | int, ...], en: str, zh: str) -> None:
        field = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
        found.append(Diagnostic(doc.file, doc.line_of(path), en, field, zh=zh))

    source = normalise(source_text)
    blocks = _table_blocks(source_text)

    def verbatim(path: tuple[str | int, ...], quote: str, within: str | None = None, where: str = "") -> None:
        if normalise(quote) not in (source if within is None else within):
            problem(
                path,
                f"quote is not verbatim in {source_file}{where}",
                f"摘录与 {source_file}{'中该行业的表行' if within is not None else ''}原文不符",
            )

    for name, quote in parsed.rules.model_dump().items():
        verbatim(("rules", name), quote)
    spellings: dict[str, int] = {}
    codes: set[str] = set()
    for n, industry in enumerate(parsed.industries):
        at: tuple[str | int, ...] = ("industries", n)
        if industry.code in codes:
            problem((*at, "code"), f"industry code {industry.code!r} appears twice", f"行业代码 {industry.code!r} 重复")
        codes.add(industry.code)
        for text in {industry.code, industry.zh, industry.table_name, *industry.synonyms, *industry.gb_codes}:
            key = _key(text)
            if key in spellings and spellings[key] != n:
                problem(at, f"{text!r} also names another industry", f"{text!r} 同时指向另一行业")
            spellings[key] = n
        block = blocks.get(normalise(industry.table_name))
        if block is None:
            problem(
                (*at, "table_name"),
                f"{industry.table_name!r} is not a 行业名称 cell of the table in {source_file}",
                f"{industry.table_name!r} 不是 {source_file} 表中的行业名称",
            )
        if industry.scope_quote is not None:
            verbatim((*at, "scope_quote"), industry.scope_quote)
        seen: set[str] = set()
        for k, threshold in enumerate(industry.thresholds):
            here = (*at, "thresholds", k)
            if threshold.indicator in seen:
                problem(
                    (*here, "indicator"),
                    f"{threshold.indicator} appears twice in {industry.code}",
                    f"{industry.zh} 的指标 {threshold.indicator} 重复",
                )
            seen.add(threshold.indicator)
            if not threshold.large > threshold.medium > threshold.small > 0:
                problem(
                    here,
                    f"thresholds not ordered: large {threshold.large} > medium {threshold.medium}"
                    f" > small {threshold.small}",
                    f"下限未按 大型 > 中型 > 小型 排列：{threshold.large}、{threshold.medium}、{threshold.small}",
                )
            if block is not None:
                verbatim((*here, "quote"), threshold.quote, block, f" under {industry.table_name}")
            info = parsed.indicators.get(threshold.indicator)
            if info is None:
                problem(
                    (*here, "indicator"),
                    f"indicator {threshold.indicator!r} is not described under indicators",
                    f"指标 {threshold.indicator!r} 未在 indicators 中说明",
                )
                continue
            for en, zh in _row_problems(threshold, info):
                problem((*here, "quote"), en, zh)
    return found


def _key(text: str) -> str:
    """How an industry's name is matched: NFKC, no white space, no 带* mark, case-insensitive."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).rstrip("*").casefold()


@cache
def classification() -> Classification:
    """The package's table, read and checked once."""
    yaml_file = DATA_DIR / "classification.yaml"
    source_file = DATA_DIR / "source.txt"
    return load_classification(
        yaml_file.read_text(encoding="utf-8"),
        str(yaml_file),
        source_file.read_text(encoding="utf-8"),
        str(source_file.name),
    )


@cache
def _spellings() -> dict[str, Industry]:
    found: dict[str, Industry] = {}
    for industry in classification().industries:
        for text in (industry.code, industry.zh, industry.table_name, *industry.synonyms, *industry.gb_codes):
            found[_key(text)] = industry
    return found


def industries() -> tuple[Industry, ...]:
    """Every row of the table, in the table's order."""
    return classification().industries


def industry_forms(lang: str = "zh") -> str:
    """The accepted forms, row by row: '工业 (industry; 采矿业, 制造业, …)'."""
    parts = []
    for i in industries():
        names = [i.code, *i.synonyms, *i.gb_codes] if lang == "zh" else [i.zh, *i.synonyms, *i.gb_codes]
        parts.append(f"{i.zh if lang == 'zh' else i.code} ({', '.join(names)})")
    return ("；" if lang == "zh" else "; ").join(parts)


def read_industry(raw: object) -> Industry:
    """The table row a code (software_it), Chinese name (软件和信息技术服务业), name 说明 2 puts in a row
    (制造业 → 工业, 科学研究和技术服务业 → 其他未列明行业) or GB/T 4754-2017 code (C, 65, 7010) names.
    Anything else is refused (Bilingual, a ValueError) naming every accepted form."""
    if isinstance(raw, Industry):
        return raw
    if isinstance(raw, str):
        found = _spellings().get(_key(raw))
        if found is not None:
            return found
    raise Bilingual(
        f"无法识别行业 {raw!r}（《统计上大中小微型企业划分办法（2017）》的行业）；可填：{industry_forms('zh')}",
        f"{raw!r} is not an industry of the national size classification (国统字〔2017〕213号); "
        f"write one of: {industry_forms('en')}",
    )


# ---- classifying ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorReading:
    """One indicator's value and the class it alone reaches."""

    indicator: Indicator
    value: int | Decimal
    size: SizeClass
    threshold: Threshold


@dataclass(frozen=True, slots=True)
class SizeReading:
    """The size class of an enterprise, with why."""

    industry: Industry
    size: SizeClass
    readings: tuple[IndicatorReading, ...]
    """The indicators the class rests on (for 微型 by one indicator, just those in the 微型 column)."""
    reason_zh: str
    reason_en: str
    quote: str
    """The table rows applied, verbatim, joined by '；'."""
    rule_quote: str
    """The rule of 说明 1 applied."""

    @property
    def label_zh(self) -> str:
        return size_label(self.size, "zh")

    @property
    def is_sme(self) -> bool:
        return is_sme(self.size)


def _values(employees: int | None, revenue: Decimal | None, assets: Decimal | None) -> dict[Indicator, int | Decimal]:
    """The indicators given, each checked: a whole number of persons, exact yuan, none negative."""
    given: dict[Indicator, int | Decimal] = {}
    if employees is not None:
        if isinstance(employees, bool) or not isinstance(employees, int) or employees < 0:
            raise Bilingual(
                f"从业人员应为非负整数，不能是 {employees!r}",
                f"employees must be a whole number of persons, not {employees!r}",
            )
        given["employees"] = employees
    for code, zh, value in (("revenue", "营业收入", revenue), ("assets", "资产总额", assets)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or not value.is_finite() or value < 0:
            raise Bilingual(
                f"{zh}应为非负的精确金额（Decimal 元），不能是 {value!r}",
                f"{code} must be a non-negative exact amount (Decimal yuan), not {value!r}",
            )
        given["revenue" if code == "revenue" else "assets"] = Decimal(value)
    return given


def missing_indicators(
    industry: Industry | str, employees: int | None, revenue: Decimal | None, assets: Decimal | None = None
) -> tuple[Indicator, ...]:
    """The indicators still needed to classify: () when `classify` gives a class. Empty too when one
    indicator given is in the 微型 column (that alone decides)."""
    row = read_industry(industry)
    given = _values(employees, revenue, assets)
    if any(t.size_of(given[t.indicator]) == "micro" for t in row.thresholds if t.indicator in given):
        return ()
    return tuple(t.indicator for t in row.thresholds if t.indicator not in given)


def classify(
    industry: Industry | str, employees: int | None, revenue: Decimal | None, assets: Decimal | None = None
) -> SizeReading | None:
    """The size class by the national table: None when an indicator the industry's row needs is missing
    (`missing_indicators` says which) and none given is in the 微型 column.

    Employees in persons, revenue and assets in exact yuan (Decimal, never float); an indicator the row
    does not use is ignored (资产总额 for 工业)."""
    row = read_industry(industry)
    given = _values(employees, revenue, assets)
    table = classification()
    readings = tuple(
        IndicatorReading(t.indicator, given[t.indicator], t.size_of(given[t.indicator]), t)
        for t in row.thresholds
        if t.indicator in given
    )
    micro = tuple(r for r in readings if r.size == "micro")
    size: SizeClass
    if micro:
        used, size, rule = micro, "micro", table.rules["micro_by_one"]
    elif len(readings) < len(row.thresholds):
        return None
    else:
        used = readings
        size = max((r.size for r in readings), key=SIZE_CLASSES.index)
        rule = table.rules["all_indicators"]
    reason_zh, reason_en = _reasons(row, used, size, lowered=len({r.size for r in used}) > 1)
    return SizeReading(
        industry=row,
        size=size,
        readings=used,
        reason_zh=reason_zh,
        reason_en=reason_en,
        quote="；".join(r.threshold.quote for r in used),
        rule_quote=rule,
    )


def _amount_zh(indicator: Indicator, value: int | Decimal) -> str:
    return f"{value} 人" if indicator == "employees" else format_wan(Decimal(value))


def _amount_en(indicator: Indicator, value: int | Decimal) -> str:
    if indicator == "employees":
        return f"{value:,}"
    number = Decimal(value).normalize()
    text = f"{number:,f}" if number == number.to_integral_value() else f"{Decimal(value):,}"
    return f"{text.removesuffix('.00')} yuan"


def _range(reading: IndicatorReading, lang: str) -> str:
    low, high = reading.threshold.bounds(reading.size)
    show = _amount_zh if lang == "zh" else _amount_en
    parts = []
    if low is not None:
        parts.append("≥" + show(reading.indicator, low).replace(" 人", ""))
    if high is not None:
        parts.append("<" + show(reading.indicator, high).replace(" 人", ""))
    return (" 且 " if lang == "zh" else " and ").join(parts)


def _reasons(row: Industry, used: tuple[IndicatorReading, ...], size: SizeClass, lowered: bool) -> tuple[str, str]:
    info = classification().indicators
    zh_parts = [
        f"{info[r.indicator].zh} {_amount_zh(r.indicator, r.value)}（{_range(r, 'zh')}，{size_label(r.size)}）"
        for r in used
    ]
    en_parts = [
        f"{info[r.indicator].en} {_amount_en(r.indicator, r.value)} ({_range(r, 'en')}, {size_label(r.size, 'en')})"
        for r in used
    ]
    if size == "micro":
        note_zh, note_en = "微型企业只须满足所列指标中的一项即可", "micro needs one indicator only"
    elif lowered:
        note_zh = "须同时满足所列指标的下限，否则下划一档"
        note_en = "every indicator must reach the lower bound, else one class down"
    else:
        note_zh = note_en = ""
    reason_zh = f"{row.zh}：{'、'.join(zh_parts)} → {size_label(size)}" + (f"（{note_zh}）" if note_zh else "")
    reason_en = f"{row.en}: {', '.join(en_parts)} → {size_label(size, 'en')}" + (f" ({note_en})" if note_en else "")
    return reason_zh, reason_en
