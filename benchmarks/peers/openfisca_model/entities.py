"""Entities: a project applies for support; it belongs to one enterprise.

Project measures are computed per project (the person entity); enterprise facts (district,
credit record) and enterprise-wide caps live on the enterprise (the group entity). Members of
an enterprise keep their order in the input, which is the facts order caps are shared in.
"""

from openfisca_core.entities import build_entity

Enterprise = build_entity(
    key="enterprise",
    plural="enterprises",
    label="An enterprise (identified by its unified social credit code)",
    roles=[{"key": "project", "plural": "projects", "label": "Project"}],
)

Project = build_entity(
    key="project",
    plural="projects",
    label="A project an enterprise applies with",
    is_person=True,
)

entities = [Enterprise, Project]
