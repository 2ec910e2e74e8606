"""/v1/me, /v1/users, /v1/imports and /v1/audit/verify."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from huiqi.entrypoints.api.bodies import UserIn
from huiqi.entrypoints.api.deps import CurrentActor, IdempotencyKey, ledger_of, run_post
from huiqi.ledger.audit_log import verify_chain
from huiqi.ledger.errors import FieldError, Invalid
from huiqi.ledger.importing import import_rows
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.users import add_user
from huiqi.ledger.views import user_view
from huiqi.ledger.workflow import Role
from huiqi.tabular import TableError, read_table

router = APIRouter(prefix="/v1", tags=["admin"])


@router.get("/me")
def me(actor: CurrentActor) -> dict[str, Any]:
    return {"id": actor.user_id, "name": actor.name, "role": actor.role.value}


@router.post("/users", status_code=201)
def create_user(request: Request, actor: CurrentActor, body: UserIn, key: IdempotencyKey = None) -> JSONResponse:
    """A user and its API token (admin). The token is shown in this response only."""

    def work(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        user, token = add_user(uow, body.name, body.role, body.enterprise)
        return 201, {**user_view(user), "token": token}

    return run_post(request, actor, key, body.model_dump(mode="json"), work)


@router.post("/imports/{kind}")
def import_file(
    request: Request,
    actor: CurrentActor,
    kind: Literal["enterprises", "projects", "applications"],
    file: Annotated[UploadFile, File(description=".xlsx or .csv, header in row 1")],
    dry_run: Annotated[bool, Query(description="Check every row, write nothing")] = False,
    update: Annotated[
        bool,
        Query(description="Update enterprises (by credit code) and projects (by enterprise and id) already there"),
    ] = False,
) -> JSONResponse:
    """Import rows all or nothing: 200 when written (or a clean dry run), 422 with every bad row otherwise.

    With `update`, `changes` lists each changed field of each updated record (before, after)."""
    if kind != "applications":
        actor.require(Role.ADMIN)
    try:
        rows = read_table(file.file.read(), file.filename or "upload")
    except TableError as error:
        raise Invalid(str(error), errors=[FieldError("file", str(error))]) from None

    def work(uow: UnitOfWork) -> dict[str, Any]:
        report = import_rows(uow, kind, rows, dry_run=dry_run, update=update)
        if report.written:
            uow.commit()
        return report.as_dict()

    with ledger_of(request).unit(actor) as uow:
        result = work(uow)
    if not result["errors"]:
        return JSONResponse(result)
    bad = len({e["row"] for e in result["errors"]})
    problem = {
        "type": "/problems/invalid_rows",
        "title": "Invalid request",
        "status": 422,
        "detail": f"{bad} of {result['rows']} rows are bad; nothing was written",
        **result,
    }
    return JSONResponse(problem, status_code=422, media_type="application/problem+json")


@router.get("/audit/verify")
def audit_verify(request: Request, actor: CurrentActor) -> dict[str, Any]:
    actor.require(Role.ADMIN)
    verdict = ledger_of(request).read(actor, lambda uow: verify_chain(uow.session))
    return {
        "ok": verdict.ok,
        "checked": verdict.checked,
        "problem": verdict.problem or None,
        "rows": verdict.rows,
        "changed_rows": [{"table": f.table, "id": f.row_id, "problem": f.message} for f in verdict.findings],
    }
