"""Names people read for the workflow's states, actions, roles and tranche triggers (translated by value)."""

from __future__ import annotations


def N_(message: str) -> str:  # marks a message for extraction; templates translate it by value
    return message


STATES = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "under_review": N_("Under review"),
    "returned": N_("Returned for changes"),
    "approved": N_("Approved"),
    "accepted": N_("Accepted"),
    "closed": N_("Closed"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
}
ACTIONS = {
    "create": N_("Created"),
    "submit": N_("Submit"),
    "start_review": N_("Start the review"),
    "return": N_("Return for changes"),
    "revise": N_("Reopen as a draft"),
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "withdraw": N_("Withdraw"),
    "accept": N_("Accept the finished project"),
    "close": N_("Close"),
}
ROLES = {
    "enterprise": N_("Enterprise"),
    "reviewer": N_("Reviewer"),
    "approver": N_("Approver"),
    "finance": N_("Finance"),
    "admin": N_("Administrator"),
}
TRIGGERS = {
    "approval": N_("On approval"),
    "acceptance": N_("On acceptance"),
    "annual": N_("Yearly"),
    "award": N_("On award"),
}
KINDS = {
    "project": N_("Project"),
    "lease": N_("Lease"),
    "institution": N_("R&D institution"),
    "platform": N_("Service platform"),
    "contract": N_("Contract"),
    "enterprise": N_("Enterprise"),
}
# Where the queue opens for each role: the state that waits for it.
WAITING_FOR = {
    "reviewer": "submitted",
    "approver": "under_review",
    "finance": "approved",
    "admin": "submitted",
}
