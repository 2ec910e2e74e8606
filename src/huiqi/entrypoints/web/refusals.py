"""The ledger's refusals in the reader's language, for the pages (the API keeps its English detail).

A refusal carries a class (Forbidden, NotFound, Conflict, …), a code and, for approvals, the
engine's reasons (already Chinese); the page names what happened from those, not from the
English detail, and lists the reasons as they are.
"""

from __future__ import annotations

from huiqi.entrypoints.web.i18n import Lang, gettext_for
from huiqi.entrypoints.web.render import N_
from huiqi.ledger.errors import LedgerError

BY_CODE = {
    "forbidden": N_("Your role may not do this, or this belongs to another enterprise."),
    "not_found": N_("Not found, or not yours to see."),
    "unauthenticated": N_("Sign in first."),
    "precondition_failed": N_("Someone changed this in the meantime. Reload the page and try again."),
    "wrong_state": N_("This step is not possible in the application's present state."),
    "duplicate": N_("An application for this measure, year and subject is already open."),
    "approval_refused": N_("The approval is refused, for the reasons below."),
    "no_review": N_("No expert has decided an amount yet: review first, or give the amount."),
    "unpaid_tranches": N_("Tranches are still unpaid: the application cannot be closed yet."),
    "not_payable": N_("This tranche cannot be paid: it is paid already, or its trigger is not met."),
    "invalid": N_("Some answers need correcting."),
}


def refusal_text(error: LedgerError, lang: Lang) -> str:
    """What to tell the reader: the refusal by its code in their language, else the service's words."""
    _ = gettext_for(lang)
    known = BY_CODE.get(error.code)
    if known is not None:
        return str(_(known))
    return error.detail
