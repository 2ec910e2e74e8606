"""lingang-2024.testing: 10%-30% of each year's testing fee, ≤ 200万 per enterprise and year.

The enterprise-and-year cap is shared by the enterprise's projects in facts order, each bound
on its own (docs/rule-language.md §7.5): a project's minimum assumes the earlier projects got
their maximum, its maximum that they got their minimum; the cap is net of the enterprise's
prior awards of the measure in that year.
"""

from openfisca_core.model_api import YEAR, Enum, Variable, max_, min_, round_, select

from peers.openfisca_model.entities import Project
from peers.openfisca_model.enums import ProjectKind, Status
from peers.openfisca_model.helpers import DATA_YEARS, earlier_in_enterprise, law


class lingang_testing_in_scope(Variable):
    value_type = bool
    entity = Project
    definition_period = YEAR

    def formula(project, period):
        return project("project_kind", period) == ProjectKind.testing


class lingang_testing_fee_min(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "测试评估支持 for the year's fee, lowest rate, before the enterprise cap"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        p = law(parameters, period).testing
        applies = project("lingang_testing_in_scope", period) * project("lingang_conditions", period)
        return applies * round_(project("testing_fee", period) * p.rate_min, 2)


class lingang_testing_fee_max(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "测试评估支持 for the year's fee, highest rate, before the enterprise cap"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        p = law(parameters, period).testing
        applies = project("lingang_testing_in_scope", period) * project("lingang_conditions", period)
        return applies * round_(project("testing_fee", period) * p.rate_max, 2)


class lingang_testing_room(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "What the enterprise-and-year cap leaves after the year's prior awards"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        cap = law(parameters, period).testing.enterprise_year_cap
        return cap - project.enterprise("prior_award_lingang_testing", period)


class lingang_testing_year_min(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "测试评估支持 in the year, lowest amount, after the enterprise cap"
    unit = "currency-CNY"

    def formula(project, period):
        earlier = earlier_in_enterprise(project, project("lingang_testing_fee_max", period))
        left = max_(project("lingang_testing_room", period) - earlier, 0)
        return min_(project("lingang_testing_fee_min", period), left)


class lingang_testing_year_max(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "测试评估支持 in the year, highest amount, after the enterprise cap"
    unit = "currency-CNY"

    def formula(project, period):
        earlier = earlier_in_enterprise(project, project("lingang_testing_fee_min", period))
        left = max_(project("lingang_testing_room", period) - earlier, 0)
        return min_(project("lingang_testing_fee_max", period), left)


def _counted_years(parameters, period):
    """Fee years from the first year of the term; later years with a fee are projected, as in huiqi."""
    return [year for year in DATA_YEARS if year >= law(parameters, period).first_year]


class lingang_testing_min(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "测试评估支持, lowest amount (all fee years)"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        return sum(project("lingang_testing_year_min", str(y)) for y in _counted_years(parameters, period))


class lingang_testing_max(Variable):
    value_type = float
    entity = Project
    definition_period = YEAR
    label = "测试评估支持, highest amount (all fee years)"
    unit = "currency-CNY"

    def formula(project, period, parameters):
        return sum(project("lingang_testing_year_max", str(y)) for y in _counted_years(parameters, period))


class lingang_testing_status(Variable):
    value_type = Enum
    possible_values = Status
    default_value = Status.ineligible
    entity = Project
    definition_period = YEAR

    def formula(project, period):
        return select([project("lingang_testing_max", period) > 0], [Status.eligible], default=Status.ineligible)
