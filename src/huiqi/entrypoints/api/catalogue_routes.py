"""/v1/enterprises and /v1/projects: the catalogue the engine is fed from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from huiqi.entrypoints.api.bodies import ProjectIn
from huiqi.entrypoints.api.deps import (
    CurrentActor,
    IdempotencyKey,
    IfMatch,
    Page,
    PathId,
    ledger_of,
    run_post,
    tagged,
)
from huiqi.facts.models import Enterprise as EnterpriseFacts
from huiqi.ledger import catalogue
from huiqi.ledger.views import enterprise_view, project_view

router = APIRouter(prefix="/v1", tags=["catalogue"])
Patch = Annotated[dict[str, Any], Body(description="Fields to change (JSON merge patch of the facts)")]


@router.get("/enterprises")
def list_enterprises(
    request: Request,
    actor: CurrentActor,
    page: Annotated[Page, Depends()],
    district: str | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains, or exact credit code")] = None,
) -> dict[str, Any]:
    items = ledger_of(request).read(
        actor,
        lambda uow: [
            enterprise_view(r)
            for r in catalogue.list_enterprises(uow, district=district, q=q, after=page.after, limit=page.limit)
        ],
    )
    return page.of(items)


@router.post("/enterprises", status_code=201)
def create_enterprise(
    request: Request, actor: CurrentActor, body: EnterpriseFacts, key: IdempotencyKey = None
) -> JSONResponse:
    data = body.model_dump(mode="json")
    return run_post(request, actor, key, data, lambda uow: (201, enterprise_view(catalogue.add_enterprise(uow, data))))


@router.get("/enterprises/{credit_code}")
def get_enterprise(request: Request, response: Response, actor: CurrentActor, credit_code: str) -> dict[str, Any]:
    view = ledger_of(request).read(actor, lambda uow: enterprise_view(catalogue.enterprise_by_code(uow, credit_code)))
    tagged(response, view["version"])
    return view


@router.patch("/enterprises/{credit_code}")
def update_enterprise(
    request: Request, response: Response, actor: CurrentActor, credit_code: str, changes: Patch, expected: IfMatch
) -> dict[str, Any]:
    view = ledger_of(request).run(
        actor, lambda uow: enterprise_view(catalogue.update_enterprise(uow, credit_code, changes, expected))
    )
    tagged(response, view["version"])
    return view


@router.get("/projects")
def list_projects(
    request: Request,
    actor: CurrentActor,
    page: Annotated[Page, Depends()],
    enterprise: str | None = None,
    type: str | None = None,
) -> dict[str, Any]:
    items = ledger_of(request).read(
        actor,
        lambda uow: [
            project_view(r)
            for r in catalogue.list_projects(uow, enterprise=enterprise, kind=type, after=page.after, limit=page.limit)
        ],
    )
    return page.of(items)


@router.post("/projects", status_code=201)
def create_project(request: Request, actor: CurrentActor, body: ProjectIn, key: IdempotencyKey = None) -> JSONResponse:
    data = body.model_dump(mode="json")
    return run_post(
        request,
        actor,
        key,
        data,
        lambda uow: (201, project_view(catalogue.add_project(uow, body.enterprise, body.type, body.facts))),
    )


@router.get("/projects/{project_id}")
def get_project(request: Request, response: Response, actor: CurrentActor, project_id: PathId) -> dict[str, Any]:
    view = ledger_of(request).read(actor, lambda uow: project_view(catalogue.project_by_id(uow, project_id)))
    tagged(response, view["version"])
    return view


@router.patch("/projects/{project_id}")
def update_project(
    request: Request, response: Response, actor: CurrentActor, project_id: PathId, changes: Patch, expected: IfMatch
) -> dict[str, Any]:
    view = ledger_of(request).run(
        actor, lambda uow: project_view(catalogue.update_project(uow, project_id, changes, expected))
    )
    tagged(response, view["version"])
    return view
