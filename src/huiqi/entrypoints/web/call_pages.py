"""Application-scenario calls (揭榜挂帅) as pages: the list (/calls) and one call (/calls/{id}), each
the data of huiqi.ledger.scenarios (the same service and role checks as /v1/calls), as HTML or JSON.
Anyone signed in reads a published call; officers also see drafts; marks appear once the panel closes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi.entrypoints.web.access import page_user
from huiqi.entrypoints.web.render import error_page, lang_of, respond
from huiqi.ledger import scenarios
from huiqi.ledger.errors import NotFound
from huiqi.ledger.uow import Ledger
from huiqi.monitor.report import percent

router = APIRouter(include_in_schema=False)
STAGES = {
    "draft": ("草稿", "draft"),
    "published": ("征集中", "open for proposals"),
    "reviewing": ("评审中", "under review"),
    "notice": ("公示中", "public notice"),
    "awarded": ("已揭榜", "awarded"),
    "cancelled": ("已取消", "cancelled"),
}
ACTIONS = {
    "open": ("创建榜单", "opened"),
    "publish": ("发布榜单", "published"),
    "submit": ("提交方案", "proposal submitted"),
    "panel": ("组建评审专家组", "panel seated"),
    "recuse": ("专家回避", "expert recused"),
    "score": ("专家评分", "marks recorded"),
    "rank": ("评审结束并排名, 开始公示", "ranked; notice opened"),
    "object": ("提出异议", "objection raised"),
    "decide_objection": ("异议处理", "objection decided"),
    "award": ("确定揭榜方", "awarded"),
}


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _stage(code: str, zh: bool) -> str:
    words = STAGES.get(code, (code, code))
    return words[0] if zh else words[1]


def calls_data(request: Request) -> dict[str, Any]:
    user = page_user(request)
    zh = lang_of(request) == "zh"
    found = _ledger(request).read(user, scenarios.list_calls)
    return {"calls": [{**c, "stage_label": _stage(c["stage"], zh)} for c in found]}


def call_data(request: Request, call_id: str) -> dict[str, Any]:
    user = page_user(request)
    zh = lang_of(request) == "zh"
    call = _ledger(request).read(user, lambda uow: scenarios.call_view(uow, call_id))
    weights = {c["id"]: c["weight"] for c in call["criteria"]}
    return {
        **call,
        "stage_label": _stage(call["stage"], zh),
        "ranking": [{"proposal": p, "score": s} for p, s in call["ranking"]],
        "weights": {k: percent(str(v / 100)) for k, v in weights.items()},
        "events": [
            {**e, "label": ACTIONS.get(e["action"], (e["action"], e["action"]))[0 if zh else 1]} for e in call["events"]
        ],
    }


@router.get("/calls")
def calls(request: Request) -> Response:
    return respond(request, "calls.html", calls_data(request))


@router.get("/calls/{call_id}")
def call(request: Request, call_id: str) -> Response:
    try:
        return respond(request, "call.html", call_data(request, call_id))
    except NotFound:
        return error_page(request, 404, "Not found")
