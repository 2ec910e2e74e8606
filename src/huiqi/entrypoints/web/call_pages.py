"""Application-scenario calls (揭榜挂帅) as pages: the list (/calls) and one call (/calls/{id}), each
the data of huiqi.ledger.scenarios (the same service and role checks as /v1/calls), as HTML or JSON.
Anyone signed in reads a published call; officers also see drafts; marks appear once the panel closes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from huiqi.entrypoints.api.attachment_routes import download_response
from huiqi.entrypoints.web.access import page_user
from huiqi.entrypoints.web.attachment_pages import size_text
from huiqi.entrypoints.web.ledger_labels import measure_title, state_label
from huiqi.entrypoints.web.refusals import refusal_text
from huiqi.entrypoints.web.render import error_page, lang_of, respond
from huiqi.ledger import scenarios
from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.errors import LedgerError, NotFound
from huiqi.ledger.file_types import ACCEPTED_EXTENSIONS
from huiqi.ledger.proposal_files import files_by_proposal, proposal_file_for_download
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.workflow import Role
from huiqi.monitor.calls import CONFLICT_WHY

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
    "open": ("创建榜单", "created"),
    "publish": ("发布榜单", "published"),
    "submit": ("提交方案", "proposal submitted"),
    "attach": ("上传方案附件", "document attached"),
    "panel": ("组建评审专家组", "panel seated"),
    "recuse": ("专家回避", "expert recused"),
    "score": ("专家评分", "marks recorded"),
    "rank": ("评审结束并排名，开始公示", "ranked; notice opened"),
    "object": ("提出异议", "objection raised"),
    "decide_objection": ("异议处理", "objection decided"),
    "award": ("确定揭榜方", "awarded"),
}

DONE = {
    "publish": ("榜单已发布。", "The call is published."),
    "proposal": (
        "方案已提交；截止时间前可补充附件，评审结束后在本页查看排名。",
        "Your proposal is in; documents may be added until the deadline. The ranking shows here after the panel.",
    ),
    "panel": ("评审专家组已组建。", "The panel is seated."),
    "files": ("附件已上传。", "The documents are attached."),
    "conflict": ("回避已记录。", "The recusal is recorded."),
    "score": ("评分已记录（评审结束前不公开）。", "The marks are recorded (sealed until the panel closes)."),
    "close_panel": ("评审已结束，排名已公示。", "The panel is closed and the ranking on notice."),
    "objection": ("异议已提交。", "Your objection is recorded."),
    "decision": ("异议处理结果已记录。", "The decision is recorded."),
    "award": (
        "已确定揭榜方；中标项目已登记，相应申请已起草。",
        "Awarded; the winner's project is entered and its applications drafted.",
    ),
}


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


FIELDS = {  # the forms' fields as a refusal names them (expert rows say their row in the message)
    "proposal_id": ("方案编号", "Proposal number"),
    "title": ("方案名称", "Proposal title"),
    "partners": ("联合体成员", "Consortium partners"),
    "lead": ("牵头单位", "Lead"),
    "text": ("异议内容", "Objection"),
    "expert": ("专家", "Expert"),
    "proposal": ("方案", "Proposal"),
    "objection": ("异议", "Objection"),
    "file": ("附件", "Document"),
    "files": ("附件", "Documents"),
    "decision": ("处理结果", "Decision"),
    "reason": ("理由", "Reason"),
}
PANEL_ROWS = 9  # the panel form's expert rows; blank rows are left out


def _said(words: tuple[str, str] | None, zh: bool) -> str | None:
    return None if words is None else words[0 if zh else 1]


def _stage(code: str, zh: bool) -> str:
    words = STAGES.get(code, (code, code))
    return words[0] if zh else words[1]


def calls_data(request: Request) -> dict[str, Any]:
    user = page_user(request)
    zh = lang_of(request) == "zh"
    found = _ledger(request).read(user, scenarios.list_calls)
    return {"calls": [{**c, "stage_label": _stage(c["stage"], zh)} for c in found]}


def _may(user: Actor, stage: str, mine: dict[str, Any] | None, closed: bool) -> dict[str, bool]:
    """Which forms the page offers this reader now (the service checks again on submit)."""
    runs = user.role in scenarios.RUNNERS
    return {
        "publish": runs and stage == "draft",
        "seat_panel": runs and stage == "published" and closed,
        "wait_for_deadline": runs and stage == "published" and not closed,
        "score": runs and stage == "reviewing",
        "close_panel": runs and stage == "reviewing",
        "decide": runs and stage == "notice",
        "award": user.role in scenarios.AWARDERS and stage == "notice",
        "propose": user.role is Role.ENTERPRISE and stage == "published" and mine is None,
        "object": stage == "notice",
    }


def _mine(uow: UnitOfWork, proposals: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The signed-in enterprise's own proposal (as lead or partner), if it has one."""
    own = uow.session.get(t.Enterprise, uow.actor.enterprise_id) if uow.actor.enterprise_id else None
    if own is None:
        return None
    for p in proposals:
        if own.credit_code in {p["lead"]["credit_code"], *(a["credit_code"] for a in p["partners"])}:
            return {**p, "is_lead": own.credit_code == p["lead"]["credit_code"]}
    return None


def _grid(call: dict[str, Any], zh: bool) -> list[dict[str, Any]]:
    """Each expert's row: per proposal, scored, recused (and why) or still to score — never the marks."""
    scored = {(e, p) for e, p in call["scored"]}
    rows = []
    for expert in call["experts"]:
        why = call["recusals"].get(expert["id"], {})
        cells = []
        for p in call["proposals"]:
            if p["id"] in why:
                words = CONFLICT_WHY[why[p["id"]]]
                cells.append({"state": "recused", "text": words[0] if zh else words[1]})
            elif (expert["id"], p["id"]) in scored:
                cells.append({"state": "scored", "text": "已评分" if zh else "scored"})
            else:
                cells.append({"state": "pending", "text": "待评分" if zh else "to score"})
        rows.append({**expert, "cells": cells})
    return rows


def call_data(request: Request, call_id: str) -> dict[str, Any]:
    user = page_user(request)
    zh = lang_of(request) == "zh"
    lang = lang_of(request)

    def read(uow: UnitOfWork) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, list[dict[str, Any]]]]:
        found = scenarios.call_view(uow, call_id)
        return found, _mine(uow, found["proposals"]), files_by_proposal(uow, call_id)

    call, mine, files = _ledger(request).read(user, read)
    now = _ledger(request).clock()
    past_deadline = now >= datetime.fromisoformat(call["deadline"])
    weights = {c["id"]: c["weight"] for c in call["criteria"]}
    titles = {p["id"]: p["title"] for p in call["proposals"]}
    library = request.app.state.library
    in_ledger = call["in_ledger"]
    if in_ledger is not None:
        in_ledger = {
            **in_ledger,
            "applications": [
                {**a, "title": measure_title(library, a["measure"], lang), "state_label": state_label(a["state"], lang)}
                for a in in_ledger["applications"]
            ],
        }
    notice_over = call["notice_ends"] is not None and now >= datetime.fromisoformat(call["notice_ends"])
    names = {p["id"]: p["lead"]["name"] for p in call["proposals"]}
    return {
        **call,
        "stage_label": _stage_now(call["stage"], past_deadline, notice_over, zh),
        "ranking": [{"proposal": p, "title": titles.get(p, ""), "score": s} for p, s in call["ranking"]],
        "weights": {k: f"{v}%" for k, v in weights.items()},  # whole percents by the list's own check
        "events": [_event_words(e, zh) for e in call["events"]],
        "may": {
            **_may(user, call["stage"], mine, past_deadline),
            "object": call["stage"] == "notice" and not notice_over,
        },
        "mine": mine,
        "won": mine is not None and call["winner"] == mine["id"],
        "winner_text": f"{names.get(call['winner'], '')}{'（' if zh else ' ('}{call['winner']}"
        f" {titles.get(call['winner'], '')}{'）' if zh else ')'}"
        if call["winner"]
        else "",
        "files": {p: [{**f, "size_text": size_text(f["size"], lang)} for f in found] for p, found in files.items()},
        "accepted": ",".join(ACCEPTED_EXTENSIONS),
        "may_add_files": mine is not None and mine["is_lead"] and call["stage"] == "published" and not past_deadline,
        "grid": _grid(call, zh),
        "marks": _marks(call),
        "objections": [
            {**o, "decision_label": _said(OBJECTION_DECISIONS.get(o["decision"] or ""), zh)} for o in call["objections"]
        ],
        "pending_objections": [o for o in call["objections"] if o["decision"] is None],
        "in_ledger": in_ledger,
        "project_name": titles.get(call["winner"] or "", ""),
        "form": {},
        "panel_rows": list(range(PANEL_ROWS)),
        "done": _said(DONE.get(request.query_params.get("done", "")), zh),
    }


OBJECTION_DECISIONS = {"upheld": ("成立", "upheld"), "dismissed": ("不成立", "dismissed")}


def _stage_now(stage: str, past_deadline: bool, notice_over: bool, zh: bool) -> str:
    """The stage as its dates leave it: open but past the deadline, on notice but the notice over."""
    if stage == "published" and past_deadline:
        return "征集已截止，待组建评审专家组" if zh else "closed for proposals; the panel is to be seated"
    if stage == "notice" and notice_over:
        return "公示期已满，待确定揭榜方" if zh else "notice over; to be awarded"
    return _stage(stage, zh)


def _event_words(event: dict[str, Any], zh: bool) -> dict[str, Any]:
    """A step of the history as read: its label, who took it, and what it was about."""
    detail = event["detail"]
    about = [str(detail[k]) for k in ("expert", "proposal", "objection", "filename") if detail.get(k)]
    return {
        **event,
        "label": ACTIONS.get(event["action"], (event["action"], event["action"]))[0 if zh else 1],
        "actor_label": ("系统" if zh else "huiqi") if event["actor"] == SYSTEM.name else event["actor"],
        "about": " → ".join(about),
    }


def _marks(call: dict[str, Any]) -> list[dict[str, Any]]:
    """The marks once shown (the panel closed): one row per expert and proposal, by criterion."""
    return [{"expert": s["expert"], "proposal": s["proposal"], **s["marks"]} for s in call["scores"]]


@router.get("/calls")
def calls(request: Request) -> Response:
    return respond(request, "calls.html", calls_data(request))


@router.get("/calls/{call_id}")
def call(request: Request, call_id: str) -> Response:
    return _page(request, call_id)


def _page(
    request: Request, call_id: str, refusal: LedgerError | None = None, typed: dict[str, str] | None = None
) -> Response:
    try:
        data = call_data(request, call_id)
    except NotFound:
        return error_page(request, 404, "Not found")
    if refusal is None:
        return respond(request, "call.html", data)
    data["form"] = typed or {}  # what the reader typed, back in its fields
    lang = lang_of(request)
    # a call's refusal carries its Chinese words as the reason: the headline in the reader's language
    chinese = lang == "zh" and bool(refusal.reasons)
    data["refusal"] = {
        "message": refusal.reasons[0] if chinese else refusal_text(refusal, lang),
        "reasons": list(refusal.reasons[1:]) if chinese else [],
        "fields": [(_said(FIELDS.get(e.field), lang == "zh"), e.text(lang)) for e in refusal.errors],
        "bad": sorted({e.field for e in refusal.errors}),
    }
    return respond(request, "call.html", data, refusal.status)


async def after(
    request: Request, call_id: str, step: Any, typed: dict[str, str] | None = None, done: str = ""
) -> Response:
    """Take the step (off the event loop: it may write an uploaded file); back to the call (303,
    saying `done` there), or the call with the refusal said and the reader's typed values kept."""
    user = page_user(request)
    try:
        await run_in_threadpool(_ledger(request).run, user, step)
    except NotFound:
        return error_page(request, 404, "Not found")
    except LedgerError as error:
        return _page(request, call_id, error, typed)
    return RedirectResponse(f"/calls/{call_id}" + (f"?done={done}" if done else ""), status_code=303)


STEPS = {"publish": scenarios.publish, "close_panel": scenarios.close_panel, "award": scenarios.award}


@router.get("/calls/{call_id}/public")
def public_call(request: Request, call_id: str) -> Response:
    """A published call and its 公示 for anyone, signed in or not (huiqi.ledger.scenarios.public_view)."""
    zh = lang_of(request) == "zh"
    try:
        call = _ledger(request).read(SYSTEM, lambda uow: scenarios.public_view(uow, call_id))
    except NotFound:
        return error_page(request, 404, "Not found")
    now = _ledger(request).clock()
    over = call.get("notice_ends") is not None and now >= datetime.fromisoformat(call["notice_ends"])
    past = now >= datetime.fromisoformat(call["deadline"])
    data = call | {
        "stage_label": _stage_now(call["stage"], past, over, zh),
        "weights": {c["id"]: f"{c['weight']}%" for c in call["criteria"]},
        "may_object": call["stage"] == "notice" and not over,
    }
    return respond(request, "call_public.html", data)


@router.get("/calls/{call_id}/files/{file_id}")
def proposal_file(request: Request, call_id: str, file_id: int) -> Response:
    """A proposal's document, for the officers and the enterprises in the proposal (else 404)."""
    user = page_user(request)
    try:
        row, path = _ledger(request).read(user, lambda uow: proposal_file_for_download(uow, call_id, file_id))
    except NotFound:
        return error_page(request, 404, "Not found")
    return download_response(row, path)


@router.post("/calls/{call_id}/step")
async def step(request: Request, call_id: str) -> Response:
    form = await request.form()
    take = STEPS.get(str(form.get("action") or ""))
    if take is None:
        return error_page(request, 404, "Not found")
    return await after(request, call_id, lambda uow: take(uow, call_id), done=str(form.get("action")))
