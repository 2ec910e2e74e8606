"""The policy's general conditions and the subject-year rule (lingang-2024)."""

from openfisca_core.model_api import YEAR, Variable, not_

from peers.openfisca_model.entities import Project
from peers.openfisca_model.enums import District
from peers.openfisca_model.helpers import law


class lingang_general_conditions(Variable):
    value_type = bool
    entity = Project
    definition_period = YEAR
    label = "工商注册在临港新片区, 无严重失信记录 (the enterprise's general conditions)"

    def formula(project, period):
        district = project.enterprise("business_district", period)
        severe = project.enterprise("severe_credit_record", period)
        return (district == District.lingang) * not_(severe)


class lingang_in_term(Variable):
    value_type = bool
    entity = Project
    definition_period = YEAR
    label = "申报年度在政策有效期内 (the project's year lies in the policy's term)"

    def formula(project, period, parameters):
        return project("project_year", period) >= law(parameters, period).first_year


class lingang_conditions(Variable):
    value_type = bool
    entity = Project
    definition_period = YEAR
    label = "General conditions and the subject-year rule"

    def formula(project, period):
        return project("lingang_general_conditions", period) * project("lingang_in_term", period)
