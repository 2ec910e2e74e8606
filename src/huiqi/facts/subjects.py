"""The kinds of subject a measure may apply to, in one table: their facts model, the list that holds
them in a facts file, and their names. Every adapter (the ledger's catalogue, the API, the web form,
the flattened batch table) reads this table rather than keeping a list of its own."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from huiqi.facts.models import Contract, Lease, Project, RDInstitution, ServicePlatform


@dataclass(frozen=True, slots=True)
class SubjectKind:
    kind: str
    model: type[BaseModel]
    plural: str  # the list in a facts file
    zh: str
    en: str
    id_prefix: str  # the web form numbers new ones 项目1, 合同2, …


SUBJECT_KINDS: tuple[SubjectKind, ...] = (
    SubjectKind("project", Project, "projects", "项目", "project", "项目"),
    SubjectKind("lease", Lease, "leases", "租赁", "lease", "租赁"),
    SubjectKind("institution", RDInstitution, "institutions", "研发机构", "R&D institution", "机构"),
    SubjectKind("platform", ServicePlatform, "platforms", "服务平台", "service platform", "平台"),
    SubjectKind("contract", Contract, "contracts", "合同", "contract", "合同"),
)
BY_KIND: dict[str, SubjectKind] = {s.kind: s for s in SUBJECT_KINDS}
KIND_NAMES: tuple[str, ...] = tuple(s.kind for s in SUBJECT_KINDS)
MODELS: dict[str, type[BaseModel]] = {s.kind: s.model for s in SUBJECT_KINDS}
PLURALS: dict[str, str] = {s.kind: s.plural for s in SUBJECT_KINDS}
