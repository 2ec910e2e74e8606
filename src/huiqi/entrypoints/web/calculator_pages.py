"""The public calculator: a guided form, its checks as the user types, and results with permalinks.

Pages: GET /calculator (the form, empty, from a saved result or for a policy), POST
/calculator/form (the form again after a structural answer: HTMX swaps the questions),
POST /calculator/check (one answer checked), POST /calculator/upload (a facts file into the
form), POST /calculator (compute, keep, redirect to the permalink), GET /calculator/r/{id}
(the result; JSON at the same URL) and its downloads (facts file, JSON, Excel).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from huiqi.diagnostics import InputError
from huiqi.engine.interpret import evaluate
from huiqi.engine.questions import subject_kinds_in_force
from huiqi.entrypoints.api.deps import ANONYMOUS
from huiqi.entrypoints.web import calculator_form as cf
from huiqi.entrypoints.web import calculator_views as cr
from huiqi.entrypoints.web.auth_pages import current_user
from huiqi.entrypoints.web.i18n import gettext_for
from huiqi.entrypoints.web.portal_pages import my_facts
from huiqi.entrypoints.web.render import error_page, html, is_htmx, lang_of, respond
from huiqi.facts.models import Facts
from huiqi.facts.parse import parse_facts
from huiqi.ledger.calculations import calculation, save_calculation
from huiqi.ledger.errors import NotFound
from huiqi.ledger.uow import Ledger
from huiqi.ledger.workflow import Role
from huiqi.report import assessment_dict
from huiqi.rules.library import Library, chosen

router = APIRouter(include_in_schema=False)
FACTS_FILE_LIMIT = 512 * 1024  # a facts file for the form: a few KiB; larger groups use `huiqi calc`


def _library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _as_of(answers: cf.Answers) -> date:
    try:
        return date.fromisoformat(answers.as_of) if answers.as_of else date.today()
    except ValueError:
        return date.today()


def form_data(
    library: Library,
    answers: cf.Answers,
    errors: list[cf.FieldError] | None = None,
    notice: str | None = None,
    *,
    live_check: bool = False,
) -> dict[str, Any]:
    """The calculator form's data: each subject's questions, the answers so far, the errors."""
    as_of = _as_of(answers)
    if not answers.as_of:
        answers.as_of = as_of.isoformat()
    groups, names = cf.layout(library, answers, as_of)
    errors = errors or []
    by_name: dict[str, cf.FieldError] = {e.name: e for e in errors if e.name}
    titles = {ref.measure.id: (ref.measure.title, ref.measure.title_en) for ref in library.measures()}
    if live_check:  # answers already given are checked again, so their errors survive a refresh
        for name in names:
            value = answers.value(name)
            if name not in by_name and isinstance(value, str) and value:
                problem = cf.check_field(name, value)
                if problem is not None:
                    by_name[name] = problem
    subjects = []
    for group, inputs in groups:
        subjects.append(
            {
                "kind": group.kind,
                "index": group.index,
                "measures": [{"id": m, "title": titles[m][0], "title_en": titles[m][1]} for m in group.measures],
                "questions": cr.grouped([cr.input_dict(i, answers, by_name, titles, library) for i in inputs]),
            }
        )
    return {
        "as_of": as_of.isoformat(),
        "answers": answers.as_dict(),
        "subjects": subjects,
        "counts": {cf.LISTS[k]: len(v) for k, v in answers.subjects.items()},
        "kinds_in_force": subject_kinds_in_force(library, as_of),
        "errors": [{"field": e.name, "zh": e.zh, "en": e.en} for e in errors],
        "unplaced": [{"zh": e.zh, "en": e.en} for e in errors if e.name not in names],
        "notice": notice,
        "max_subjects": cf.MAX_SUBJECTS,
    }


def _apply_action(answers: cf.Answers, add: str, remove: str) -> None:
    if add in cf.LISTS and len(answers.subjects[add]) < cf.MAX_SUBJECTS:
        answers.subjects[add].append({})
    kind, _, index = remove.partition(":")
    if kind in cf.LISTS and index.isdigit() and int(index) < len(answers.subjects[kind]):
        del answers.subjects[kind][int(index)]


async def _answers(request: Request) -> tuple[cf.Answers, str, str]:
    form = await request.form()
    pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    answers = cf.read_form(pairs)
    return answers, str(form.get("add") or ""), str(form.get("remove") or "")


def _form_page(request: Request, data: dict[str, Any], status: int = 200) -> Response:
    if is_htmx(request):
        return html(request, "partials/calc_form.html", data, status)
    return respond(request, "calculator.html", data, status)


def for_policy(library: Library, policy_id: str, today: date) -> tuple[cf.Answers, str | None]:
    """Answers started for one policy: where it applies, and a day it is in force."""
    answers = cf.Answers()
    for policy in library.policies:
        if policy.id != policy_id:
            continue
        answers.enterprise["business_district"] = policy.applies_in.region
        answers.enterprise["tax_district"] = policy.applies_in.region
        window = policy.in_force
        day = today if window.start <= today and (window.end is None or today <= window.end) else None
        if day is None:
            day = window.start if today < window.start else (window.end or today)
        answers.as_of = day.isoformat()
        return answers, policy.title
    return answers, None


@router.get("/calculator")
def calculator(request: Request) -> Response:
    _ = gettext_for(lang_of(request))
    answers = cf.Answers()
    notice = None
    saved = request.query_params.get("from")
    policy_id = request.query_params.get("policy")
    if policy_id and not saved:
        answers, title = for_policy(_library(request), policy_id, date.today())
        if title:
            notice = _("Started for %(policy)s: its place and a day it is in force are filled in.") % {"policy": title}
    user = current_user(request)
    if request.query_params.get("mine") and user is not None and user.role is Role.ENTERPRISE:
        answers = cf.answers_from_facts(_ledger(request).read(user, my_facts))
        notice = _("Your enterprise's facts as the ledger holds them. Change them, compute, then keep them.")
    elif saved:
        try:
            stored = _ledger(request).read(ANONYMOUS, lambda uow: calculation(uow, saved))
            answers = cf.answers_from_facts(stored["facts"])
        except NotFound:
            notice = _("That saved calculation was not found; the form is empty.")
    return _form_page(request, form_data(_library(request), answers, notice=notice))


@router.post("/calculator/form")
async def calculator_form(request: Request) -> Response:
    answers, add, remove = await _answers(request)
    _apply_action(answers, add, remove)
    return _form_page(request, form_data(_library(request), answers, live_check=True))


@router.post("/calculator/check")
async def check(request: Request) -> Response:
    """One answer checked alone (HTMX, on change): the error text for the slot beside it, or nothing."""
    form = await request.form()
    name = request.headers.get("hx-trigger-name") or str(form.get("field") or "")
    value = form.get(name)
    problem = cf.check_field(name, value if isinstance(value, str) else "")
    text = problem.text(lang_of(request)) if problem else ""
    return html(request, "partials/field_error.html", {"text": text})


@router.post("/calculator/upload")
async def upload(request: Request) -> Response:
    """A facts file (the format `huiqi calc` reads) loaded into the form; problems listed by line."""
    _ = gettext_for(lang_of(request))
    form = await request.form()
    file = form.get("facts_file")
    if not isinstance(file, UploadFile) or not file.filename:
        errors = [cf.FieldError("", "请选择一个资料文件(.yaml 或 .json)。", "Choose a facts file (.yaml or .json).")]
        return _form_page(request, form_data(_library(request), cf.Answers(), errors), 422)
    content = await file.read(FACTS_FILE_LIMIT + 1)
    name = file.filename
    problems: list[cf.FieldError] = []
    if len(content) > FACTS_FILE_LIMIT:
        problems.append(
            cf.FieldError("", f"{name}: 文件超过 {FACTS_FILE_LIMIT // 1024} KiB", f"{name}: larger than the limit")
        )
    elif not name.lower().endswith((".yaml", ".yml", ".json")):
        problems.append(
            cf.FieldError("", f"{name}: 只接受 .yaml、.yml 或 .json 文件", f"{name}: only .yaml, .yml or .json files")
        )
    else:
        try:
            text = content.decode("utf-8-sig")
            known = {ref.measure.id for ref in _library(request).measures()}
            facts = parse_facts(text, name, known)
            answers = cf.answers_from_facts(facts.model_dump(mode="json", exclude_none=True))
            notice = _("Loaded %(file)s into the form. Check the answers, then calculate.") % {"file": name}
            return _form_page(request, form_data(_library(request), answers, notice=notice))
        except UnicodeDecodeError:
            problems.append(cf.FieldError("", f"{name}: 不是 UTF-8 编码的文本", f"{name}: not UTF-8 text"))
        except InputError as error:
            problems = [
                cf.FieldError("", f"{d.file}:{d.line or ''} {d.field} {d.text('zh')}".strip(), str(d))
                for d in error.diagnostics
            ]
    return _form_page(request, form_data(_library(request), cf.Answers(), problems), 422)


@router.post("/calculator")
async def calculate(request: Request) -> Response:
    answers, _add, _remove = await _answers(request)
    library = _library(request)
    as_of = _as_of(answers)
    _groups, names = cf.layout(library, answers, as_of)
    facts, errors = cf.validate(answers, names)
    if facts is None:
        return _form_page(request, form_data(library, answers, errors), 422)
    assessment = evaluate(facts, library, as_of)
    result = {lang: assessment_dict(assessment, lang) for lang in ("zh", "en")}
    stored_facts = facts.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    actor = request.app.state.current_user(request) or ANONYMOUS
    public_id = _ledger(request).run(
        actor,
        lambda uow: save_calculation(uow, stored_facts, as_of, library.digest, {}, result),
    )
    return RedirectResponse(f"/calculator/r/{public_id}", status_code=303)


def _stored(request: Request, public_id: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = _ledger(request).read(ANONYMOUS, lambda uow: calculation(uow, public_id))
    except NotFound:
        return None
    return found


@router.get("/calculator/r/{public_id}")
def result(request: Request, public_id: str) -> Response:
    stored = _stored(request, public_id)
    if stored is None:
        return error_page(request, 404, "Not found", "")
    data = cr.result_data(stored, _library(request), lang_of(request), str(request.base_url).rstrip("/"))
    return respond(request, "result.html", data)


@router.post("/calculator/r/{public_id}/reinterpret")
async def reinterpret(request: Request, public_id: str) -> Response:
    """The same facts recomputed with other readings of ambiguous clauses (kept as a new result)."""
    stored = _stored(request, public_id)
    if stored is None:
        return error_page(request, 404, "Not found", "")
    form = await request.form()
    choices = {
        key.removeprefix("choice."): value
        for key, value in form.multi_items()
        if key.startswith("choice.") and isinstance(value, str) and value != "default"
    }
    library = _library(request)
    try:
        library_chosen = chosen(library, choices)
        facts = Facts.model_validate(stored["facts"])
    except InputError as error:
        return error_page(
            request, 422, "Invalid request", "; ".join(d.text(lang_of(request)) for d in error.diagnostics)
        )
    as_of = date.fromisoformat(stored["as_of"])
    assessment = evaluate(facts, library_chosen, as_of)
    result = {lang: assessment_dict(assessment, lang) for lang in ("zh", "en")}
    actor = request.app.state.current_user(request) or ANONYMOUS
    new_id = _ledger(request).run(
        actor, lambda uow: save_calculation(uow, stored["facts"], as_of, library.digest, choices, result)
    )
    return RedirectResponse(f"/calculator/r/{new_id}", status_code=303)


@router.get("/calculator/r/{public_id}/facts.yaml")
def facts_file(request: Request, public_id: str) -> Response:
    stored = _stored(request, public_id)
    if stored is None:
        return error_page(request, 404, "Not found", "")
    body = yaml.safe_dump(stored["facts"], allow_unicode=True, sort_keys=False)
    headers = {"content-disposition": f'attachment; filename="huiqi-facts-{public_id[:8]}.yaml"'}
    return Response(body, media_type="application/yaml; charset=utf-8", headers=headers)


@router.get("/calculator/r/{public_id}/result.json")
def result_json(request: Request, public_id: str) -> Response:
    stored = _stored(request, public_id)
    if stored is None:
        return error_page(request, 404, "Not found", "")
    body = json.dumps(stored["result"][lang_of(request)], ensure_ascii=False, indent=2)
    headers = {"content-disposition": f'attachment; filename="huiqi-result-{public_id[:8]}.json"'}
    return Response(body, media_type="application/json", headers=headers)


@router.get("/calculator/r/{public_id}/result.xlsx")
def result_xlsx(request: Request, public_id: str) -> Response:
    stored = _stored(request, public_id)
    if stored is None:
        return error_page(request, 404, "Not found", "")
    body = cr.result_workbook(stored, lang_of(request))
    headers = {"content-disposition": f'attachment; filename="huiqi-result-{public_id[:8]}.xlsx"'}
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers=headers)
