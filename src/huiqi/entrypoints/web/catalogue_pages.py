"""The public pages of the policy catalogue: home, search, and each policy with its marked text."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from huiqi.entrypoints.web.render import error_page, is_htmx, respond
from huiqi.rules import catalogue
from huiqi.rules.catalogue import Terms
from huiqi.rules.library import Library
from huiqi.rules.quotes import segments

router = APIRouter(include_in_schema=False)


def _library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def _terms(request: Request) -> Terms:
    terms: Terms = request.app.state.terms
    return terms


def home_data(library: Library, terms: Terms, today: date) -> dict[str, Any]:
    policies = catalogue.search(library, terms, today, catalogue.Query())
    in_force = [m for p in policies for m in p["measures"] if m["in_force"]["in_force"]]
    return {
        "today": today.isoformat(),
        "policies": policies,
        "counts": {
            "policies": len(policies),
            "measures": sum(len(p["measures"]) for p in policies),
            "measures_in_force": len(in_force),
        },
        "filters": catalogue.filters(library, terms),
    }


def catalogue_data(library: Library, terms: Terms, today: date, query: catalogue.Query) -> dict[str, Any]:
    results = catalogue.search(library, terms, today, query)
    return {
        "today": today.isoformat(),
        "query": query.as_dict(),
        "filters": catalogue.filters(library, terms),
        "results": results,
        "counts": {"policies": len(results), "measures": sum(len(p["measures"]) for p in results)},
    }


def policy_data(library: Library, terms: Terms, today: date, policy_id: str) -> dict[str, Any] | None:
    for doc in library.docs:
        if doc.policy.id == policy_id:
            source = doc.source_text or ""
            seen: set[str] = set()
            parts = []
            for piece in segments(doc.policy, source):
                first = piece.measure is not None and piece.measure not in seen
                if piece.measure is not None:
                    seen.add(piece.measure)
                anchor = piece.measure.split(".", 1)[1] if piece.measure else None
                parts.append({"text": piece.text, "measure": piece.measure, "anchor": anchor, "first": first})
            return {
                "today": today.isoformat(),
                "policy": catalogue.policy_summary(doc.policy, terms, today),
                "source": parts,
            }
    return None


@router.get("/")
def home(request: Request) -> Response:
    return respond(request, "home.html", home_data(_library(request), _terms(request), date.today()))


@router.get("/policies")
def policies(
    request: Request,
    q: Annotated[str, Query(max_length=100)] = "",
    jurisdiction: Annotated[str, Query(max_length=40)] = "",
    category: Annotated[str, Query(max_length=40)] = "",
    applicant: Annotated[str, Query(max_length=40)] = "",
    in_force: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    query = catalogue.Query(
        q=q.strip(), jurisdiction=jurisdiction, category=category, applicant=applicant, in_force=in_force in ("1", "on")
    )
    data = catalogue_data(_library(request), _terms(request), date.today(), query)
    template = "partials/policy_results.html" if is_htmx(request) else "policies.html"
    return respond(request, template, data)


@router.get("/policies/{policy_id}")
def policy(request: Request, policy_id: str) -> Response:
    data = policy_data(_library(request), _terms(request), date.today(), policy_id)
    if data is None:
        return error_page(request, 404, "Not found", policy_id)
    return respond(request, "policy.html", data)
