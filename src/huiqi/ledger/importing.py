"""Importing enterprises, projects and applications from spreadsheet rows, all or nothing.

Every row is tried (each in a savepoint, through the same services the API calls), every bad
row is reported with its row number, field and reason, and nothing is kept unless every row
is good and this is not a dry run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from huiqi.diagnostics import Bilingual
from huiqi.facts.chinese import parse_year
from huiqi.ledger import tables as t
from huiqi.ledger.applications import file_application, read_amount
from huiqi.ledger.catalogue import add_enterprise, add_project, enterprise_by_code
from huiqi.ledger.errors import FieldError, Invalid, LedgerError
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role
from huiqi.tabular import ENTERPRISE_MODEL, SUBJECT_MODELS, ImportReport, Row, nest

KINDS = ("enterprises", "projects", "applications")
ENTERPRISE_COLUMNS = {"enterprise", "统一社会信用代码", "企业"}
TYPE_COLUMNS = {"type", "对象类型"}


def _pop(values: dict[str, Any], names: set[str]) -> Any:
    found = None
    for name in names:
        if name in values:
            found = values.pop(name)
    return found


def _enterprise(uow: UnitOfWork, row: Row) -> None:
    add_enterprise(uow, nest(row.values, ENTERPRISE_MODEL))


def _project(uow: UnitOfWork, row: Row) -> None:
    values = dict(row.values)
    code = _pop(values, ENTERPRISE_COLUMNS)
    kind = _pop(values, TYPE_COLUMNS) or "project"
    if not code:
        raise Invalid("enterprise", errors=[FieldError("enterprise", "the enterprise's credit code is required")])
    if kind not in SUBJECT_MODELS:
        raise Invalid("type", errors=[FieldError("type", f"must be one of {', '.join(SUBJECT_MODELS)}")])
    add_project(uow, str(code), kind, nest(values, SUBJECT_MODELS[kind]))


def _application(uow: UnitOfWork, row: Row) -> None:
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


IMPORTERS: dict[str, Callable[[UnitOfWork, Row], None]] = {
    "enterprises": _enterprise,
    "projects": _project,
    "applications": _application,
}


def import_rows(uow: UnitOfWork, kind: str, rows: list[Row], *, dry_run: bool) -> ImportReport:
    """Try every row; the caller commits only when `report.written`."""
    if kind not in IMPORTERS:
        raise Invalid("kind", errors=[FieldError("kind", f"must be one of {', '.join(KINDS)}")])
    if kind != "applications":
        uow.actor.require(Role.ADMIN)
    report = ImportReport(kind, rows=len(rows), dry_run=dry_run)
    importer = IMPORTERS[kind]
    for row in rows:
        audited = len(uow.pending)
        savepoint = uow.session.begin_nested()
        try:
            importer(uow, row)
            savepoint.commit()
            report.created += 1
        except LedgerError as error:
            savepoint.rollback()
            del uow.pending[audited:]  # the row's changes are gone; so are their audit events
            found = error.errors or (FieldError("row", error.detail),)
            report.errors += [FieldError(e.field, e.message, row.number) for e in found]
    return report
