"""The statistical monitoring catalogue in the ledger's database: import, read, history.

An import is all or nothing: every row is checked (CatalogueEntry: credit code, region, field,
counts not negative, amounts exact) and a year after the current one is refused, every bad row
reported with its row number and field; nothing is kept unless every row is good and this is not
a dry run. A row equal to the enterprise's latest version for that year is left alone; a
different one is stored as the next version (the old one kept: a correction, not an overwrite).
Officers import and read; enterprises do not see the catalogue. Each stored version is an audit
event of the import (the unit of work's hash chain).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select

from huiqi.diagnostics import chinese_message
from huiqi.facts.vocabulary import Field as TechField
from huiqi.ledger import tables as t
from huiqi.ledger.actors import OFFICERS
from huiqi.ledger.errors import FieldError, Invalid
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role
from huiqi.money import FEN, ZERO
from huiqi.monitor.indicators import CatalogueEntry

VALUES = (
    "name",
    "region",
    "field",
    "above_scale",
    "main_revenue",
    "ai_revenue",
    "employees",
    "ai_talents",
    "rd_spend",
    "patents_applied",
    "patents_granted",
)
IMPORTERS = (Role.REVIEWER, Role.ADMIN)
MONEY = ("main_revenue", "ai_revenue", "rd_spend")


@dataclass
class CatalogueImport:
    rows: int = 0
    added: int = 0
    corrected: int = 0
    unchanged: int = 0
    errors: list[FieldError] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "added": self.added,
            "corrected": self.corrected,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in self.errors],
        }


REQUIRED = tuple(name for name, info in CatalogueEntry.model_fields.items() if info.is_required())


def _row_errors(error: ValidationError, number: int) -> list[FieldError]:
    """A row's problems, each in English and Chinese (pydantic's words, the project's translations)."""
    found = []
    for item in error.errors():
        name = ".".join(str(p) for p in item["loc"]) or "row"
        message = str(item["msg"]).removeprefix("Value error, ")
        zh = _zh_of(item["type"], item.get("ctx"), message)
        title = CatalogueEntry.model_fields[str(item["loc"][0])].title if item["loc"] else None
        found.append(FieldError(name, message, number, zh=f"{title}: {zh}" if title and zh else zh))
    return found


def _zh_of(kind: str, ctx: Any, message: str) -> str | None:
    words = chinese_message(kind, ctx)
    if words is not None:
        return words
    raised = (ctx or {}).get("error") if isinstance(ctx, dict) else None
    return getattr(raised, "zh", None)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def _stored_values(row: t.MonitorEntry) -> dict[str, Any]:
    return {name: getattr(row, name) for name in VALUES}


def _entry_values(entry: CatalogueEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in VALUES}
    values["field"] = str(entry.field.value) if entry.field is not None else None
    for name in MONEY:  # as stored (whole fen): the audit digest is of what a read gives back
        values[name] = values[name].quantize(FEN)
    return values


def latest(uow: UnitOfWork, year: int | None = None) -> list[t.MonitorEntry]:
    """The latest version of every entry (of one year, or all years)."""
    newest = (
        select(t.MonitorEntry.credit_code, t.MonitorEntry.year, func.max(t.MonitorEntry.version).label("version"))
        .group_by(t.MonitorEntry.credit_code, t.MonitorEntry.year)
        .subquery()
    )
    query = select(t.MonitorEntry).join(
        newest,
        (t.MonitorEntry.credit_code == newest.c.credit_code)
        & (t.MonitorEntry.year == newest.c.year)
        & (t.MonitorEntry.version == newest.c.version),
    )
    if year is not None:
        query = query.where(t.MonitorEntry.year == year)
    return list(uow.session.execute(query.order_by(t.MonitorEntry.year, t.MonitorEntry.credit_code)).scalars())


def current_entries(uow: UnitOfWork, year: int | None = None) -> list[CatalogueEntry]:
    """The catalogue as the monitoring domain reads it: the latest version of each entry."""
    uow.actor.require(*OFFICERS)
    # stored rows were validated on import: built without validating again (every page reads them all)
    return [
        CatalogueEntry.model_construct(
            credit_code=r.credit_code,
            year=r.year,
            **{**_stored_values(r), "field": TechField.read(r.field)},
        )
        for r in latest(uow, year)
    ]


def history(uow: UnitOfWork, credit_code: str, year: int) -> list[dict[str, Any]]:
    """Every version of one enterprise's entry for one year, oldest first."""
    uow.actor.require(*OFFICERS)
    rows = uow.session.execute(
        select(t.MonitorEntry)
        .where(t.MonitorEntry.credit_code == credit_code, t.MonitorEntry.year == year)
        .order_by(t.MonitorEntry.version)
    ).scalars()
    return [
        {
            "version": r.version,
            **{k: _plain(v) for k, v in _stored_values(r).items()},
            "source": r.source,
            "imported_by": r.imported_by,
            "imported_at": r.imported_at.isoformat(),
        }
        for r in rows
    ]


def import_catalogue(
    uow: UnitOfWork, rows: Sequence[tuple[int, Mapping[str, Any]]], source: str, *, dry_run: bool = False
) -> CatalogueImport:
    """Rows (row number, cells by field name) into the catalogue; raises Invalid naming every bad
    row, with nothing written."""
    uow.actor.require(*IMPORTERS)
    report = CatalogueImport(rows=len(rows), dry_run=dry_run)
    missing = [name for name in REQUIRED if rows and all(name not in cells for _, cells in rows)]
    if missing:  # said once, of the header, not on every row
        errors = [
            FieldError(m, f"the file has no column {m}", 1, zh=f"文件缺少“{CatalogueEntry.model_fields[m].title}”列")
            for m in missing
        ]
        raise Invalid(f"{source}: columns missing: {', '.join(missing)}", errors=errors)
    entries: list[tuple[int, CatalogueEntry]] = []
    seen: dict[tuple[str, int], int] = {}
    for number, cells in rows:
        try:
            entry = CatalogueEntry.model_validate(dict(cells))
        except ValidationError as error:
            report.errors += _row_errors(error, number)
            continue
        if entry.year > uow.today.year:
            future = f"{entry.year} 年尚未到来 (今年是 {uow.today.year} 年)"
            report.errors.append(FieldError("year", f"{entry.year} is in the future", number, zh=future))
            continue
        key = (entry.credit_code, entry.year)
        if key in seen:
            again = f"the same enterprise and year as row {seen[key]}"
            report.errors.append(FieldError("credit_code", again, number, zh=f"与第 {seen[key]} 行的企业和年度重复"))
            continue
        seen[key] = number
        entries.append((number, entry))
    if report.errors:
        raise Invalid(f"{len(report.errors)} problems in {source}; nothing was imported", errors=report.errors)
    stored = {(r.credit_code, r.year): r for r in latest(uow)}
    for number, entry in entries:
        before = stored.get((entry.credit_code, entry.year))
        values = _entry_values(entry)
        if before is not None and _stored_values(before) == values:
            report.unchanged += 1
            continue
        if before is None:
            report.added += 1
        else:
            report.corrected += 1
        if dry_run:
            continue
        uow.session.add(
            t.MonitorEntry(
                credit_code=entry.credit_code,
                year=entry.year,
                version=1 if before is None else before.version + 1,
                source=f"{source}#{number}"[:255],
                imported_by=uow.actor.name,
                imported_at=uow.now,
                **values,
            )
        )
    return report


def support_by_enterprise(uow: UnitOfWork) -> dict[str, tuple[Decimal, Decimal]]:
    """Each enterprise's awards and payments (yuan), by credit code: the money beside the targets."""
    uow.actor.require(*OFFICERS)
    found: dict[str, tuple[Decimal, Decimal]] = {}
    awarded = uow.session.execute(
        select(t.Enterprise.credit_code, func.sum(t.Award.amount))
        .join(t.Award, t.Award.enterprise_id == t.Enterprise.id)
        .group_by(t.Enterprise.credit_code)
    )
    for code, amount in awarded:
        found[code] = (Decimal(amount or 0), ZERO)
    paid = uow.session.execute(
        select(t.Enterprise.credit_code, func.sum(t.Payment.amount))
        .join(t.Payment, t.Payment.enterprise_id == t.Enterprise.id)
        .group_by(t.Enterprise.credit_code)
    )
    for code, amount in paid:
        found[code] = (found.get(code, (ZERO, ZERO))[0], Decimal(amount or 0))
    return found
