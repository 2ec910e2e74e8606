"""The ledger's codes as people read them: application states, districts, policies and measures.

State names are the workspace's (labels.STATES, translated by the catalogue), so the queue and
the dashboards name a state alike.
"""

from __future__ import annotations

from huiqi.entrypoints.web import labels
from huiqi.entrypoints.web.i18n import Lang, gettext_for
from huiqi.region_text import region_label
from huiqi.rules.library import Library

# The order an application moves through its states (the pipeline reads left to right).
STATE_ORDER = {state: index for index, state in enumerate(labels.STATES)}


def state_label(state: str, lang: Lang) -> str:
    """The state's name from the catalogue (labels.STATES), as the workspace shows it."""
    name = labels.STATES.get(state)
    return str(gettext_for(lang)(name)) if name else state


def district_label(code: str, lang: Lang) -> str:
    return region_label(code, lang)


def policy_title(library: Library, policy_id: str, lang: Lang) -> str:
    """A policy's title; for a budget pool's account (`<policy>/<pool>`), the policy's and the pool's."""
    policy_id, _, pool_id = policy_id.partition("/")
    try:
        found = library.policy(policy_id)
    except KeyError:
        return policy_id + (f"/{pool_id}" if pool_id else "")  # since removed from the library: as the ledger has it
    title = found.title if lang == "zh" or not found.title_en else found.title_en
    pool = next((p for p in found.budgets if p.id == pool_id), None) if pool_id else None
    if pool_id and pool is None:
        return f"{title} · {pool_id}"
    if pool is not None:
        return f"{title} · {pool.title if lang == 'zh' or not pool.title_en else pool.title_en}"
    return title


def measure_title(library: Library, measure_id: str, lang: Lang) -> str:
    try:
        measure = library.measure(measure_id).measure
    except KeyError:
        return measure_id
    return measure.title if lang == "zh" or not measure.title_en else measure.title_en
