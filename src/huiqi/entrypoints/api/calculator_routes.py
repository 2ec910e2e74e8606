"""/v1/assess (the stateless calculator) and /v1/policies (the library)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from huiqi.diagnostics import Diagnostic, InputError
from huiqi.engine.interpret import evaluate
from huiqi.entrypoints.api.deps import CurrentActor, library_of
from huiqi.facts.models import Facts
from huiqi.ledger.errors import NotFound
from huiqi.report import assessment_dict
from huiqi.rules import catalogue
from huiqi.rules.catalogue import Terms
from huiqi.rules.library import chosen

router = APIRouter(prefix="/v1", tags=["calculator"])


def _choices(items: list[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or ":" not in key:
            message = f"{item!r}: write <measure id>:<interpretation id>=<alternative>"
            raise InputError([Diagnostic("query", None, message, "interpret")])
        out.append((key.strip(), value.strip()))
    return tuple(sorted(out))


@router.post("/assess", response_class=Response, responses={200: {"content": {"application/json": {}}}})
async def assess(
    request: Request,
    actor: CurrentActor,
    facts: Facts,
    as_of: Annotated[date | None, Query(description="Assessment date (default: the facts' as_of, else today)")] = None,
    lang: Literal["zh", "en"] = "zh",
    interpret: Annotated[list[str] | None, Query(description="MEASURE:INTERPRETATION=ALTERNATIVE")] = None,
) -> Response:
    """Every measure the enterprise is entitled to, how much, when paid and why — the JSON of `huiqi calc --json`."""
    library = library_of(request)
    if interpret:
        library = chosen(library, dict(_choices(interpret)))
    known = {ref.measure.id for ref in library.measures()}
    unknown = [
        Diagnostic("body", None, f"no measure {a.measure!r} in the policy library", f"prior_awards.{i}.measure")
        for i, a in enumerate(facts.prior_awards)
        if a.measure not in known
    ]
    if unknown:
        raise InputError(unknown)
    day = as_of or facts.as_of or date.today()

    def body() -> bytes:
        # Already plain JSON types: serialised directly, skipping FastAPI's generic encoder.
        return orjson.dumps(assessment_dict(evaluate(facts, library, day), lang), option=orjson.OPT_NON_STR_KEYS)

    if len(facts.projects) + len(facts.leases) > 20:  # big groups: keep the event loop free
        return Response(await run_in_threadpool(body), media_type="application/json")
    return Response(body(), media_type="application/json")


def _terms(request: Request) -> Terms:
    terms: Terms = request.app.state.terms
    return terms


@router.get("/policies")
def list_policies(
    request: Request,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=100, description="Words that must all appear (title, clause, …)")] = "",
    jurisdiction: Annotated[str, Query(max_length=40)] = "",
    category: Annotated[str, Query(max_length=40, description="Kind of support, e.g. rd, rent")] = "",
    applicant: Annotated[str, Query(max_length=40, description="enterprise | project | institution | …")] = "",
    in_force: Annotated[bool, Query(description="Only measures in force today")] = False,
) -> dict[str, Any]:
    """The policy catalogue, searched as on the /policies page (the same service)."""
    query = catalogue.Query(q=q, jurisdiction=jurisdiction, category=category, applicant=applicant, in_force=in_force)
    return {"items": catalogue.search(library_of(request), _terms(request), date.today(), query), "next": None}


@router.get("/policies/{policy_id}")
def get_policy(request: Request, actor: CurrentActor, policy_id: str) -> dict[str, Any]:
    for policy in library_of(request).policies:
        if policy.id == policy_id:
            return catalogue.policy_summary(policy, _terms(request), date.today())
    raise NotFound(f"no policy {policy_id}")
