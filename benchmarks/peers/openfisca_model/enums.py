"""Enumerations of the facts (the codes of src/huiqi/facts/vocabulary.py) and of a result's status.

OpenFisca has no "unknown": a fact left empty in the input is the member `unknown`, which no
condition accepts (as huiqi's three-valued logic fails a condition on an unknown fact).
"""

from openfisca_core.indexed_enums import Enum


class ProjectKind(Enum):
    rd_innovation = "研发创新"
    industrialization = "产业化"
    application_demo = "应用示范"
    fixed_investment = "固定资产投资"
    foundation_model = "大模型平台"
    dataset = "数据集"
    testing = "测试评估"
    procurement = "采购"
    future_scenario = "未来产业场景"
    tech_breakthrough = "技术攻关"
    other = "其他"


class Field(Enum):
    unknown = "未提供"
    ai_chip = "AI芯片"
    smart_sensor = "智能传感器"
    smart_wearable = "智能穿戴"
    general_robot = "通用机器人"
    intelligent_connected_vehicle = "智能网联汽车"
    intelligent_manufacturing = "智能制造"
    smart_home = "智能家居"
    smart_security = "智能安防"
    smart_healthcare = "智能医疗"
    unmanned_systems = "无人系统"
    public_services = "公共服务"
    foundation_model = "大模型"
    ai_software = "人工智能软件"
    other = "其他"


class Track(Enum):
    unknown = "未提供"
    general_intelligence = "通用智能"
    new_energy_storage = "新型储能"
    spatial_information = "空间信息"
    extended_reality = "扩展现实"
    other = "其他"


class District(Enum):
    unknown = "未提供"
    huangpu = "黄浦区"
    xuhui = "徐汇区"
    changning = "长宁区"
    jingan = "静安区"
    putuo = "普陀区"
    hongkou = "虹口区"
    yangpu = "杨浦区"
    minhang = "闵行区"
    baoshan = "宝山区"
    jiading = "嘉定区"
    pudong = "浦东新区"
    jinshan = "金山区"
    songjiang = "松江区"
    qingpu = "青浦区"
    fengxian = "奉贤区"
    chongming = "崇明区"
    lingang = "临港新片区"
    outside_shanghai = "上海市外"


class Status(Enum):
    ineligible = "不符合"
    eligible = "可享受"
    superseded = "就高不重复(被替代)"
