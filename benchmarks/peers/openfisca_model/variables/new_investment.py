"""rd, fixed-investment and future-industry: shares of the project's new investment, one paid (就高不重复)."""

from openfisca_core.model_api import YEAR, Enum, Variable, max_, min_, round_, select

from peers.openfisca_model.entities import Project
from peers.openfisca_model.enums import Field, ProjectKind, Status, Track
from peers.openfisca_model.helpers import DATA_YEARS, law


class new_investment_all_years(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "项目新增投资 over every year listed (a by-year base of a ratio is its total)"
    unit = "currency-CNY"

    def formula(project, period):
        return sum(project("new_investment", str(year)) for year in DATA_YEARS)


def _capped(amount, cap, prior):
    """A cap per project is net of the project's prior awards of the measure."""
    return min_(amount, max_(cap - prior, 0))


class investment_kind(Variable):
    value_type = bool
    entity = Project
    definition_period = YEAR
    label = "Scope of fixed-investment and future-industry: the four investment kinds"

    def formula(project, period):
        kind = project("project_kind", period)
        return (
            (kind == ProjectKind.fixed_investment)
            + (kind == ProjectKind.rd_innovation)
            + (kind == ProjectKind.industrialization)
            + (kind == ProjectKind.future_scenario)
        )


# lingang-2024.rd: AI芯片、智能传感器、智能穿戴、通用机器人、智能网联汽车等领域, 10%-30%, ≤ 1亿.


class lingang_rd_in_scope(Variable):
    value_type = bool
    entity = Project
    definition_period = YEAR
    label = "lingang-2024.rd applies to rd_innovation projects"

    def formula(project, period):
        return project("project_kind", period) == ProjectKind.rd_innovation


class lingang_rd_conditions(Variable):
    value_type = bool
    entity = Project
    definition_period = YEAR

    def formula(project, period):
        field = project("project_field", period)
        in_field = (
            (field == Field.ai_chip)
            + (field == Field.smart_sensor)
            + (field == Field.smart_wearable)
            + (field == Field.general_robot)
            + (field == Field.intelligent_connected_vehicle)
        )
        return project("lingang_rd_in_scope", period) * project("lingang_conditions", period) * in_field


class lingang_rd_min(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "研发补贴, lowest amount (before non-duplication)"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        p = law(parameters, period).rd
        amount = round_(project("new_investment_all_years", period) * p.rate_min, 2)
        capped = _capped(amount, p.cap, project("prior_award_lingang_rd", period))
        return project("lingang_rd_conditions", period) * capped


class lingang_rd_max(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "研发补贴, highest amount (before non-duplication)"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        p = law(parameters, period).rd
        amount = round_(project("new_investment_all_years", period) * p.rate_max, 2)
        capped = _capped(amount, p.cap, project("prior_award_lingang_rd", period))
        return project("lingang_rd_conditions", period) * capped


# lingang-2024.fixed-investment: 10% (卡脖子 10%-30%), ≤ 1亿 (生态链带动 ≤ 10亿).


class lingang_fixed_investment_cap(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    unit = "currency-CNY"

    def formula(project, period, parameters):
        p = law(parameters, period).fixed_investment
        return select([project("ecosystem_driver", period)], [p.ecosystem_driver_cap], default=p.cap)


class lingang_fixed_investment_min(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "固定资产投资补贴, lowest amount (before non-duplication)"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        p = law(parameters, period).fixed_investment
        rate = select([project("chokepoint", period)], [p.chokepoint_rate_min], default=p.rate)
        amount = round_(project("new_investment_all_years", period) * rate, 2)
        cap = project("lingang_fixed_investment_cap", period)
        capped = _capped(amount, cap, project("prior_award_lingang_fixed_investment", period))
        return project("investment_kind", period) * project("lingang_conditions", period) * capped


class lingang_fixed_investment_max(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "固定资产投资补贴, highest amount (before non-duplication)"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        p = law(parameters, period).fixed_investment
        rate = select([project("chokepoint", period)], [p.chokepoint_rate_max], default=p.rate)
        amount = round_(project("new_investment_all_years", period) * rate, 2)
        cap = project("lingang_fixed_investment_cap", period)
        capped = _capped(amount, cap, project("prior_award_lingang_fixed_investment", period))
        return project("investment_kind", period) * project("lingang_conditions", period) * capped


# lingang-2024.future-industry: 通用智能、新型储能、空间信息、扩展现实等未来产业赛道, 10%-30%, ≤ 1000万.


class lingang_future_industry_conditions(Variable):
    value_type = bool
    entity = Project
    definition_period = YEAR

    def formula(project, period):
        track = project("project_track", period)
        on_track = (
            (track == Track.general_intelligence)
            + (track == Track.new_energy_storage)
            + (track == Track.spatial_information)
            + (track == Track.extended_reality)
        )
        return project("investment_kind", period) * project("lingang_conditions", period) * on_track


class lingang_future_industry_min(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "未来产业场景创新应用, lowest amount (before non-duplication)"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        p = law(parameters, period).future_industry
        amount = round_(project("new_investment_all_years", period) * p.rate_min, 2)
        capped = _capped(amount, p.cap, project("prior_award_lingang_future_industry", period))
        return project("lingang_future_industry_conditions", period) * capped


class lingang_future_industry_max(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "未来产业场景创新应用, highest amount (before non-duplication)"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        p = law(parameters, period).future_industry
        amount = round_(project("new_investment_all_years", period) * p.rate_max, 2)
        capped = _capped(amount, p.cap, project("prior_award_lingang_future_industry", period))
        return project("lingang_future_industry_conditions", period) * capped


# 就高不重复 (group new-investment, per project, compared by the maximum; a tie goes to the
# measure listed first: rd, fixed-investment, future-industry). Eligible = a positive maximum;
# a measure loses to one with a higher maximum, or an equal one listed before it (only
# compared while its own maximum is positive, so the winner is then eligible too).


class lingang_rd_status(Variable):
    value_type = Enum
    possible_values = Status
    default_value = Status.ineligible
    entity = Project
    definition_period = YEAR

    def formula(project, period):
        rd = project("lingang_rd_max", period)
        fixed = project("lingang_fixed_investment_max", period)
        future = project("lingang_future_industry_max", period)
        lost = (fixed > rd) + (future > rd)
        return select([(rd > 0) * lost, rd > 0], [Status.superseded, Status.eligible], default=Status.ineligible)


class lingang_fixed_investment_status(Variable):
    value_type = Enum
    possible_values = Status
    default_value = Status.ineligible
    entity = Project
    definition_period = YEAR

    def formula(project, period):
        rd = project("lingang_rd_max", period)
        fixed = project("lingang_fixed_investment_max", period)
        future = project("lingang_future_industry_max", period)
        lost = (rd >= fixed) + (future > fixed)
        return select([(fixed > 0) * lost, fixed > 0], [Status.superseded, Status.eligible], default=Status.ineligible)


class lingang_future_industry_status(Variable):
    value_type = Enum
    possible_values = Status
    default_value = Status.ineligible
    entity = Project
    definition_period = YEAR

    def formula(project, period):
        rd = project("lingang_rd_max", period)
        fixed = project("lingang_fixed_investment_max", period)
        future = project("lingang_future_industry_max", period)
        lost = (rd >= future) + (fixed >= future)
        return select(
            [(future > 0) * lost, future > 0], [Status.superseded, Status.eligible], default=Status.ineligible
        )
