"""Input variables: the facts the subset reads (set from the flattened facts table by run.py)."""

from openfisca_core.model_api import ETERNITY, YEAR, Enum, Variable

from peers.openfisca_model.entities import Enterprise, Project
from peers.openfisca_model.enums import District, Field, ProjectKind, Track


class business_district(Variable):
    value_type = Enum
    possible_values = District
    default_value = District.unknown
    entity = Enterprise
    definition_period = ETERNITY
    label = "工商注册地 (district of business registration)"


class severe_credit_record(Variable):
    value_type = bool
    entity = Enterprise
    definition_period = ETERNITY
    label = "严重失信记录 (record of serious breach of trust)"


class prior_award_lingang_testing(Variable):
    value_type = float
    entity = Enterprise
    definition_period = YEAR
    label = "Prior awards of lingang-2024.testing in the year (any project)"
    unit = "currency-CNY"


class project_kind(Variable):
    value_type = Enum
    possible_values = ProjectKind
    default_value = ProjectKind.other
    entity = Project
    definition_period = ETERNITY
    label = "项目类型 (project kind)"


class project_year(Variable):
    value_type = int
    entity = Project
    definition_period = ETERNITY
    label = "申报年度 (the project's year)"


class project_field(Variable):
    value_type = Enum
    possible_values = Field
    default_value = Field.unknown
    entity = Project
    definition_period = ETERNITY
    label = "领域 (field)"


class project_track(Variable):
    value_type = Enum
    possible_values = Track
    default_value = Track.unknown
    entity = Project
    definition_period = ETERNITY
    label = "未来产业赛道 (future-industry track)"


class chokepoint(Variable):
    value_type = bool
    entity = Project
    definition_period = ETERNITY
    label = "认定: 关键环节“卡脖子”重大项目 (recognised as a chokepoint project)"


class ecosystem_driver(Variable):
    value_type = bool
    entity = Project
    definition_period = ETERNITY
    label = "认定: 对产业生态链带动发挥重大作用 (recognised as driving the industrial ecosystem)"


class new_investment(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "项目新增投资 (new investment in the year)"
    unit = "currency-CNY"


class testing_fee(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "测试评估费用 (testing and evaluation fees in the year)"
    unit = "currency-CNY"


class prior_award_lingang_rd(Variable):
    value_type = float
    entity = Project
    definition_period = ETERNITY
    label = "Prior awards of lingang-2024.rd to this project (any year)"
    unit = "currency-CNY"


class prior_award_lingang_fixed_investment(Variable):
    value_type = float
    entity = Project
    definition_period = ETERNITY
    label = "Prior awards of lingang-2024.fixed-investment to this project (any year)"
    unit = "currency-CNY"


class prior_award_lingang_future_industry(Variable):
    value_type = float
    entity = Project
    definition_period = ETERNITY
    label = "Prior awards of lingang-2024.future-industry to this project (any year)"
    unit = "currency-CNY"
