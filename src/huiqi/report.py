"""An Assessment as plain data: the stable JSON of `huiqi calc --json` (and of the API later).

Amounts are decimal strings with two places ("1234.50"); a range is {"min", "max"}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from huiqi.engine.result import Assessment, MeasureResult, Step
from huiqi.money import Interval

Lang = Literal["zh", "en"]
SCHEMA_VERSION = 1


def amount_dict(amount: Interval | None) -> dict[str, str] | None:
    if amount is None:
        return None
    return {"min": f"{amount.lo:.2f}", "max": f"{amount.hi:.2f}"}


def _step(step: Step, lang: Lang) -> dict[str, Any]:
    return {
        "kind": step.kind,
        "text": step.text(lang),
        "detail": step.details(lang),
        "amount": amount_dict(step.amount),
    }


def _by_year(by_year: Mapping[int, Interval]) -> dict[str, dict[str, str] | None]:
    return {str(year): amount_dict(amount) for year, amount in sorted(by_year.items())}


def result_dict(result: MeasureResult, lang: Lang = "zh") -> dict[str, Any]:
    subject = result.subject
    return {
        "measure": result.measure,
        "policy": result.policy,
        "title": result.title if lang == "zh" else result.title_en,
        "subject": None if subject is None else {"kind": subject.kind, "id": subject.id, "name": subject.name},
        "status": result.status.value,
        "amount": amount_dict(result.amount),
        "by_year": _by_year(result.by_year),
        "tranches": [
            {"on": t.on, "share": t.share, "year": t.year, "title": t.title, "amount": amount_dict(t.amount)}
            for t in result.tranches
        ],
        "reasons": [r.zh if lang == "zh" else r.en for r in result.reasons],
        "reason_codes": [r.code for r in result.reasons],
        "review": list(result.review),
        "superseded_by": result.superseded_by,
        "trace": [_step(s, lang) for s in result.trace],
        "quote": result.quote,
        "interpretations": [
            {
                "id": i.id,
                "owner": i.owner,
                "question": i.question,
                "decision": i.decision,
                "choice": i.choice,
                "alternatives": list(i.alternatives),
            }
            for i in result.interpretations
        ],
        "in_force": None
        if result.in_force is None
        else {
            "from": result.in_force[0].isoformat(),
            "to": result.in_force[1].isoformat() if result.in_force[1] else None,
        },
    }


def assessment_dict(assessment: Assessment, lang: Lang = "zh") -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": assessment.as_of.isoformat(),
        "enterprise": {"name": assessment.enterprise, "credit_code": assessment.credit_code},
        "total": amount_dict(assessment.total),
        "results": [result_dict(r, lang) for r in assessment.results],
    }
