"""The 免申即享 push list (huiqi match): what enterprises are entitled to but have not applied for.

A candidate is a batch result that is `eligible` or `needs_decision`. It is pushed unless the
enterprise has already applied for that measure for that subject:

- a prior award of the measure for the subject in the facts, matched as the engine matches
  prior awards (for a measure of the enterprise itself, an award naming no subject or the
  credit code);
- with a ledger: an application in any state but `withdrawn` and `rejected` — the ledger's own
  rule for an open application (applications.file_application), so a draft, a returned one and
  every later state count — or an award.

A claim also counts for the other measures of its non-duplication groups (就高不重复): the
subject may enjoy only one of them, as an approval checks (approval.check_approval) — a
project awarded the district's demonstration subsidy is not pushed the city-match measure of
the same group. In a group `per: enterprise` the measures compete as wholes, so a claim there
counts for every subject of the group's other measures.

Withdrawn and rejected applications do not count: the enterprise may apply again (the ledger
allows it), and they are named in `previously` so the officer sees the history. The key is
(enterprise, subject, measure): an application for any year counts, also for yearly measures
(rent, operating support), whose other years are then not pushed — `years` lists the years
with amounts so the officer can follow up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from huiqi.ledger.workflow import State
from huiqi.money import ZERO
from huiqi.rules.library import Library

if TYPE_CHECKING:  # Ibis and Arrow only where a batch is run: the interpreter's path imports neither
    import ibis.expr.types as ir
    import pyarrow as pa

    from huiqi.batch.run import Batch
    from huiqi.facts.models import Facts
    from huiqi.ledger.population import Filed

PUSHED_STATUSES = ("eligible", "needs_decision")
NOT_APPLIED = frozenset({State.WITHDRAWN.value, State.REJECTED.value})
COLUMNS = (
    "credit_code",
    "enterprise",
    "district",
    "measure",
    "title",
    "subject_kind",
    "subject",
    "status",
    "min",
    "max",
    "years",
    "quote",
    "previously",
)
MONEY_COLUMNS = frozenset({"min", "max"})

Key = tuple[str, str, str]  # (credit code, measure, subject id)


@dataclass(frozen=True, slots=True)
class Claim:
    """Something that stands for an application: a prior award, a ledger application or award."""

    credit_code: str
    measure: str
    subject: str  # the subject's id; the credit code for measures of the enterprise
    source: str  # e.g. "prior award 2019", "application 12 (submitted, 2025)"

    @property
    def key(self) -> Key:
        return (self.credit_code, self.measure, self.subject)


@dataclass(frozen=True, slots=True)
class Push:
    credit_code: str
    enterprise: str
    district: str | None
    measure: str
    title: str
    subject_kind: str
    subject: str
    status: str
    min: Decimal | None
    max: Decimal | None
    years: str  # the years with amounts, e.g. "2019-2021"
    quote: str  # the measure's clause, verbatim
    previously: str  # withdrawn or rejected applications for it, if any

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


def prior_award_claims(rows: Iterable[Mapping[str, Any]]) -> list[Claim]:
    """Claims of the facts' prior awards (rows of Batch.prior_awards())."""
    return [
        Claim(r["credit_code"], r["measure"], r["subject"] or r["credit_code"], f"prior award {r['year']}")
        for r in rows
        if r["measure"]
    ]


def ledger_claims(filed: Iterable[Filed]) -> tuple[list[Claim], list[Claim]]:
    """(applied, earlier): what counts as applied, and the withdrawn or rejected applications."""
    applied: list[Claim] = []
    earlier: list[Claim] = []
    for item in filed:
        if item.kind == "award":
            applied.append(Claim(item.credit_code, item.measure, item.subject, f"award {item.id} ({item.year})"))
            continue
        source = f"application {item.id} ({item.state}, {item.year})"
        claim = Claim(item.credit_code, item.measure, item.subject, source)
        (earlier if item.state in NOT_APPLIED else applied).append(claim)
    return applied, earlier


def candidates(batch: Batch) -> ir.Table:
    """The batch's eligible and needs_decision results, with the enterprise's name and district."""
    results = batch.plan.results()
    wanted = results.filter(results.status.isin(list(PUSHED_STATUSES)))
    firms = batch.enterprises().rename(enterprise="name")
    joined = wanted.left_join(firms, "credit_code")
    return joined.drop(*[c for c in joined.columns if c.endswith("_right")])


def _taken(applied: Iterable[Claim], library: Library) -> tuple[set[Key], set[tuple[str, str]]]:
    """The (enterprise, measure, subject) applied for, with the group mates of each; and the
    (enterprise, measure) taken whole by a claim in a group per enterprise."""
    groups = [g for policy in library.policies for g in policy.non_duplication]
    taken: set[Key] = set()
    wholes: set[tuple[str, str]] = set()
    for claim in applied:
        taken.add(claim.key)
        for group in groups:
            if claim.measure not in group.measures:
                continue
            for mate in group.measures:
                if group.per == "subject":
                    taken.add((claim.credit_code, mate, claim.subject))
                elif mate != claim.measure:
                    wholes.add((claim.credit_code, mate))
    return taken, wholes


def _years(row: Mapping[str, Any]) -> str:
    """'2019-2021, 2023' from the row's max_<YYYY> columns with an amount."""
    years = sorted(int(k[4:]) for k, v in row.items() if k.startswith("max_") and k[4:].isdigit() and v)
    spans: list[list[int]] = []
    for year in years:
        if spans and spans[-1][1] == year - 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def push_list(
    rows: Iterable[Mapping[str, Any]], applied: Iterable[Claim], earlier: Iterable[Claim], library: Library
) -> list[Push]:
    """The candidates (rows of `candidates`) not applied for, the largest maximum first."""
    taken, wholes = _taken(applied, library)
    history: dict[Key, list[str]] = {}
    for claim in earlier:
        history.setdefault(claim.key, []).append(claim.source)
    pushes = []
    for row in rows:
        key = (row["credit_code"], row["measure"], row["subject_id"])
        if key in taken or key[:2] in wholes:
            continue
        measure = library.measure(row["measure"]).measure
        pushes.append(
            Push(
                credit_code=row["credit_code"],
                enterprise=row["enterprise"],
                district=row["district"],
                measure=measure.id,
                title=measure.title,
                subject_kind=row["subject_kind"],
                subject=row["subject_id"],
                status=row["status"],
                min=row["min"],
                max=row["max"],
                years=_years(row),
                quote=measure.quote,
                previously="; ".join(history.get(key, [])),
            )
        )
    # needs_decision (no amount) after every amount; then by enterprise, measure and subject.
    pushes.sort(key=lambda p: (p.max is None, -(p.max or ZERO), p.credit_code, p.measure, p.subject))
    return pushes


@dataclass(frozen=True, slots=True)
class MeasureSummary:
    measure: str
    title: str
    pushes: int
    eligible: int
    needs_decision: int
    min: Decimal
    max: Decimal


def summary(pushes: Iterable[Push]) -> list[MeasureSummary]:
    """Per measure: how many pushes, and the sums of their ranges."""
    found: dict[str, list[Push]] = {}
    for push in pushes:
        found.setdefault(push.measure, []).append(push)
    return [
        MeasureSummary(
            measure,
            items[0].title,
            len(items),
            sum(1 for p in items if p.status == "eligible"),
            sum(1 for p in items if p.status == "needs_decision"),
            sum((p.min or ZERO for p in items), ZERO),
            sum((p.max or ZERO for p in items), ZERO),
        )
        for measure, items in sorted(found.items())
    ]


def facts_table(population: Iterable[Facts]) -> pa.Table:
    """Facts (e.g. the ledger's) as a flattened facts table with `_row`, as huiqi batch reads a file."""
    import pyarrow as pa

    from huiqi.batch import schema as flat

    rows = [row for facts in population for row in flat.facts_rows(facts)]
    table = flat.rows_table(rows)
    return table.append_column("_row", pa.array(range(1, table.num_rows + 1), pa.int64()))
