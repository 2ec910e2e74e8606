"""The forms of a scenario call's page: a proposal, an objection, the panel, a recusal, an expert's
marks and an objection's decision. Each reads its fields, says what is wrong with them by field
(in both languages), and takes the step through huiqi.ledger.scenarios, which checks the role and
the stage as /v1/calls does. A refusal shows the call again with what the reader typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from huiqi.diagnostics import Bilingual
from huiqi.entrypoints.web.call_pages import PANEL_ROWS, after
from huiqi.facts.credit_code import validate_credit_code
from huiqi.ledger import scenarios
from huiqi.ledger import tables as t
from huiqi.ledger.errors import FieldError, Invalid
from huiqi.ledger.proposal_files import attach_to_proposal
from huiqi.ledger.uow import UnitOfWork
from huiqi.monitor.calls import Applicant, Expert, Proposal

router = APIRouter(include_in_schema=False)


def _text(form: Any, name: str, limit: int) -> str:
    return str(form.get(name) or "").strip()[:limit]


def _required(**values: str) -> None:
    missing = [FieldError(name, "required", zh="必填") for name, value in values.items() if not value]
    if missing:
        raise Invalid("missing fields", errors=missing)


def _partners(text: str) -> tuple[Applicant, ...]:
    """One partner a line: its credit code (checked), then its name (a space, comma or tab between)."""
    found, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [p for p in line.replace("，", ",").replace(",", " ").split() if p]
        if not parts:
            continue
        if len(parts) < 2:
            zh = f"第 {number} 行：请写“统一社会信用代码 企业名称”"
            problems.append(FieldError("partners", f"line {number}: write the credit code, then the name", zh=zh))
            continue
        try:
            code = validate_credit_code(parts[0])
        except Bilingual as bad:
            problems.append(FieldError("partners", f"line {number}: {bad.en}", zh=f"第 {number} 行：{bad.zh}"))
            continue
        found.append(Applicant(code, " ".join(parts[1:])))
    if problems:
        raise Invalid("bad partner", errors=problems)
    return tuple(found)


MAX_FILES = 10  # documents with one proposal (each within the attachment size limit)


def _chosen(form: Any) -> list[UploadFile]:
    """The files chosen in the form's file field (a browser sends an empty part when none is)."""
    return [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]


@router.post("/calls/{call_id}/proposal")
async def propose(request: Request, call_id: str) -> Response:
    """The signed-in enterprise's proposal, it the lead; partners one a line; its documents with it
    (all in one transaction: a refused file leaves no proposal). The proposal's number is the
    call's next (P1, P2, …): an enterprise need not invent one."""
    async with request.form(max_files=MAX_FILES, max_fields=50) as form:
        typed = {n: _text(form, n, 2000) for n in ("title", "partners")}
        files = _chosen(form)

        def work(uow: UnitOfWork) -> None:
            _required(title=typed["title"])
            own = uow.session.get(t.Enterprise, uow.actor.enterprise_id) if uow.actor.enterprise_id else None
            if own is None:
                raise Invalid(
                    "no enterprise", errors=[FieldError("lead", "sign in as an enterprise", zh="请以企业用户登录")]
                )
            lead = Applicant(own.credit_code, own.name)
            partners = _partners(typed["partners"])
            taken = {p.id for p in scenarios.load(uow, call_id).proposals}
            number = next(f"P{n}" for n in range(1, len(taken) + 2) if f"P{n}" not in taken)
            names = tuple(f.filename or "" for f in files)
            scenarios.submit(uow, call_id, Proposal(number, lead, partners, typed["title"][:200], uow.now, names))
            for chosen in files:
                attach_to_proposal(uow, call_id, number, chosen.filename, chosen.file)

        return await after(request, call_id, work, typed, done="proposal")


@router.post("/calls/{call_id}/files")
async def add_files(request: Request, call_id: str) -> Response:
    """More documents for the enterprise's own proposal, before the deadline."""
    async with request.form(max_files=MAX_FILES, max_fields=10) as form:
        proposal = _text(form, "proposal", 60)
        files = _chosen(form)

        def work(uow: UnitOfWork) -> None:
            if not files:
                zh = "请选择要上传的文件"
                raise Invalid("no file", errors=[FieldError("files", "choose a file to attach", zh=zh)])
            for chosen in files:
                attach_to_proposal(uow, call_id, proposal, chosen.filename, chosen.file)

        return await after(request, call_id, work, done="files")


@router.post("/calls/{call_id}/objection")
async def objection(request: Request, call_id: str) -> Response:
    form = await request.form()
    typed = {"proposal": _text(form, "proposal", 60), "text": _text(form, "text", 2000)}

    def work(uow: UnitOfWork) -> None:
        if not typed["text"]:
            raise Invalid("no text", errors=[FieldError("text", "say what the objection is", zh="请写明异议内容")])
        current = scenarios.load(uow, call_id)
        scenarios.object_to(uow, call_id, f"O{len(current.objections) + 1}", typed["proposal"], typed["text"])

    return await after(request, call_id, work, typed, done="objection")


def _codes(raw: str, field: str, row: int, column: tuple[str, str]) -> list[str]:
    """Credit codes separated by spaces, commas or 、, each checked (GB 32100-2015)."""
    found, wrong = [], []
    for part in raw.replace("，", ",").replace("、", ",").replace(",", " ").split():
        try:
            found.append(validate_credit_code(part))
        except Bilingual as bad:
            zh, en = f"第 {row + 1} 行{column[0]} {part}：{bad.zh}", f"row {row + 1}, {column[1]} {part}: {bad.en}"
            wrong.append(FieldError(field, en, zh=zh))
    if wrong:
        raise Invalid("bad credit code", errors=wrong)
    return found


def _experts(typed: dict[str, str]) -> tuple[Expert, ...]:
    """The rows filled in; every problem of every row said at once."""
    experts: list[Expert] = []
    problems: list[FieldError] = []
    for row in range(PANEL_ROWS):
        ident, name = typed[f"expert_id_{row}"], typed[f"expert_name_{row}"]
        employer, relations = typed[f"expert_employer_{row}"], typed[f"expert_relations_{row}"]
        if not (ident or name or employer or relations):
            continue
        found = len(problems)
        if not ident or not name:
            field = f"expert_id_{row}" if not ident else f"expert_name_{row}"
            en, zh = f"row {row + 1}: an expert needs a number and a name", f"第 {row + 1} 行：请填写专家编号和姓名"
            problems.append(FieldError(field, en, zh=zh))
        own, related = [], []
        try:
            own = _codes(employer, f"expert_employer_{row}", row, ("本人所在单位", "own enterprise"))
        except Invalid as bad:
            problems.extend(bad.errors)
        try:
            related = _codes(relations, f"expert_relations_{row}", row, ("关联单位", "declared relations"))
        except Invalid as bad:
            problems.extend(bad.errors)
        if len(own) > 1:
            en, zh = f"row {row + 1}: one own enterprise only", f"第 {row + 1} 行：本人所在单位只填一个"
            problems.append(FieldError(f"expert_employer_{row}", en, zh=zh))
        if len(problems) == found:
            experts.append(Expert(ident, name, own[0] if own else None, frozenset(related)))
    if problems:
        raise Invalid("bad expert rows", errors=problems)
    return tuple(experts)


@router.post("/calls/{call_id}/panel")
async def seat_panel(request: Request, call_id: str) -> Response:
    """After the deadline: the experts, one a row, with their own enterprise and declared relations."""
    form = await request.form()
    names = [f"expert_{part}_{row}" for row in range(PANEL_ROWS) for part in ("id", "name", "employer", "relations")]
    typed = {n: _text(form, n, 200) for n in names}

    def work(uow: UnitOfWork) -> None:
        scenarios.seat_panel(uow, call_id, _experts(typed))

    return await after(request, call_id, work, typed, done="panel")


@router.post("/calls/{call_id}/conflict")
async def declare_conflict(request: Request, call_id: str) -> Response:
    form = await request.form()
    typed = {"expert": _text(form, "expert", 60), "proposal": _text(form, "proposal", 60)}

    def work(uow: UnitOfWork) -> None:
        _required(expert=typed["expert"], proposal=typed["proposal"])
        scenarios.declare_conflict(uow, call_id, typed["expert"], typed["proposal"])

    return await after(request, call_id, work, typed, done="conflict")


@router.post("/calls/{call_id}/marks")
async def record_marks(request: Request, call_id: str) -> Response:
    """One expert's marks for one proposal, 0–100 on every criterion of the published rubric."""
    form = await request.form()
    typed = {str(k): _text(form, str(k), 60) for k in form if str(k) != "csrf_token"}

    def work(uow: UnitOfWork) -> None:
        _required(expert=typed.get("expert", ""), proposal=typed.get("proposal", ""))
        call = scenarios.load(uow, call_id)
        marks, problems = {}, []
        for criterion in call.criteria:
            raw = typed.get(f"mark_{criterion.id}", "")
            if not raw.isdigit() or int(raw) > 100:
                problems.append(
                    FieldError(
                        f"mark_{criterion.id}",
                        f"{criterion.title}: a whole number from 0 to 100",
                        zh=f"{criterion.title}: 请填写0至100的整数",
                    )
                )
                continue
            marks[criterion.id] = int(raw)
        if problems:
            raise Invalid("bad marks", errors=problems)
        scenarios.record_score(uow, call_id, typed["expert"], typed["proposal"], marks)

    return await after(request, call_id, work, typed, done="score")


@router.post("/calls/{call_id}/decision")
async def decide(request: Request, call_id: str) -> Response:
    """An objection upheld (its proposal leaves the ranking) or dismissed, with the reason."""
    form = await request.form()
    typed = {n: _text(form, n, 2000) for n in ("objection", "decision", "reason")}

    def work(uow: UnitOfWork) -> None:
        _required(objection=typed["objection"], reason=typed["reason"])
        if typed["decision"] not in ("upheld", "dismissed"):
            zh = "请选择成立或不成立"
            raise Invalid("no decision", errors=[FieldError("decision", "choose upheld or dismissed", zh=zh)])
        upheld = typed["decision"] == "upheld"
        scenarios.decide_objection(uow, call_id, typed["objection"], upheld, typed["reason"])

    return await after(request, call_id, work, typed, done="decision")
