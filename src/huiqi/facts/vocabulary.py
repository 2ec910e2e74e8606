"""Controlled vocabularies of the facts, each code with its Chinese term.

Inputs may use the code ("ai_chip"), the Chinese term ("AI芯片") or, for districts, the short
name people write (闵行 for 闵行区, 临港 for 临港新片区, 浦东 for 浦东新区); all are read to the
code, so a typo is an error naming the accepted forms rather than a silent mismatch.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from huiqi.diagnostics import Bilingual


class Labelled(StrEnum):
    """A string enum whose members carry a Chinese label (zh)."""

    zh: str

    def __new__(cls, value: str, zh: str) -> Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
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
            text = raw.strip()
            for spelling, member in cls.spellings():
                if text == spelling:
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


class EntityType(Labelled):
    ENTERPRISE = "enterprise", "企业"
    PUBLIC_INSTITUTION = "public_institution", "事业单位"


class ProjectKind(Labelled):
    RD_INNOVATION = "rd_innovation", "研发创新项目"
    INDUSTRIALIZATION = "industrialization", "产业化项目"
    APPLICATION_DEMO = "application_demo", "应用示范项目"
    FIXED_INVESTMENT = "fixed_investment", "固定资产投资项目"
    FOUNDATION_MODEL = "foundation_model", "大模型平台"
    DATASET = "dataset", "数据集和语料库"
    TESTING = "testing", "测试评估"
    PROCUREMENT = "procurement", "区域协同采购"
    FUTURE_SCENARIO = "future_scenario", "未来产业场景"
    TECH_BREAKTHROUGH = "tech_breakthrough", "重大产业技术攻关"
    OTHER = "other", "其他"


class Field(Labelled):
    """Technology and application fields named by the seed policies."""

    AI_CHIP = "ai_chip", "AI芯片"
    SMART_SENSOR = "smart_sensor", "智能传感器"
    SMART_WEARABLE = "smart_wearable", "智能穿戴"
    GENERAL_ROBOT = "general_robot", "通用机器人"
    INTELLIGENT_CONNECTED_VEHICLE = "intelligent_connected_vehicle", "智能网联汽车"
    INTELLIGENT_MANUFACTURING = "intelligent_manufacturing", "智能制造"
    SMART_HOME = "smart_home", "智能家居"
    SMART_SECURITY = "smart_security", "智能安防"
    SMART_HEALTHCARE = "smart_healthcare", "智能医疗"
    UNMANNED_SYSTEMS = "unmanned_systems", "无人系统"
    PUBLIC_SERVICES = "public_services", "公共服务"
    FOUNDATION_MODEL = "foundation_model", "大模型"
    AI_SOFTWARE = "ai_software", "人工智能软件"
    OTHER = "other", "其他"


class Track(Labelled):
    """Future-industry tracks (未来产业赛道)."""

    GENERAL_INTELLIGENCE = "general_intelligence", "通用智能"
    NEW_ENERGY_STORAGE = "new_energy_storage", "新型储能"
    SPATIAL_INFORMATION = "spatial_information", "空间信息"
    EXTENDED_REALITY = "extended_reality", "扩展现实"
    OTHER = "other", "其他"


class CostKind(Labelled):
    INVESTMENT = "investment", "项目投资额"
    NEW_INVESTMENT = "new_investment", "项目新增投资"
    RD_COST = "rd_cost", "研发费用/研发投入"
    EQUIPMENT_INVESTMENT = "equipment_investment", "新增设备投资"
    OPERATING_COST = "operating_cost", "年度运营费用"
    CONSTRUCTION_COST = "construction_cost", "建设费用"
    TESTING_FEE = "testing_fee", "测试评估费用"
    AI_RETROFIT_INVESTMENT = "ai_retrofit_investment", "人工智能改造部分投资额"
    PURCHASE_INVOICE = "purchase_invoice", "实际采购发票额"


class Recognition(Labelled):
    NATIONAL_PILOT_SCENARIO = "national_pilot_scenario", "国家认定的人工智能试点应用场景"
    SHANGHAI_PILOT_SCENARIO = "shanghai_pilot_scenario", "上海市认定的人工智能试点应用场景"
    MAJOR_SPECIAL_PROJECT = "major_special_project", "重大专项项目"
    CITY_AI_SCENARIO = "city_ai_scenario", "市级认定的人工智能应用场景"
    CITY_AI_DEMO_PROJECT = "city_ai_demo_project", "市级认定的人工智能应用示范项目"
    CITY_AI_DEMO_ZONE = "city_ai_demo_zone", "市级认定的人工智能应用示范区"
    CITY_MAJOR_PROJECT = "city_major_project", "获得市级及以上财政支持的重大项目"
    EXPERT_REVIEW_PASSED = "expert_review_passed", "通过专家评审"
    INDUSTRY_LEADING = "industry_leading", "具有行业引领和示范效应"
    HIGH_TECH_ACHIEVEMENT = "high_tech_achievement", "利用科技创新成果实施高新技术产业化"
    DISTRICT_TECH_BREAKTHROUGH = "district_tech_breakthrough", "区重大产业技术攻关项目(评审认定)"
    KEY_CHAIN_SUPPLIER = "key_chain_supplier", "采购自重点领域产业链关键环节企业"
    ECOSYSTEM_DRIVER = "ecosystem_driver", "对产业生态链带动发挥重大作用"
    CHOKEPOINT = "chokepoint", "关键环节“卡脖子”重大项目"
    MAJOR_PROJECT = "major_project", "对产业发展具有较大影响力的重点项目(一事一议)"


class Level(Labelled):
    NATIONAL = "national", "国家级"
    CITY = "city", "市级"
    DISTRICT = "district", "区级"


class PlatformKind(Labelled):
    TECH_INNOVATION_SERVICE = "tech_innovation_service", "产业技术创新服务平台"
    PROFESSIONAL_SERVICE = "professional_service", "专业技术服务平台"
    PUBLIC_TECH_SERVICE = "public_tech_service", "公共技术服务平台"


class ContractKind(Labelled):
    """Kinds of service contract the compute, model and corpus vouchers pay on."""

    COMPUTE = "compute", "算力服务"
    MODEL_API = "model_api", "模型服务(API调用)"
    CORPUS = "corpus", "语料/数据采购"
    OTHER = "other", "其他服务"

    @classmethod
    def aliases(cls) -> dict[str, tuple[str, ...]]:
        return {
            "compute": ("智算服务", "算力", "智能算力", "算力租赁", "训练算力"),
            "model_api": ("模型服务", "大模型服务", "模型API", "API调用", "模型调用"),
            "corpus": ("语料", "数据采购", "语料采购", "数据集采购"),
        }


class ContractPurpose(Labelled):
    """What the service bought is for: the vouchers pay training, application or R&D differently."""

    MODEL_TRAINING = "model_training", "大模型训练"
    INFERENCE = "inference", "推理/应用部署"
    MODEL_RD = "model_rd", "大模型研发和应用"
    OTHER = "other", "其他"

    @classmethod
    def aliases(cls) -> dict[str, tuple[str, ...]]:
        return {"model_training": ("训练", "模型训练"), "inference": ("推理", "应用"), "model_rd": ("研发",)}


class SizeClass(Labelled):
    """Enterprise size by the national statistical classification (统计上大中小微型企业划分办法)."""

    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"

    @classmethod
    def aliases(cls) -> dict[str, tuple[str, ...]]:
        return {m.value: (m.zh + "企业",) for m in cls}


def labelled_from_data(name: str, terms: list[tuple[str, str, tuple[str, ...]]]) -> type[Labelled]:
    """A vocabulary read from data: (code, Chinese term, other accepted names) per term."""
    members = [(code.upper(), (code, zh)) for code, zh, _ in terms]
    factory: Any = Labelled  # the functional API: each member's value is (code, Chinese term)
    vocabulary: type[Labelled] = factory(name, members)
    others = {code: aliases for code, _, aliases in terms if aliases}
    vocabulary.aliases = classmethod(lambda cls: others)  # type: ignore[assignment, method-assign]
    return vocabulary


def _industries() -> type[Labelled]:
    from huiqi.facts.size_class import industries

    terms = [(i.code, i.zh, (*i.synonyms, *i.gb_codes, i.table_name)) for i in industries()]
    return labelled_from_data("IndustryKind", terms)


if TYPE_CHECKING:

    class IndustryKind(Labelled):
        """The industries of the national size classification (huiqi/data/enterprise_size), by its codes."""

else:
    IndustryKind = _industries()
