"""Application-scenario calls (揭榜挂帅) as pages: the list (/calls) and one call (/calls/{id}), each
the data of huiqi.ledger.scenarios (the same service and role checks as /v1/calls), as HTML or JSON.
Anyone signed in reads a published call; officers also see drafts; marks appear once the panel closes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.entrypoints.web.access import page_user
from huiqi.entrypoints.web.refusals import refusal_text
from huiqi.entrypoints.web.render import error_page, lang_of, respond
from huiqi.ledger import scenarios
from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor
from huiqi.ledger.errors import FieldError, Invalid, LedgerError, NotFound
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.workflow import Role
from huiqi.monitor.calls import Applicant, Proposal
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


def _may(user: Actor, stage: str) -> dict[str, bool]:
    """Which forms the page offers this reader now (the service checks again on submit)."""
    runs = user.role in scenarios.RUNNERS
    return {
        "publish": runs and stage == "draft",
        "close_panel": runs and stage == "reviewing",
        "award": user.role in scenarios.AWARDERS and stage == "notice",
        "propose": user.role is Role.ENTERPRISE and stage == "published",
        "object": stage == "notice",
    }


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
        "may": _may(user, call["stage"]),
    }


@router.get("/calls")
def calls(request: Request) -> Response:
    return respond(request, "calls.html", calls_data(request))


@router.get("/calls/{call_id}")
def call(request: Request, call_id: str) -> Response:
    return _page(request, call_id)


def _page(request: Request, call_id: str, refusal: LedgerError | None = None) -> Response:
    try:
        data = call_data(request, call_id)
    except NotFound:
        return error_page(request, 404, "Not found")
    if refusal is None:
        return respond(request, "call.html", data)
    lang = lang_of(request)
    # a call's refusal carries its Chinese words as the reason: the headline in the reader's language
    chinese = lang == "zh" and bool(refusal.reasons)
    data["refusal"] = {
        "message": refusal.reasons[0] if chinese else refusal_text(refusal, lang),
        "reasons": list(refusal.reasons[1:]) if chinese else [],
        "fields": {e.field: e.text(lang) for e in refusal.errors},
    }
    return respond(request, "call.html", data, refusal.status)


def _after(request: Request, call_id: str, step: Any) -> Response:
    """Take the step; back to the call (303), or the call with the refusal said."""
    user = page_user(request)
    try:
        _ledger(request).run(user, step)
    except NotFound:
        return error_page(request, 404, "Not found")
    except LedgerError as error:
        return _page(request, call_id, error)
    return RedirectResponse(f"/calls/{call_id}", status_code=303)


STEPS = {"publish": scenarios.publish, "close_panel": scenarios.close_panel, "award": scenarios.award}


@router.post("/calls/{call_id}/step")
async def step(request: Request, call_id: str) -> Response:
    form = await request.form()
    take = STEPS.get(str(form.get("action") or ""))
    if take is None:
        return error_page(request, 404, "Not found")
    return _after(request, call_id, lambda uow: take(uow, call_id))


def _partners(text: str) -> tuple[Applicant, ...]:
    """One partner a line: its credit code, then its name (a space, comma or tab between)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [p for p in line.replace("，", ",").replace(",", " ").split() if p]
        if not parts:
            continue
        if len(parts) < 2 or len(parts[0]) != 18:
            zh = f"第 {number} 行: 请写“统一社会信用代码 企业名称”"
            raise Invalid(
                "bad partner", errors=[FieldError("partners", f"line {number}: write 'credit code name'", zh=zh)]
            )
        found.append(Applicant(parts[0].upper(), " ".join(parts[1:])))
    return tuple(found)


@router.post("/calls/{call_id}/proposal")
async def propose(request: Request, call_id: str) -> Response:
    """The signed-in enterprise's proposal, it the lead; partners one a line."""
    form = await request.form()
    title = str(form.get("title") or "").strip()
    pid = str(form.get("proposal_id") or "").strip()

    def work(uow: UnitOfWork) -> None:
        if not title or not pid:
            errors = [
                FieldError(n, "required", zh="必填") for n, v in (("title", title), ("proposal_id", pid)) if not v
            ]
            raise Invalid("missing fields", errors=errors)
        own = uow.session.get(t.Enterprise, uow.actor.enterprise_id) if uow.actor.enterprise_id else None
        if own is None:
            raise Invalid(
                "no enterprise", errors=[FieldError("lead", "sign in as an enterprise", zh="请以企业用户登录")]
            )
        lead = Applicant(own.credit_code, own.name)
        partners = _partners(str(form.get("partners") or ""))
        scenarios.submit(uow, call_id, Proposal(pid[:60], lead, partners, title[:200], uow.now))

    return _after(request, call_id, work)


@router.post("/calls/{call_id}/objection")
async def objection(request: Request, call_id: str) -> Response:
    form = await request.form()
    proposal = str(form.get("proposal") or "")
    text = str(form.get("text") or "").strip()[:2000]

    def work(uow: UnitOfWork) -> None:
        if not text:
            raise Invalid("no text", errors=[FieldError("text", "say what the objection is", zh="请写明异议内容")])
        current = scenarios.load(uow, call_id)
        scenarios.object_to(uow, call_id, f"O{len(current.objections) + 1}", proposal, text)

    return _after(request, call_id, work)
