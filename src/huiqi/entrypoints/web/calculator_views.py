"""The calculator's data for its templates: each input as a dict, and a saved result as a page.

Plain dicts of JSON types (the same dict is the page's JSON): amounts stay decimal strings.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from huiqi.cells import safe_cell
from huiqi.engine.questions import mentioned_values
from huiqi.entrypoints.web import calculator_form as cf
from huiqi.entrypoints.web.i18n import Lang
from huiqi.facts.vocabulary import District
from huiqi.region_text import region_label
from huiqi.regions import HOME, read_region, region, within
from huiqi.rules.factpaths import SUBJECT_MODELS, fact_label
from huiqi.rules.library import Library

OUTCOME_ORDER = (
    "eligible",
    "needs_decision",
    "undecided",
    "ineligible",
    "superseded",
    "no_subject",
    "other_region",
    "not_in_force",
)
COLLAPSED = ("no_subject", "other_region", "not_in_force")
OUTCOME_WORDS = {
    "eligible": {"zh": "可享受", "en": "Eligible"},
    "needs_decision": {"zh": "需个案决定", "en": "Decided case by case"},
    "undecided": {"zh": "尚无法判断(缺少信息)", "en": "Cannot decide yet (facts missing)"},
    "ineligible": {"zh": "不符合", "en": "Not eligible"},
    "superseded": {"zh": "就高不重复(被替代)", "en": "Superseded (the higher applies)"},
    "no_subject": {"zh": "不适用(没有相应的项目或对象)", "en": "Not applicable (nothing of that kind given)"},
    "other_region": {
        "zh": "其他地区的政策(企业注册地不在其适用范围)",
        "en": "Other regions' policies (registered elsewhere)",
    },
    "not_in_force": {"zh": "不在有效期", "en": "Not in force"},
}
TRIGGER_WORDS = {
    "approval": {"zh": "立项/核定时", "en": "on approval"},
    "acceptance": {"zh": "验收后", "en": "on acceptance"},
    "annual": {"zh": "按年", "en": "yearly"},
    "award": {"zh": "认定后", "en": "on award"},
}


def outcome_of(item: Mapping[str, Any]) -> str:
    """The group a result is shown in: its outcome, with "nothing to apply it to" apart."""
    outcome = str(item.get("outcome") or item["status"])
    codes = set(item.get("reason_codes") or ())
    if outcome == "ineligible" and codes == {"outside_region"}:
        return "other_region"
    if outcome == "ineligible" and codes == {"out_of_scope"}:
        return "no_subject"
    return outcome


def _widget(question: Any) -> str:
    kind = question.type.kind
    if kind in ("enum", "region"):
        return "select"
    if kind == "set":
        return "checks"
    if kind == "bool":
        return "bool"
    if kind == "date":
        return "date"
    if question.money or kind == "by_year":
        return "money"
    if kind == "number":
        return "number"
    return "text"


def input_dict(
    item: cf.Input,
    answers: cf.Answers,
    errors: Mapping[str, cf.FieldError],
    titles: Mapping[str, tuple[str, str]],
    library: Library,
) -> dict[str, Any]:
    question = item.question
    widget = _widget(question)
    value = answers.value(item.name)
    options: list[dict[str, Any]] = []
    if widget in ("select", "checks"):
        if question.type.kind == "region":
            offered = [(code, zh, region_label(code, "en")) for code, zh in region_choices(library)]
            given = _region_of(value)
            if given is not None:
                value = given  # 闵行 or minhang as the list's code
                if all(code != given for code, _, _ in offered):
                    # a district the list does not name (深圳市南山区 from a facts file): offered as given
                    offered.insert(len(offered) - 1, (given, region(given).full_name, region_label(given, "en")))
        else:
            offered = question.options()
        if widget == "checks":
            mentioned = mentioned_values(library, question.measures, question.path)
            offered = [choice for choice in offered if choice[0] in mentioned]
        chosen = set(value) if isinstance(value, list) else {value}
        options = [{"value": code, "zh": zh, "en": en, "on": code in chosen} for code, zh, en in offered]
    error = errors.get(item.name)
    return {
        "name": item.name,
        "id": item.id,
        "path": ".".join(question.path),
        "label": {"zh": question.label_zh, "en": question.label_en},
        "widget": widget,
        "value": value if isinstance(value, str) else "",
        "options": options,
        "year": item.year,
        "unit": question.unit,
        "help": question.help,
        "used_by": [{"zh": titles[m][0], "en": titles[m][1]} for m in question.measures if m in titles],
        "error": {"zh": error.zh, "en": error.en} if error else None,
        "required": _required(question.path),
    }


def _region_of(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return read_region(value, prefer=HOME).code
    except ValueError:
        return None


def region_choices(library: Library) -> list[tuple[str, str]]:
    """The regions a form offers: Shanghai's districts and zones, then every region a policy of the
    library applies in (深圳市, 北京市 …), then "outside Shanghai"; each by its code."""
    shanghai = [(read_region(str(d.value)).code, d.zh) for d in District if d is not District.OUTSIDE_SHANGHAI]
    offered = {code for code, _ in shanghai}
    others: list[tuple[str, str]] = []
    for policy in library.policies:
        code = policy.applies_in.region
        if code not in offered and not within(code, HOME):
            offered.add(code)
            others.append((code, region(code).full_name))
    outside = read_region(str(District.OUTSIDE_SHANGHAI.value)).code
    return [*shanghai, *others, (outside, District.OUTSIDE_SHANGHAI.zh)]


def _required(path: tuple[str, ...]) -> bool:
    """A fact the facts model requires (no default): the form offers no "not sure" for it."""
    model = SUBJECT_MODELS.get(path[0])
    field = model.model_fields.get(path[1]) if model is not None and len(path) == 2 else None
    return field is not None and field.is_required()


def grouped(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One question per fact: the inputs of a yearly fact (one per year) under one question."""
    out: list[dict[str, Any]] = []
    for item in inputs:
        if item["year"] is None:
            out.append({**item, "years": []})
            continue
        base = item["name"].rsplit("[", 1)[0]
        if out and out[-1]["name"] == base:
            out[-1]["years"].append(item)
            out[-1]["error"] = out[-1]["error"] or item["error"]
        else:
            out.append({**item, "name": base, "id": cf.input_id(base), "value": "", "years": [item]})
    return out


# ---- a saved result --------------------------------------------------------------------------


def _subject_prefix(kind: str, subject_id: str, facts: Mapping[str, Any]) -> str | None:
    """The input-name prefix of a result's subject: projects[0] for 项目1."""
    if kind == "enterprise":
        return "enterprise"
    plural = cf.LISTS.get(kind)
    if plural is None:
        return None
    for index, item in enumerate(facts.get(plural) or []):
        if item.get("id") == subject_id:
            return f"{plural}[{index}]"
    return None


def _missing(result: Mapping[str, Any], facts: Mapping[str, Any], public_id: str) -> list[dict[str, Any]]:
    subject = result.get("subject") or {"kind": "enterprise", "id": ""}
    found = []
    for fact in result.get("missing_facts", []):
        path = tuple(fact.split("."))
        if fact == "leases":
            found.append(
                {
                    "fact": fact,
                    "label": {"zh": "租赁场地", "en": "leased premises"},
                    "link": f"/calculator?from={public_id}#add-leases",
                }
            )
            continue
        zh, en = fact_label(path)
        owner = "enterprise" if path[0] == "enterprise" else subject["kind"]
        prefix = _subject_prefix(owner, subject.get("id", ""), facts)
        name = f"{prefix}.{'.'.join(path[1:])}" if prefix else ""
        link = f"/calculator?from={public_id}#{cf.input_id(name)}" if name else f"/calculator?from={public_id}"
        found.append({"fact": fact, "label": {"zh": zh, "en": en}, "link": link})
    return found


def _choosable(assessment: Mapping[str, Any], library: Library, chosen: Mapping[str, str]) -> list[dict[str, Any]]:
    """The interpretations behind these results that have alternatives: each a choice to recompute with."""
    texts: dict[str, tuple[str, str, dict[str, str]]] = {}
    for policy in library.policies:
        owners = [(policy.id, policy.interpretations), *((m.id, m.interpretations) for m in policy.measures)]
        for owner, items in owners:
            for item in items:
                alternatives = {key: alt.text for key, alt in item.alternatives.items()}
                texts[f"{owner}:{item.id}"] = (item.question, item.decision, alternatives)
    found: dict[str, dict[str, Any]] = {}
    for result in assessment["results"]:
        if result["status"] == "not_in_force":
            continue
        for use in result.get("interpretations", []):
            key = f"{use['owner']}:{use['id']}"
            if key in found or key not in texts or not texts[key][2]:
                continue
            question, decision, alternatives = texts[key]
            choice = chosen.get(key, "default")
            options = [{"value": "default", "text": decision, "on": choice == "default"}]
            options += [{"value": k, "text": v, "on": choice == k} for k, v in alternatives.items()]
            found[key] = {"key": key, "question": question, "options": options, "changed": choice != "default"}
    return list(found.values())


def result_data(stored: Mapping[str, Any], library: Library, lang: Lang, base_url: str) -> dict[str, Any]:
    """A saved calculation as its page shows it: the results grouped by outcome, with the why."""
    assessment = stored["result"][lang]
    public_id = stored["id"]
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in OUTCOME_ORDER}
    anchors = {ref.measure.id: (ref.policy.id, ref.measure.id.split(".", 1)[1]) for ref in library.measures()}
    for item in assessment["results"]:
        outcome = outcome_of(item)
        policy, anchor = anchors.get(item["measure"], (item["policy"], ""))
        groups.setdefault(outcome, []).append(
            {
                **item,
                "policy_link": f"/policies/{policy}#{anchor}" if anchor else f"/policies/{policy}",
                "missing": _missing(item, stored["facts"], public_id),
                "tranches": [
                    {**tr, "when": tr.get("title") or TRIGGER_WORDS.get(tr["on"], {}).get(lang, tr["on"])}
                    for tr in item.get("tranches", [])
                ],
            }
        )
    same = stored["library_digest"] == library.digest
    link = f"{base_url}/calculator/r/{public_id}"
    citation = {
        "zh": (
            f"惠企测算结果 {public_id}；评估日期 {stored['as_of']}；政策库版本 {stored['library_digest'][:12]}；"
            f"生成于 {stored['created_at'][:19].replace('T', ' ')} UTC；{link}"
        ),
        "en": (
            f"huiqi calculation {public_id}; as of {stored['as_of']}; policy library {stored['library_digest'][:12]}; "
            f"made {stored['created_at'][:19].replace('T', ' ')} UTC; {link}"
        ),
    }
    return {
        "id": public_id,
        "as_of": stored["as_of"],
        "created_at": stored["created_at"],
        "library_digest": stored["library_digest"],
        "current_library_digest": library.digest,
        "same_library": same,
        "enterprise": assessment["enterprise"],
        "total": assessment["total"],
        "groups": [
            {"outcome": key, "title": OUTCOME_WORDS[key], "results": groups[key], "collapsed": key in COLLAPSED}
            for key in OUTCOME_ORDER
            if groups[key]
        ],
        "counts": {key: len(groups[key]) for key in OUTCOME_ORDER},
        "choices": dict(stored.get("choices") or {}),
        "choosable": _choosable(assessment, library, dict(stored.get("choices") or {})),
        "citation": citation,
        "permalink": link,
        "downloads": {
            "json": f"/calculator/r/{public_id}/result.json",
            "xlsx": f"/calculator/r/{public_id}/result.xlsx",
            "facts": f"/calculator/r/{public_id}/facts.yaml",
            "edit": f"/calculator?from={public_id}",
            "reinterpret": f"/calculator/r/{public_id}/reinterpret",
        },
    }


HEADERS = {
    "zh": ["措施", "政策", "对象", "结果", "金额下限(元)", "金额上限(元)", "原因", "缺少的信息", "条款原文"],
    "en": [
        "Measure",
        "Policy",
        "Subject",
        "Outcome",
        "Amount min (yuan)",
        "Amount max (yuan)",
        "Reasons",
        "Missing",
        "Clause",
    ],
}


def result_workbook(stored: Mapping[str, Any], lang: Lang) -> bytes:
    """The results as an .xlsx: one row per measure and subject, money as exact numbers."""
    assessment = stored["result"][lang]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "测算结果" if lang == "zh" else "results"
    sheet.append(HEADERS[lang])
    for item in assessment["results"]:
        outcome = outcome_of(item)
        amount = item.get("amount") or {}
        subject = item.get("subject") or {}
        row = [
            item["title"],
            item["policy"],
            subject.get("name", ""),
            OUTCOME_WORDS.get(outcome, {}).get(lang, outcome),
            Decimal(amount["min"]) if amount else None,
            Decimal(amount["max"]) if amount else None,
            "；".join(item.get("reasons", [])),
            "、".join(item.get("missing_facts", [])),
            item.get("quote", ""),
        ]
        sheet.append([safe_cell(v) for v in row])
    for column in ("E", "F"):
        for cell in sheet[column][1:]:
            cell.number_format = "#,##0.00"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
