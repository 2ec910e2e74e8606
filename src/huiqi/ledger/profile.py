"""An enterprise's own facts taken from a facts document (the calculator's, a facts file's).

The calculator and `huiqi calc` read one document: the enterprise and its subjects. An
enterprise user who has computed a result may keep it as the profile the ledger holds, and an
application started from a result carries those facts: the enterprise entry is updated and each
subject is updated (same id) or added — through the catalogue's services, with their checks.
Subjects the document leaves out are kept: an application may already name them. Its prior
awards are not taken: what the ledger has awarded is in the ledger, and counts from there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from huiqi.facts.models import Facts
from huiqi.ledger import tables as t
from huiqi.ledger.catalogue import FACTS_LIST, add_project, enterprise_by_code, update_project, validated
from huiqi.ledger.catalogue import update_enterprise as update_entry
from huiqi.ledger.errors import FieldError, Forbidden, Invalid
from huiqi.ledger.uow import UnitOfWork


def take_facts(uow: UnitOfWork, enterprise_code: str, document: dict[str, Any]) -> dict[str, int]:
    """Make the ledger's facts of this enterprise say what `document` says; {subject id: project id}."""
    enterprise = enterprise_by_code(uow, enterprise_code)
    if not (uow.actor.is_officer or uow.actor.enterprise_id == enterprise.id):
        raise Forbidden("you may not change this enterprise")
    facts = validated(Facts, document)
    assert isinstance(facts, Facts)
    if facts.enterprise.credit_code != enterprise.credit_code:
        raise Invalid(
            "another enterprise",
            errors=[
                FieldError(
                    "enterprise.credit_code",
                    f"these facts are of {facts.enterprise.credit_code}, not of {enterprise.credit_code}",
                    zh=f"这些资料属于统一社会信用代码 {facts.enterprise.credit_code}，不是本企业"
                    f"（{enterprise.credit_code}）",
                )
            ],
        )
    dumped = facts.model_dump(mode="json")
    update_entry(uow, enterprise_code, dumped["enterprise"], None)
    existing = {
        (p.kind, p.ref): p
        for p in uow.session.execute(select(t.Project).where(t.Project.enterprise_id == enterprise.id)).scalars()
    }
    ids: dict[str, int] = {}
    for kind, plural in FACTS_LIST.items():
        for subject in dumped.get(plural) or []:
            known = existing.get((kind, str(subject["id"])))
            if known is None:
                row = add_project(uow, enterprise_code, kind, subject)
            elif known.facts != subject:
                row = update_project(uow, known.id, subject, None)
            else:
                row = known
            ids[row.ref] = row.id
    return ids
