"""Importing enterprises, projects and applications from spreadsheet rows, all or nothing.

Every row is tried (each in a savepoint, through the same services the API calls), every bad
row is reported with its row number, field and reason, and nothing is kept unless every row
is good and this is not a dry run.

With `update`, an enterprise already in the catalogue (by credit code) or a subject its
enterprise already has (by id) is updated instead of refused: the row's cells replace the
stored values field by field (one year of a by-year field, one kind of a project's costs), an
empty cell keeps what is stored. Each change is reported as field: before → after, dry run
or not.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from huiqi.diagnostics import Bilingual
from huiqi.facts.chinese import parse_year
from huiqi.ledger import tables as t
from huiqi.ledger.applications import file_application, read_amount
from huiqi.ledger.catalogue import (
    add_enterprise,
    add_project,
    enterprise_by_code,
    update_enterprise,
    update_project,
)
from huiqi.ledger.errors import Conflict, FieldError, Invalid, LedgerError
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role
from huiqi.tabular import ENTERPRISE_MODEL, SUBJECT_MODELS, ImportReport, Row, nest

KINDS = ("enterprises", "projects", "applications")
UPDATABLE = ("enterprises", "projects")
ENTERPRISE_COLUMNS = {"enterprise", "统一社会信用代码", "企业"}
TYPE_COLUMNS = {"type", "对象类型"}


@dataclass(frozen=True, slots=True)
class Change:
    """One field of a stored record that an import changes (values as stored; None: absent)."""

    row: int
    record: str  # "enterprise 91310112MA1GC3H0XW", "project 91310112MA1GC3H0XW/M1"
    field: str  # dotted: revenue.2024, costs.rd_cost
    before: Any
    after: Any


@dataclass
class LedgerImportReport(ImportReport):
    updated: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.errors and (self.created + self.updated) > 0

    def as_dict(self) -> dict[str, Any]:
        done = self.written
        return {
            **super().as_dict(),
            "updated": self.updated if done else 0,
            "unchanged": self.unchanged,
            "changes": [
                {"row": c.row, "record": c.record, "field": c.field, "before": c.before, "after": c.after}
                for c in self.changes
            ],
        }


@dataclass
class Outcome:
    """What one row did: created a record, or updated one (with its changes), or found it as it is."""

    created: bool = True
    record: str = ""
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)


def _flat(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and value:
        for key in sorted(value, key=str):
            yield from _flat(value[key], f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Field by field (dotted paths), what differs between two stored facts."""
    old, new = dict(_flat(before)), dict(_flat(after))
    return [
        (name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


def _merged(stored: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The stored facts with the row's values over them, by-year and by-kind fields merged key by key."""
    out = copy.deepcopy(dict(stored))
    for name, value in given.items():
        if isinstance(value, Mapping) and isinstance(out.get(name), Mapping):
            out[name] = {**out[name], **{str(k): v for k, v in value.items()}}
        else:
            out[name] = value
    return out


def _pop(values: dict[str, Any], names: set[str]) -> Any:
    found = None
    for name in names:
        if name in values:
            found = values.pop(name)
    return found


def _enterprise(uow: UnitOfWork, row: Row, update: bool) -> Outcome:
    data = nest(row.values, ENTERPRISE_MODEL)
    code = data.get("credit_code")
    stored = None
    if update and isinstance(code, str):
        found = select(t.Enterprise).where(t.Enterprise.credit_code == code.strip())
        stored = uow.session.execute(found).scalar_one_or_none()
    if stored is None:
        add_enterprise(uow, data)
        return Outcome()
    before = copy.deepcopy(stored.facts)
    update_enterprise(uow, stored.credit_code, _merged(before, data), None)
    return Outcome(False, f"enterprise {stored.credit_code}", differences(before, stored.facts))


def _project(uow: UnitOfWork, row: Row, update: bool) -> Outcome:
    values = dict(row.values)
    code = _pop(values, ENTERPRISE_COLUMNS)
    kind = _pop(values, TYPE_COLUMNS) or "project"
    if not code:
        raise Invalid("enterprise", errors=[FieldError("enterprise", "the enterprise's credit code is required")])
    if kind not in SUBJECT_MODELS:
        raise Invalid("type", errors=[FieldError("type", f"must be one of {', '.join(SUBJECT_MODELS)}")])
    data = nest(values, SUBJECT_MODELS[kind])
    stored = None
    if update and data.get("id") is not None:
        company = enterprise_by_code(uow, str(code))
        found = select(t.Project).where(t.Project.enterprise_id == company.id, t.Project.ref == str(data["id"]))
        stored = uow.session.execute(found).scalar_one_or_none()
    if stored is None:
        add_project(uow, str(code), kind, data)
        return Outcome()
    if stored.kind != kind:
        message = f"{code}'s subject {stored.ref!r} is a {stored.kind}; its type cannot change"
        raise Invalid("type", errors=[FieldError("type", message)])
    before = copy.deepcopy(stored.facts)
    update_project(uow, stored.id, _merged(before, data), None)
    return Outcome(False, f"{kind} {code}/{stored.ref}", differences(before, stored.facts))


def _application(uow: UnitOfWork, row: Row, update: bool) -> Outcome:
    values = dict(row.values)
    code = _pop(values, ENTERPRISE_COLUMNS)
    ref = _pop(values, {"project", "项目编号"})
    measure = _pop(values, {"measure", "措施编号"})
    year = _pop(values, {"year", "年度", "申报年度"})
    requested = read_amount(_pop(values, {"requested", "申请金额"}), "requested")
    note = _pop(values, {"note", "备注"}) or ""
    errors = [FieldError(name, "unknown column") for name in values]
    for name, value in (("enterprise", code), ("measure", measure), ("year", year)):
        if not value:
            errors.append(FieldError(name, "required"))
    if year:
        try:
            year = parse_year(year)  # 2025, 2025.0, 2025年, full-width digits: as the facts read a year
        except Bilingual as problem:
            errors.append(FieldError("year", problem.en))
    if errors:
        raise Invalid("bad row", errors=errors)
    project_id = None
    if ref:
        company = enterprise_by_code(uow, str(code))
        project_id = uow.session.execute(
            select(t.Project.id).where(t.Project.enterprise_id == company.id, t.Project.ref == str(ref))
        ).scalar()
        if project_id is None:
            raise Invalid("project", errors=[FieldError("project", f"{code} has no project {ref!r}")])
    file_application(
        uow,
        enterprise=str(code),
        project=project_id,
        measure=str(measure),
        year=int(str(year)),
        requested=requested,
        note=str(note),
    )
    return Outcome()


IMPORTERS: dict[str, Callable[[UnitOfWork, Row, bool], Outcome]] = {
    "enterprises": _enterprise,
    "projects": _project,
    "applications": _application,
}


def import_rows(
    uow: UnitOfWork, kind: str, rows: list[Row], *, dry_run: bool, update: bool = False
) -> LedgerImportReport:
    """Try every row; the caller commits only when `report.written`. `update`: upsert (enterprises, projects)."""
    if kind not in IMPORTERS:
        raise Invalid("kind", errors=[FieldError("kind", f"must be one of {', '.join(KINDS)}")])
    if update and kind not in UPDATABLE:
        message = f"updates {' and '.join(UPDATABLE)}; applications change through their workflow"
        raise Invalid("update", errors=[FieldError("update", message)])
    if kind != "applications":
        uow.actor.require(Role.ADMIN)
    report = LedgerImportReport(kind, rows=len(rows), dry_run=dry_run)
    importer = IMPORTERS[kind]
    for row in rows:
        audited = len(uow.pending)
        savepoint = uow.session.begin_nested()
        try:
            outcome = importer(uow, row, update)
        except LedgerError as error:
            savepoint.rollback()
            del uow.pending[audited:]  # the row's changes are gone; so are their audit events
            found = error.errors or (FieldError("row", _hint(error, kind)),)
            report.errors += [FieldError(e.field, e.message, row.number, e.zh) for e in found]
            continue
        if outcome.created or outcome.changes:
            savepoint.commit()
        else:  # the same as stored: not even a new version or time of change
            savepoint.rollback()
            del uow.pending[audited:]
        if outcome.created:
            report.created += 1
        elif outcome.changes:
            report.updated += 1
            report.changes += [Change(row.number, outcome.record, *change) for change in outcome.changes]
        else:
            report.unchanged += 1
    return report


def _hint(error: LedgerError, kind: str) -> str:
    if isinstance(error, Conflict) and error.code == "exists" and kind in UPDATABLE:
        return f"{error.detail} (import with update to change it)"
    return error.detail
