"""The push list's candidates by the interpreter, for a population given as facts (the ledger's).

Compiling the library to SQL and starting DuckDB costs seconds whatever the population's size;
the interpreter evaluates an enterprise in about a millisecond. For the ledger's enterprises
(`huiqi match --db` without INPUT) the candidates are therefore the interpreter's, in the shape
of the batch's rows (`huiqi.batch.match.candidates`, `Batch.prior_awards`), so `push_list` takes
either and gives the same list: the batch equals the interpreter to the fen
(tests/test_batch_exact.py), and tests/test_match_interpreted.py holds the two paths equal.

Amounts are quantised to the fen as the batch's DECIMAL(18,2) columns are (10000000 is written
10000000.00 by both). Imports neither Ibis nor Arrow nor DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from huiqi.engine.interpret import evaluate
from huiqi.engine.result import MeasureResult, Status
from huiqi.facts.models import Facts
from huiqi.money import FEN
from huiqi.rules.library import Library

PUSHED = frozenset({Status.ELIGIBLE, Status.NEEDS_DECISION})  # huiqi.batch.match.PUSHED_STATUSES


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN)


def _row(facts: Facts, result: MeasureResult) -> dict[str, Any]:
    enterprise = facts.enterprise
    assert result.subject is not None  # only results with a subject are candidates
    row: dict[str, Any] = {
        "credit_code": enterprise.credit_code,
        "measure": result.measure,
        "subject_kind": result.subject.kind,
        "subject_id": result.subject.id,
        "status": result.status.value,
        "min": _fen(result.amount.lo) if result.amount is not None else None,
        "max": _fen(result.amount.hi) if result.amount is not None else None,
        "enterprise": enterprise.name,
        "district": enterprise.business_district,
    }
    for year, amount in sorted(result.by_year.items()):
        row[f"min_{year}"] = _fen(amount.lo)
        row[f"max_{year}"] = _fen(amount.hi)
    return row


def candidate_rows(population: Iterable[Facts], library: Library, as_of: date) -> list[dict[str, Any]]:
    """Every (enterprise, subject, measure) eligible or needing a decision, as `candidates` gives them."""
    rows = []
    for facts in population:
        assessment = evaluate(facts, library, as_of, explain=False)
        rows += [_row(facts, r) for r in assessment.results if r.subject is not None and r.status in PUSHED]
    return rows


def prior_award_rows(population: Iterable[Facts]) -> list[dict[str, Any]]:
    """The facts' prior awards, as `Batch.prior_awards` gives them."""
    return [
        {"credit_code": facts.enterprise.credit_code, "measure": a.measure, "subject": a.subject, "year": a.year}
        for facts in population
        for a in facts.prior_awards
    ]
