"""/v1/monitor: the plans' targets, their progress on the monitoring catalogue, and imports into it."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile

from huiqi.entrypoints.api.deps import CurrentActor, QueryYear, ledger_of
from huiqi.ledger.errors import FieldError, Invalid, NotFound
from huiqi.ledger.monitoring import current_entries, history, import_catalogue
from huiqi.ledger.uow import UnitOfWork
from huiqi.monitor.indicators import CatalogueEntry
from huiqi.monitor.report import plan_progress
from huiqi.monitor.targets import Plan, plan_summary
from huiqi.tabular import TableError, nest, read_table
from huiqi.target_files import load_plans, load_thresholds

router = APIRouter(prefix="/v1/monitor", tags=["monitoring"])


@cache
def _plans() -> tuple[Plan, ...]:
    return tuple(load_plans())


@router.get("/targets")
def targets(actor: CurrentActor) -> dict[str, Any]:
    """Every plan's targets with the clause each quotes (public documents: any signed-in user)."""
    del actor
    return {"items": [plan_summary(p) for p in _plans()]}


@router.get("/progress")
def progress(request: Request, actor: CurrentActor, plan: str | None = None, year: QueryYear = None) -> dict[str, Any]:
    """Each target against the catalogue as of `year` (default: this year): value, share achieved,
    growth achieved and needed, the year reached at this pace, status (officers)."""
    chosen = [p for p in _plans() if plan is None or p.id == plan]
    if plan is not None and not chosen:
        raise NotFound(f"no plan {plan}")
    limits = load_thresholds()
    as_of = year or date.today().year

    def work(uow: UnitOfWork) -> list[dict[str, Any]]:
        entries = current_entries(uow)
        return [plan_progress(p, entries, as_of, limits) for p in chosen]

    return {"year": as_of, "items": ledger_of(request).read(actor, work)}


@router.get("/catalogue")
def entry_history(request: Request, actor: CurrentActor, credit_code: str, year: QueryYear = None) -> dict[str, Any]:
    """Every version of one enterprise's entry for one year, oldest first (officers)."""
    if year is None:
        raise Invalid("year is required", errors=[FieldError("year", "required")])
    found = ledger_of(request).read(actor, lambda uow: history(uow, credit_code, year))
    if not found:
        raise NotFound(f"no catalogue entry {credit_code} {year}")
    return {"items": found}


@router.post("/catalogue")
def import_file(
    request: Request,
    actor: CurrentActor,
    file: Annotated[UploadFile, File(description=".xlsx or .csv (UTF-8 or GBK), header in row 1")],
    dry_run: Annotated[bool, Query(description="Check every row, write nothing")] = False,
) -> dict[str, Any]:
    """Catalogue rows all or nothing (reviewers, admins): 200 with the counts, 422 naming every bad row."""
    name = file.filename or "upload"
    try:
        rows = read_table(file.file.read(), name)
    except TableError as error:
        raise Invalid(str(error), errors=[FieldError("file", str(error))]) from None
    cells = [(row.number, nest(row.values, CatalogueEntry)) for row in rows]
    report = ledger_of(request).run(actor, lambda uow: import_catalogue(uow, cells, name, dry_run=dry_run))
    return report.as_dict()
