"""An Assessment as plain data: the stable JSON of `huiqi calc --json` (and of the API later).

Amounts are decimal strings with two places ("1234.50"); a range is {"min", "max"}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import orjson

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
        "outcome": result.outcome,
        "reasons": [r.zh if lang == "zh" else r.en for r in result.reasons],
        "reason_codes": [r.code for r in result.reasons],
        "missing_facts": list(result.missing_facts),
        "needs": [{"fact": n.fact, "text": n.zh if lang == "zh" else n.en} for r in result.reasons for n in r.needs],
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
                "alternative_texts": list(i.alternative_texts),
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


def stable_json(data: Any) -> bytes:
    """`huiqi calc --json`'s UTF-8: indented by two, non-ASCII as itself, a newline at the end — what
    json.dumps(data, ensure_ascii=False, indent=2) writes, by orjson (twenty times faster on a
    long assessment; tests/test_large_facts.py holds the two equal)."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE)
