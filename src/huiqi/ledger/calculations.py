"""Calculator results kept for their permalinks: anyone may save one and read it by its link.

The link's id is 128 random bits, so a result is found only by whoever was given its link;
the stored result is what the engine said then, shown as it was even after the library changes.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import select

from huiqi.ledger import tables as t
from huiqi.ledger.errors import NotFound
from huiqi.ledger.uow import UnitOfWork

PUBLIC_ID_BYTES = 16


def save_calculation(
    uow: UnitOfWork,
    facts: dict[str, Any],
    as_of: date,
    library_digest: str,
    choices: dict[str, str],
    result: dict[str, Any],
) -> str:
    """Keep a calculation; returns the id its permalink carries."""
    uow.action = "calculation.save"
    public_id = secrets.token_urlsafe(PUBLIC_ID_BYTES)
    uow.session.add(
        t.Calculation(
            public_id=public_id,
            facts=facts,
            as_of=as_of,
            library_digest=library_digest,
            choices=choices,
            result=result,
            user_id=uow.actor.user_id or None,
            created_at=uow.now,
        )
    )
    uow.session.flush()
    return public_id


def calculation(uow: UnitOfWork, public_id: str) -> dict[str, Any]:
    row = uow.session.execute(select(t.Calculation).where(t.Calculation.public_id == public_id)).scalar()
    if row is None:
        raise NotFound("no such calculation")
    return {
        "id": row.public_id,
        "facts": row.facts,
        "as_of": row.as_of.isoformat(),
        "library_digest": row.library_digest,
        "choices": row.choices,
        "result": row.result,
        "created_at": row.created_at.isoformat(),
    }
