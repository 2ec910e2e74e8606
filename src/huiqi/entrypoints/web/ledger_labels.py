"""The ledger's codes as people read them: application states, districts, policies and measures.

State names are a bilingual table here rather than catalogue messages: "Approved" or "Closed"
alone would mean other things on other pages, and one message id says one thing everywhere.
"""

from __future__ import annotations

from huiqi.entrypoints.web.i18n import Lang
from huiqi.facts.vocabulary import District
from huiqi.ledger.workflow import State
from huiqi.rules.library import Library

STATE_LABELS: dict[str, dict[Lang, str]] = {
    State.DRAFT.value: {"zh": "草稿", "en": "Draft"},
    State.SUBMITTED.value: {"zh": "已提交", "en": "Submitted"},
    State.UNDER_REVIEW.value: {"zh": "审核中", "en": "Under review"},
    State.RETURNED.value: {"zh": "已退回", "en": "Returned"},
    State.APPROVED.value: {"zh": "已批准", "en": "Approved"},
    State.ACCEPTED.value: {"zh": "已验收", "en": "Accepted"},
    State.CLOSED.value: {"zh": "已办结", "en": "Closed"},
    State.REJECTED.value: {"zh": "未通过", "en": "Rejected"},
    State.WITHDRAWN.value: {"zh": "已撤回", "en": "Withdrawn"},
}
# The order an application moves through them (the pipeline reads left to right).
STATE_ORDER = {state: index for index, state in enumerate(STATE_LABELS)}
_DISTRICTS = {d.value: d for d in District}


def state_label(state: str, lang: Lang) -> str:
    return STATE_LABELS.get(state, {}).get(lang, state)


def district_label(code: str, lang: Lang) -> str:
    district = _DISTRICTS.get(code)
    if district is None:
        return code
    return district.zh if lang == "zh" else district.value.replace("_", " ").title()


def policy_title(library: Library, policy_id: str, lang: Lang) -> str:
    try:
        found = library.policy(policy_id)
    except KeyError:
        return policy_id  # a policy since removed from the library: its id, as the ledger has it
    return found.title if lang == "zh" or not found.title_en else found.title_en


def measure_title(library: Library, measure_id: str, lang: Lang) -> str:
    try:
        measure = library.measure(measure_id).measure
    except KeyError:
        return measure_id
    return measure.title if lang == "zh" or not measure.title_en else measure.title_en
