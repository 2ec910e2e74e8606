"""What one enterprise is entitled to and has not applied for: `huiqi match`'s push list, for one.

The same steps as `huiqi match --db` (entrypoints/simulate_cli.py): the enterprise's facts with
its committed awards (population), the interpreter's candidates, the ledger's applications and
awards as claims, and `push_list` leaving out what is applied for (non-duplication groups
included). So the portal's list and the officers' push list never disagree.
"""

from __future__ import annotations

from datetime import date

from huiqi.batch.interpreted import candidate_rows, prior_award_rows
from huiqi.batch.match import Push, ledger_claims, prior_award_claims, push_list
from huiqi.ledger import tables as t
from huiqi.ledger.errors import Forbidden
from huiqi.ledger.population import filed, population
from huiqi.ledger.uow import UnitOfWork


def not_applied_for(uow: UnitOfWork, enterprise: t.Enterprise, as_of: date) -> list[Push]:
    """The enterprise's pushes on `as_of`: eligible or needing a decision, and not applied for."""
    if not uow.actor.may_see(enterprise.id):
        raise Forbidden("this enterprise is not yours")
    facts = population(uow, enterprise.id)
    rows = candidate_rows(facts, uow.library, as_of)
    applied, earlier = ledger_claims(filed(uow, enterprise.id))
    return push_list(rows, applied + prior_award_claims(prior_award_rows(facts)), earlier, uow.library)
