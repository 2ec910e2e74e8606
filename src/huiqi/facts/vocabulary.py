"""Controlled vocabularies of the facts, each code with its Chinese and English terms.

The vocabularies policies scope on (project kinds, fields, tracks, cost kinds, recognitions,
contract kinds and purposes, …) are data: policies/vocabulary/*.yaml, read and checked by
huiqi.facts.vocabulary_files and built into enums here, so adding a term needs no Python. The
enterprise's size classes (a national standard the size code computes) and the old district codes
stay here. Inputs may use the code ("ai_chip"), the Chinese term ("AI芯片") or, for districts, the short
name people write (闵行 for 闵行区, 临港 for 临港新片区, 浦东 for 浦东新区); all are read to the
code, so a typo is an error naming the accepted forms rather than a silent mismatch.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from huiqi.diagnostics import Bilingual, InputError


class Labelled(StrEnum):
    """A string enum whose members carry a Chinese label (zh) and an English one (en)."""

    zh: str
    en: str

    def __new__(cls, value: str, zh: str, en: str | None = None) -> Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en = en or value.replace("_", " ")
        return member

    @classmethod
    def aliases(cls) -> dict[str, tuple[str, ...]]:
        """Other names people write for a member, by code (districts: the short names)."""
        return {}

    @classmethod
    def spellings(cls) -> tuple[tuple[str, Labelled], ...]:
        """Every text read as a member: its code, its Chinese term and its aliases."""
        found: list[tuple[str, Labelled]] = []
        for member in cls:
            for text in (member.value, member.zh, *cls.aliases().get(member.value, ())):
                if all(text != seen for seen, _ in found):
                    found.append((text, member))
        return tuple(found)

    @classmethod
    def read(cls, raw: object) -> object:
        """The member a code, Chinese term or alias names (white space trimmed); anything else is
        refused, naming every accepted form."""
        if raw is None or isinstance(raw, cls):
            return raw  # None: an optional field left empty (a required one is refused by the model)
        if isinstance(raw, str):
            member = _spelling_table(cls).get(raw.strip())
            if member is not None:
                return member
        raise Bilingual(
            f"无法识别 {raw!r}; 可填: {cls.forms('zh')}", f"{raw!r} is not known; write one of: {cls.forms('en')}"
        )

    @classmethod
    def forms(cls, lang: str = "en") -> str:
        """The accepted forms, member by member: '闵行区 (闵行, minhang)' (the first alias only)."""
        aliases = cls.aliases()
        parts = []
        for m in cls:
            others = ", ".join((*aliases.get(m.value, ())[:1], m.value))
            parts.append(f"{m.zh} ({others})")
        return ("、" if lang == "zh" else "; ").join(parts)

    @classmethod
    def described(cls) -> str:
        aliases = cls.aliases()
        return "; ".join(
            f"{m.value} = {m.zh}" + (f" ({', '.join(aliases[m.value])})" if m.value in aliases else "") for m in cls
        )


@cache
def _spelling_table(vocabulary: type[Labelled]) -> dict[str, Labelled]:
    """Every spelling of a vocabulary's members, looked up once per vocabulary (read is called per cell)."""
    return dict(vocabulary.spellings())


class District(Labelled):
    HUANGPU = "huangpu", "黄浦区"
    XUHUI = "xuhui", "徐汇区"
    CHANGNING = "changning", "长宁区"
    JINGAN = "jingan", "静安区"
    PUTUO = "putuo", "普陀区"
    HONGKOU = "hongkou", "虹口区"
    YANGPU = "yangpu", "杨浦区"
    MINHANG = "minhang", "闵行区"
    BAOSHAN = "baoshan", "宝山区"
    JIADING = "jiading", "嘉定区"
    PUDONG = "pudong", "浦东新区"
    JINSHAN = "jinshan", "金山区"
    SONGJIANG = "songjiang", "松江区"
    QINGPU = "qingpu", "青浦区"
    FENGXIAN = "fengxian", "奉贤区"
    CHONGMING = "chongming", "崇明区"
    LINGANG = "lingang", "临港新片区"
    OUTSIDE_SHANGHAI = "outside_shanghai", "上海市外"

    @classmethod
    def aliases(cls) -> dict[str, tuple[str, ...]]:
        """The short name (闵行区 → 闵行, 浦东新区 → 浦东, 临港新片区 → 临港) and the name with 上海市."""
        found: dict[str, tuple[str, ...]] = {}
        for member in cls:
            if member is cls.OUTSIDE_SHANGHAI:
                found[member.value] = ("外省市", "市外")
                continue
            short = member.zh.removesuffix("新片区").removesuffix("新区").removesuffix("区")
            extra = (
                ("临港新区", "中国(上海)自由贸易试验区临港新片区", "中国（上海）自由贸易试验区临港新片区")
                if member is cls.LINGANG
                else ()
            )
            found[member.value] = (short, *extra, f"上海市{member.zh}")
        return found


class SizeClass(Labelled):
    """Enterprise size by the national statistical classification (统计上大中小微型企业划分办法)."""

    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"

    @classmethod
    def aliases(cls) -> dict[str, tuple[str, ...]]:
        return {m.value: (m.zh + "企业",) for m in cls}


def labelled_from_data(name: str, terms: list[tuple[str, str, str, tuple[str, ...]]]) -> type[Labelled]:
    """A vocabulary read from data: (code, Chinese term, English term, other accepted names) per term."""
    members = [(code.upper(), (code, zh, en)) for code, zh, en, _ in terms]
    factory: Any = Labelled  # the functional API: each member's value is (code, Chinese, English)
    vocabulary: type[Labelled] = factory(name, members)
    others = {code: aliases for code, _, _, aliases in terms if aliases}
    vocabulary.aliases = classmethod(lambda cls: others)  # type: ignore[assignment, method-assign]
    return vocabulary


def _industries() -> type[Labelled]:
    from huiqi.facts.size_class import industries

    terms = [(i.code, i.zh, i.en, (*i.synonyms, *i.gb_codes, i.table_name)) for i in industries()]
    return labelled_from_data("IndustryKind", terms)


def _from_files() -> dict[str, type[Labelled]]:
    """The vocabularies of policies/vocabulary/*.yaml (huiqi.facts.vocabulary_files) as enums. A
    broken file stops huiqi here, before any command, with every problem as file:line."""
    from huiqi.facts.vocabulary_files import load_vocabularies

    try:
        found = load_vocabularies()
    except InputError as error:
        for problem in error.diagnostics:
            where = f"{problem.file}:{problem.line}" if problem.line else problem.file
            field = f" {problem.field}:" if problem.field else ""
            said = f"{problem.zh} ({problem.message})" if problem.zh else problem.message
            sys.stderr.write(f"{where}:{field} {said}\n")
        sys.stderr.write("huiqi: 词表有误, 无法启动 (the vocabularies above are broken)\n")
        raise SystemExit(2) from None
    return {
        name: labelled_from_data(name, [(t.code, t.zh, t.en, t.synonyms) for t in vocabulary.terms])
        for name, vocabulary in found.items()
    }


if TYPE_CHECKING:

    class IndustryKind(Labelled):
        """The industries of the national size classification (huiqi/data/enterprise_size), by its codes."""

    class EntityType(Labelled):
        """Who applies: an enterprise or a public institution (policies/vocabulary/entity_types.yaml)."""

    class ProjectKind(Labelled):
        """What a project is (project_kinds.yaml)."""

    class Field(Labelled):
        """Technology and application fields (fields.yaml)."""

    class Track(Labelled):
        """Future-industry tracks (tracks.yaml)."""

    class CostKind(Labelled):
        """The kinds of cost a project reports (cost_kinds.yaml)."""

    class Recognition(Labelled):
        """Recognitions and review outcomes (recognitions.yaml)."""

    class Level(Labelled):
        """An R&D institution's level (institution_levels.yaml)."""

    class PlatformKind(Labelled):
        """Kinds of public service platform (platform_kinds.yaml)."""

    class ContractKind(Labelled):
        """Kinds of service contract (contract_kinds.yaml)."""

    class ContractPurpose(Labelled):
        """What a contract's service is for (contract_purposes.yaml)."""

else:
    IndustryKind = _industries()
    _FROM_FILES = _from_files()
    EntityType = _FROM_FILES["EntityType"]
    ProjectKind = _FROM_FILES["ProjectKind"]
    Field = _FROM_FILES["Field"]
    Track = _FROM_FILES["Track"]
    CostKind = _FROM_FILES["CostKind"]
    Recognition = _FROM_FILES["Recognition"]
    Level = _FROM_FILES["Level"]
    PlatformKind = _FROM_FILES["PlatformKind"]
    ContractKind = _FROM_FILES["ContractKind"]
    ContractPurpose = _FROM_FILES["ContractPurpose"]
