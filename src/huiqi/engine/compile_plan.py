"""The compiled library: per measure a table of (subject, measure) rows, then the steps across measures.

The order of work is the interpreter's (huiqi.engine.interpret): in force, scope, conditions,
components, the subject's caps net of its prior awards, non-duplication groups, enterprise-wide
caps in facts order, and the enterprise's joint total with each enterprise cap applied once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from huiqi.engine.compile import (
    I64,
    Ctx,
    Layout,
    Matrix,
    Placed,
    Scope,
    amount_fen,
    base_column,
    base_value,
    compile_component,
    floor_fen,
    holds,
    unbound_tables,
)
from huiqi.engine.compile import subject_year as year_of_subject
from huiqi.engine.compile_sums import join_sums, measure_sums
from huiqi.engine.prune import prune
from huiqi.engine.result import Status
from huiqi.rules.expr import Sum
from huiqi.rules.jurisdiction import jurisdiction_conditions
from huiqi.rules.library import Library
from huiqi.rules.model import InForce, JointCap, Match, Measure, NonDuplicationGroup, Policy, Ratio

ENTERPRISE_CAPS = ("enterprise_year", "enterprise_total")
MONEY = dt.Decimal(18, 2)
STAGE_PREFIX = "huiqi_s"  # the names of the plan's steps: huiqi_s<n>_<what>


def _in_force(policy: Policy, measure: Measure) -> InForce:
    return measure.in_force or policy.in_force


def _cell(index: int, year: int, bound: str) -> str:
    return f"_c{index}_{year}_{bound}"


@dataclass
class MeasureTable:
    policy: Policy
    measure: Measure
    index: int
    table: ir.Table
    keys: list[tuple[str, int]]  # the matrix cells, in the measure's component order
    components: list[str]
    years: list[int]
    limits: dict[int, str] = field(default_factory=dict)  # cap index -> column with its limit

    def cell(self, key: tuple[str, int], bound: str) -> ir.IntegerValue:
        return self.table[_cell(self.components.index(key[0]), key[1], bound)]

    def matrix(self) -> Matrix:
        matrix = Matrix(list(self.components))
        for key in self.keys:
            matrix.put(key[0], key[1], self.cell(key, "lo"), self.cell(key, "hi"))
        return matrix

    def store(self, matrix: Matrix, where: ir.BooleanValue | None = None) -> dict[str, ir.Value]:
        columns: dict[str, ir.Value] = {}
        for key, (lo, hi) in matrix.cells.items():
            for bound, value in (("lo", lo), ("hi", hi)):
                name = _cell(self.components.index(key[0]), key[1], bound)
                columns[name] = value if where is None else ibis.ifelse(where, value, self.table[name])
        return columns

    def total(self) -> tuple[ir.IntegerValue, ir.IntegerValue]:
        matrix = self.matrix()
        return matrix.sum(matrix.keys())


class CompiledLibrary:
    """A library compiled for one as-of date and one table layout; `results()` is an Ibis table."""

    def __init__(self, library: Library, as_of: date, layout: Layout):
        self.library, self.as_of, self.layout = library, as_of, layout
        self.tables = unbound_tables(layout)
        self.stages: list[tuple[str, ir.Table]] = []
        self._results: dict[bool, ir.Table] = {}
        self.in_force: list[tuple[Policy, Measure]] = []
        self.not_in_force: list[tuple[Policy, Measure]] = []
        for doc in library.docs:
            for measure in doc.policy.measures:
                term = _in_force(doc.policy, measure)
                if as_of < term.start or (term.end is not None and as_of > term.end):
                    self.not_in_force.append((doc.policy, measure))
                else:
                    self.in_force.append((doc.policy, measure))
        self.groups = [g for doc in library.docs for g in doc.policy.non_duplication]
        self.measures = [self._measure(i, p, m) for i, (p, m) in enumerate(self.in_force)]
        by_id = {t.measure.id: t for t in self.measures}
        for table in self.measures:
            for j, joint in enumerate(table.measure.joint_caps):
                self._joint_cap(table, j, joint, by_id)
        for group in self.groups:
            self._resolve(group, by_id)
        self.joint: list[ir.Table] = []
        for table in self.measures:
            self.joint.append(self._firm_total(table))
            self._enterprise_caps(table)
        self.years = sorted({y for t in self.measures for y in t.years})

    def _stage(self, name: str, expr: ir.Table) -> ir.Table:
        """A step the backend materialises (a temp table): later steps read it by name, so the SQL of a
        step stays small (Ibis inlines expressions; caps over caps would otherwise grow without bound)."""
        name = f"{STAGE_PREFIX}{len(self.stages)}_{name}"
        expr = prune(expr)
        self.stages.append((name, expr))
        return ibis.table(expr.schema(), name=name)

    # ---- one measure -----------------------------------------------------------------------

    def _rows(self, measure: Measure) -> ir.Table:
        ent = self.tables["enterprise"]
        kind = measure.applies_to
        if kind == "enterprise":
            rows = ent.mutate(_erow=ent._row, subject_id=ent.credit_code)
            if any(c.kind == "rent_schedule" for c in measure.benefits.values()):
                rows = rows.left_join(self._lease_slots(), "credit_code").drop("credit_code_right")
            return rows
        subjects = self.tables[kind]
        enterprise = ent.rename(_erow="_row", _ename="name")
        rows = subjects.join(enterprise, "credit_code")
        return rows.mutate(subject_id=rows.id)

    def _lease_slots(self) -> ir.Table:
        leases = self.tables["lease"]
        order = ibis.window(group_by=leases.credit_code, order_by=[leases.start_date, leases._row])
        leases = leases.mutate(_slot=ibis.row_number().over(order))
        columns = {}
        for i in range(self.layout.lease_slots):
            here = leases._slot == i
            columns[f"_l{i}_start"] = leases.start_date.max(where=here)
            columns[f"_l{i}_end"] = leases.end_date.max(where=here) if "end_date" in leases.columns else None
            columns[f"_l{i}_area"] = leases.area_m2.max(where=here)
            columns[f"_l{i}_rent"] = leases.annual_rent.max(where=here)
        columns = {k: v if v is not None else ibis.null(dt.date) for k, v in columns.items()}
        return leases.group_by("credit_code").aggregate(**columns)

    def _measure(self, index: int, policy: Policy, measure: Measure) -> MeasureTable:
        rows = self._rows(measure)
        layout = self.layout
        term = _in_force(policy, measure)
        sums: dict[Sum, tuple[str, int]] = {}
        if measure_sums(policy, measure):
            rows, sums = join_sums(rows, self.tables, measure, policy, layout, self.as_of)
            rows = self._stage(f"m{index}_sums", rows)

        def scoped(rows: ir.Table) -> Scope:
            return Scope(rows, measure.id, layout, measure.applies_to, self.as_of, sums)

        scope = scoped(rows)
        if measure.scope is not None:
            rows = rows.filter(holds(measure.scope, scope))
            scope = scoped(rows)
        from huiqi.engine.compile import PRESTAGE_RULES

        extra: dict[str, ir.Value] = {}
        for name, component in measure.benefits.items():
            prestage = PRESTAGE_RULES.get(type(component))
            if prestage is not None:
                extra.update(prestage(component, name, scope))
        if extra:
            rows = self._stage(f"m{index}_pre", rows.mutate(**extra))
            scope = scoped(rows)
        # A base (a sum over years of a cost) enters base × rate several times; computed once here.
        bases: dict[str, ir.Value] = {}
        for name, component in measure.benefits.items():
            if isinstance(component, Ratio | Match):
                base = base_value(component.base, scope)
                if base.den is None:  # a base over a row's denominator is not kept: two columns
                    bases[base_column(name)] = base.expr
        if bases:
            rows = rows.mutate(**bases)
            scope = scoped(rows)
        first, last = term.start.year, term.end.year if term.end else layout.last_year
        conditions = (*jurisdiction_conditions(policy), *policy.conditions, *measure.conditions)
        ok = ibis.and_(*[holds(c.when, scope) for c in conditions])
        subject_year: ir.IntegerValue | int
        if measure.applies_to == "enterprise":
            subject_year = self.as_of.year
            years = [subject_year]
        else:
            subject_year = year_of_subject(measure.applies_to, rows)
            years = [y for y in layout.years if first <= y <= last]
            ok = ok & (subject_year >= first).fill_null(False) & (subject_year <= last).fill_null(False)
        matrix = Matrix(list(measure.benefits))
        decisions: list[ir.BooleanValue] = []
        placed: list[Placed] = []
        leases_needed = any(c.kind == "rent_schedule" for c in measure.benefits.values())
        for name, component in measure.benefits.items():
            cyears = list(layout.years) if component.kind == "rent_schedule" else years
            ctx = Ctx(
                measure,
                scope,
                name,
                matrix,
                subject_year,
                cyears,
                term,
                self.as_of,
                layout,
                decisions,
                rows if leases_needed else None,
                placed,
            )
            compile_component(component, ctx)
        awards = self._subject_awards(measure, rows)
        components = list(measure.benefits)
        decision = ibis.or_(*decisions) if decisions else ibis.literal(False)
        # Two levels: every amount once per row (inner), then the year cells from those columns.
        inner_columns: dict[str, ir.Value] = {
            "credit_code": rows.credit_code,
            "subject_id": rows.subject_id,
            "_row": rows._row,
            "_erow": rows._erow,
            "_ok": ok,
            "_decision": decision,
        }
        limit_columns = {}
        for j, cap in enumerate(measure.caps):
            inner_columns[f"_limit{j}"] = amount_fen(cap.max, scope).cast(I64)
            limit_columns[j] = f"_limit{j}"
        for j, joint in enumerate(measure.joint_caps):
            inner_columns[f"_jlimit{j}"] = floor_fen(base_value(joint.limit, scope)).cast(I64)
        for k, (lo, hi) in enumerate(matrix.cells.values()):
            inner_columns[f"_d{k}_lo"], inner_columns[f"_d{k}_hi"] = lo.cast(I64), hi.cast(I64)
        for k, p in enumerate(placed):
            inner_columns[f"_p{k}_lo"], inner_columns[f"_p{k}_hi"] = p.lo.cast(I64), p.hi.cast(I64)
        per_year_claims = measure.claims is not None and measure.claims.per == "enterprise_year"
        if placed or per_year_claims:
            inner_columns["_sy"] = ibis.literal(subject_year, I64) if isinstance(subject_year, int) else subject_year
        inner = rows.select(**inner_columns)
        spread = Matrix(list(measure.benefits))
        for k, key in enumerate(matrix.cells):
            spread.put(key[0], key[1], inner[f"_d{k}_lo"], inner[f"_d{k}_hi"])
        for k, p in enumerate(placed):
            for placed_year in years:
                here = inner._sy == placed_year
                spread.put(
                    p.component,
                    placed_year,
                    ibis.ifelse(here, inner[f"_p{k}_lo"], 0),
                    ibis.ifelse(here, inner[f"_p{k}_hi"], 0),
                )
        matrix = spread
        columns: dict[str, ir.Value] = {
            name: inner[name] for name in ("credit_code", "subject_id", "_row", "_erow", "_ok", "_decision")
        }
        for key, (lo, hi) in matrix.cells.items():
            columns[_cell(components.index(key[0]), key[1], "lo")] = lo.cast(I64)
            columns[_cell(components.index(key[0]), key[1], "hi")] = hi.cast(I64)
        for name in limit_columns.values():
            columns[name] = inner[name]
        for j in range(len(measure.joint_caps)):
            columns[f"_jlimit{j}"] = inner[f"_jlimit{j}"]
        if per_year_claims:
            columns["_sy"] = inner._sy
        staged = inner.select(**columns)
        if awards is not None:
            staged = staged.left_join(awards, ["credit_code", "subject_id"])
            staged = staged.drop(*[c for c in staged.columns if c.endswith("_right")])
        if per_year_claims:
            staged = self._yearly_claims(measure, staged)
        table = MeasureTable(
            policy,
            measure,
            index,
            self._stage(f"m{index}", staged),
            list(matrix.cells),
            components,
            sorted({y for _, y in matrix.cells}),
            limit_columns,
        )
        for j, cap in enumerate(measure.caps):
            if cap.per in ENTERPRISE_CAPS:
                continue
            cap_years: list[int | None] = list(table.matrix().years()) if cap.per == "subject_year" else [None]
            for half in ("lo", "hi"):
                t = table.table
                matrix = table.matrix()
                for year in cap_years:
                    keys = matrix.keys(cap.over, year)
                    prior = (
                        t[f"_prior_{year}" if year is not None else "_prior"].fill_null(0) if awards is not None else 0
                    )
                    limit = t[limit_columns[j]] - prior
                    if half == "lo":
                        matrix.limit_lo(keys, limit)
                    else:
                        matrix.limit_hi(keys, limit, limit)
                table.table = self._stage(f"m{index}_cap{j}{half}", t.mutate(**table.store(matrix)))
        t = table.table
        _lo_total, hi_total = table.total()
        claimable: ir.BooleanValue = ibis.literal(True)
        if measure.claims is not None and measure.claims.per == "subject":
            claimed = t._prior_n.fill_null(0) if awards is not None else ibis.literal(0, I64)
            claimable = claimed < measure.claims.times
        status = ibis.cases(
            (~t._ok | ~claimable, Status.INELIGIBLE.value),
            (t._decision, Status.NEEDS_DECISION.value),
            (hi_total == 0, Status.INELIGIBLE.value),
            else_=Status.ELIGIBLE.value,
        )
        table.table = self._stage(f"m{index}_status", t.mutate(_status=status, _superseded_by=ibis.null(dt.string)))
        if per_year_claims:
            table.table = self._stage(f"m{index}_claims", self._claims_per_year(measure, table.table))
        return table

    def _subject_awards(self, measure: Measure, rows: ir.Table) -> ir.Table | None:
        """Prior awards of this measure per subject, in total and per year (subject caps), and their
        number (a claim limit per subject)."""
        claims_per_subject = measure.claims is not None and measure.claims.per == "subject"
        if not claims_per_subject and not any(cap.per in ("subject", "subject_year") for cap in measure.caps):
            return None
        awards = self.tables["prior_award"]
        if "award_measure" not in awards.columns:
            return None
        mine = awards.filter(awards.award_measure == measure.id)
        if measure.applies_to == "enterprise":
            mine = mine.filter(mine.award_subject.isnull() | (mine.award_subject == mine.credit_code))
            mine = mine.mutate(subject_id=mine.credit_code)
        else:
            mine = mine.mutate(subject_id=mine.award_subject)
        sums = {"_prior": mine.award_amount.sum(), "_prior_n": mine.count()}
        for year in self.layout.years:
            sums[f"_prior_{year}"] = mine.award_amount.sum(where=mine.award_year == year)
        return mine.group_by(["credit_code", "subject_id"]).aggregate(**sums)

    def _joint_cap(self, table: MeasureTable, j: int, joint: JointCap, by_id: dict[str, MeasureTable]) -> None:
        """As huiqi.engine.across.joint_caps: the named measures' eligible amounts on the same subject (as
        their tables stand) and their and this measure's prior awards for it come off the limit first."""
        t = table.table
        used_parts = []
        for other in (by_id[m] for m in joint.with_ if m in by_id):
            lo, hi = other.total()
            o = other.table
            used_parts.append(
                o.filter(o._status == Status.ELIGIBLE.value).select(
                    "credit_code", "subject_id", _ulo=lo.cast(I64), _uhi=hi.cast(I64)
                )
            )
        zero = ibis.literal(0, I64)
        used_lo: ir.IntegerValue = zero
        used_hi: ir.IntegerValue = zero
        if used_parts:
            used = ibis.union(*used_parts, distinct=False) if len(used_parts) > 1 else used_parts[0]
            used = used.group_by(["credit_code", "subject_id"]).aggregate(_ulo=used._ulo.sum(), _uhi=used._uhi.sum())
            t = t.left_join(used, ["credit_code", "subject_id"])
            t = t.drop(*[c for c in t.columns if c.endswith("_right")])
            used_lo, used_hi = t._ulo.fill_null(0), t._uhi.fill_null(0)
        prior: ir.IntegerValue = zero
        awards = self.tables["prior_award"]
        if "award_measure" in awards.columns:
            mine = awards.filter(awards.award_measure.isin([table.measure.id, *joint.with_]))
            mine = mine.group_by(["credit_code", "award_subject"]).aggregate(_jprior=mine.award_amount.sum())
            mine = mine.rename(_jcode="credit_code")
            t = t.left_join(mine, [t.credit_code == mine._jcode, t.subject_id == mine.award_subject])
            t = t.drop(*[c for c in t.columns if c.endswith("_right")], "_jcode", "award_subject")
            prior = t._jprior.fill_null(0).cast(I64)
        table.table = t
        limit = t[f"_jlimit{j}"]
        eligible = t._status == Status.ELIGIBLE.value
        matrix = table.matrix()
        keys = matrix.keys()
        matrix.limit_lo(keys, (limit - prior - used_hi).fill_null(0))
        matrix.limit_hi(keys, (limit - prior - used_hi).fill_null(0), (limit - prior - used_lo).fill_null(0))
        cut = t.mutate(**table.store(matrix, where=eligible))
        table.table = cut
        _lo, hi_total = table.total()
        gone = eligible & (limit.isnull() | (hi_total == 0))
        status = ibis.ifelse(gone, Status.INELIGIBLE.value, cut._status)
        extra = [c for c in ("_ulo", "_uhi", "_jprior") if c in cut.columns]
        table.table = self._stage(f"m{table.index}_joint{j}", cut.mutate(_status=status).drop(*extra))

    def _yearly_claims(self, measure: Measure, staged: ir.Table) -> ir.Table:
        """The number of prior awards of the measure in each row's subject year (`_claims_n`)."""
        awards = self.tables["prior_award"]
        if "award_measure" not in awards.columns:
            return staged.mutate(_claims_n=ibis.literal(0, I64))
        mine = awards.filter(awards.award_measure == measure.id)
        counted = mine.group_by(["credit_code", "award_year"]).aggregate(_claims_n=mine.count())
        counted = counted.rename(_claims_code="credit_code")
        found = staged.left_join(
            counted, [staged.credit_code == counted._claims_code, staged._sy == counted.award_year]
        )
        found = found.drop(*[c for c in found.columns if c.endswith("_right")], "_claims_code", "award_year")
        return found.mutate(_claims_n=found._claims_n.fill_null(0).cast(I64))

    def _claims_per_year(self, measure: Measure, t: ir.Table) -> ir.Table:
        """At most N claims per enterprise and year: the year's prior awards of the measure take
        places first, then the eligible subjects in facts order (as the interpreter)."""
        assert measure.claims is not None
        eligible = ibis.ifelse(t._status == Status.ELIGIBLE.value, 1, 0)
        order = ibis.window(group_by=[t.credit_code, t._sy], order_by=t._row, preceding=None, following=0)
        before = eligible.sum().over(order) - eligible
        over = (t._status == Status.ELIGIBLE.value) & (t._claims_n + before >= measure.claims.times)
        return t.mutate(_status=ibis.ifelse(over, Status.INELIGIBLE.value, t._status))

    def _firm_awards(self, measure: Measure) -> ir.Table | None:
        awards = self.tables["prior_award"]
        if "award_measure" not in awards.columns:
            return None
        mine = awards.filter(awards.award_measure == measure.id)
        sums = {"_prior": mine.award_amount.sum()}
        for year in self.layout.years:
            sums[f"_prior_{year}"] = mine.award_amount.sum(where=mine.award_year == year)
        return mine.group_by("credit_code").aggregate(**sums)

    # ---- across measures -----------------------------------------------------------------------

    def _resolve(self, group: NonDuplicationGroup, by_id: dict[str, MeasureTable]) -> None:
        """就高不重复 per subject, or per enterprise: the eligible measure ranked highest (then first
        in the group) stays. Per enterprise a measure's rank is that of its subjects' sum, as in the
        interpreter."""
        members = [by_id[m] for m in group.measures if m in by_id]
        if len(members) < 2:
            return
        keys = ["credit_code"] if group.per == "enterprise" else ["credit_code", "subject_id"]
        n = len(group.measures)
        parts = []
        for member in members:
            t = member.table
            lo, hi = member.total()
            eligible = t.filter(t._status == Status.ELIGIBLE.value)
            if group.per == "enterprise":
                sums = eligible.group_by("credit_code").aggregate(_lo=lo.sum(), _hi=hi.sum())
            else:
                sums = eligible.mutate(_lo=lo, _hi=hi)
            rank = {"max": sums._hi, "min": sums._lo, "midpoint": sums._lo + sums._hi}[group.compare]
            order = group.measures.index(member.measure.id)
            key = rank * n + (n - 1 - order)
            parts.append(sums.select(*keys, _key=key.cast(I64)))
        union = ibis.union(*parts, distinct=False)
        best = union.group_by(keys).aggregate(_best=union._key.max(), _count=union._key.count())
        for member in members:
            t = member.table.left_join(best, keys)
            t = t.drop(*[c for c in t.columns if c.endswith("_right")])
            winner = (n - 1) - (t._best % n)
            order = group.measures.index(member.measure.id)
            loses = (t._status == Status.ELIGIBLE.value) & (t._count >= 2).fill_null(False) & (winner != order)
            winner_id = ibis.cases(
                *[(winner == i, m) for i, m in enumerate(group.measures)], else_=ibis.null(dt.string)
            )
            t = t.mutate(
                _status=ibis.ifelse(loses, Status.SUPERSEDED.value, t._status),
                _superseded_by=ibis.ifelse(loses, winner_id, t._superseded_by),
            )
            member.table = self._stage(f"m{member.index}_{group.id}", t.drop("_best", "_count"))

    def _enterprise_caps(self, table: MeasureTable) -> None:
        """Enterprise caps per subject in facts order: a subject's range is exact given the earlier ones'."""
        caps = [(j, cap) for j, cap in enumerate(table.measure.caps) if cap.per in ENTERPRISE_CAPS]
        if not caps:
            return
        awards = self._firm_awards(table.measure)
        if awards is not None:
            joined = table.table.left_join(awards, "credit_code")
            table.table = joined.drop(*[c for c in joined.columns if c.endswith("_right")])
        for j, cap in caps:
            t = table.table
            eligible = t._status == Status.ELIGIBLE.value
            matrix = table.matrix()
            window = ibis.window(group_by=t.credit_code, order_by=t._row)
            cap_years: list[int | None] = list(matrix.years()) if cap.per == "enterprise_year" else [None]
            limits: dict[str, ir.Value] = {}
            for g, year in enumerate(cap_years):
                keys = matrix.keys(cap.over, year)
                if not keys:
                    continue
                before_lo, before_hi = matrix.sum(keys)
                before_lo = ibis.ifelse(eligible, before_lo, 0)
                before_hi = ibis.ifelse(eligible, before_hi, 0)
                used_lo = before_lo.sum().over(window) - before_lo
                used_hi = before_hi.sum().over(window) - before_hi
                name = "_prior" if year is None else f"_prior_{year}"
                prior = t[name].fill_null(0) if awards is not None else 0
                limit = t[table.limits[j]]
                limits[f"_g{g}_lo"] = (limit - prior - used_hi).cast(I64)
                limits[f"_g{g}_hi"] = (limit - prior - used_lo).cast(I64)
            t = self._stage(f"m{table.index}_used{j}", t.mutate(**limits))
            for half in ("lo", "hi"):
                table.table = t
                matrix = table.matrix()
                eligible = t._status == Status.ELIGIBLE.value
                for g, year in enumerate(cap_years):
                    keys = matrix.keys(cap.over, year)
                    if half == "lo":
                        matrix.limit_lo(keys, t[f"_g{g}_lo"])
                    else:
                        matrix.limit_hi(keys, t[f"_g{g}_lo"], t[f"_g{g}_hi"])
                t = self._stage(f"m{table.index}_cap{j}{half}", t.mutate(**table.store(matrix, eligible)))
            table.table = self._stage(f"m{table.index}_cap{j}", t.drop(*limits))
        t = table.table
        _, hi = table.total()
        t = t.mutate(
            _status=ibis.ifelse((t._status == Status.ELIGIBLE.value) & (hi == 0), Status.INELIGIBLE.value, t._status)
        )
        table.table = self._stage(f"m{table.index}_final", t)

    def _firm_total(self, table: MeasureTable) -> ir.Table:
        """This measure's part of each enterprise's total: enterprise caps applied once to the joint sum."""
        t = table.table
        eligible = t._status == Status.ELIGIBLE.value
        caps = [(j, cap) for j, cap in enumerate(table.measure.caps) if cap.per in ENTERPRISE_CAPS]
        if not caps:
            lo, hi = table.total()
            if not table.keys:  # no amounts (a decision): nothing towards the total
                lo = hi = t._row * 0
            return t.filter(eligible).group_by("credit_code").aggregate(_lo=lo.sum().cast(I64), _hi=hi.sum().cast(I64))
        matrix = table.matrix()
        sums: dict[str, ir.Value] = {}
        for year, (lo, hi) in matrix.by_year().items():
            sums[f"_j{year}_lo"] = lo.sum()
            sums[f"_j{year}_hi"] = hi.sum()
        for j, _ in caps:
            sums[f"_limit{j}"] = t[table.limits[j]].max()
        joint = t.filter(eligible).group_by("credit_code").aggregate(**sums)
        awards = self._firm_awards(table.measure)
        if awards is not None:
            joint = joint.left_join(awards, "credit_code")
            joint = joint.drop(*[c for c in joint.columns if c.endswith("_right")])
        years = sorted(matrix.years())
        lo = {y: joint[f"_j{y}_lo"].cast(I64) for y in years}
        hi = {y: joint[f"_j{y}_hi"].cast(I64) for y in years}
        for j, cap in caps:
            limit = joint[f"_limit{j}"]
            if cap.per == "enterprise_year":
                for y in years:
                    prior = joint[f"_prior_{y}"].fill_null(0) if awards is not None else 0
                    room = ibis.greatest(limit - prior, 0)
                    lo[y], hi[y] = ibis.least(lo[y], room), ibis.least(hi[y], room)
            else:
                prior = joint["_prior"].fill_null(0) if awards is not None else 0
                room = ibis.greatest(limit - prior, 0)
                new_lo, new_hi = {}, {}
                cum_lo: ir.IntegerValue | None = None
                cum_hi: ir.IntegerValue | None = None
                for y in years:
                    prev_lo, prev_hi = cum_lo, cum_hi
                    cum_lo = lo[y] if cum_lo is None else cum_lo + lo[y]
                    cum_hi = hi[y] if cum_hi is None else cum_hi + hi[y]
                    capped_lo = ibis.least(cum_lo, room) - (ibis.least(prev_lo, room) if prev_lo is not None else 0)
                    capped_hi = ibis.least(cum_hi, room) - (ibis.least(prev_hi, room) if prev_hi is not None else 0)
                    new_lo[y], new_hi[y] = ibis.least(capped_lo, capped_hi), capped_hi
                lo, hi = new_lo, new_hi
        total_lo = sum((lo[y] for y in years[1:]), lo[years[0]]) if years else ibis.literal(0)
        total_hi = sum((hi[y] for y in years[1:]), hi[years[0]]) if years else ibis.literal(0)
        return joint.select("credit_code", _lo=total_lo.cast(I64), _hi=total_hi.cast(I64))

    # ---- outputs -------------------------------------------------------------------------------

    def results(self, *, all_rows: bool = False) -> ir.Table:
        """One row per (subject, measure) in scope; with all_rows, also not-in-force and out-of-scope rows."""
        if all_rows not in self._results:  # built once: a few seconds of Python for the whole library
            self._results[all_rows] = self._build_results(all_rows)
        return self._results[all_rows]

    def _build_results(self, all_rows: bool) -> ir.Table:
        parts = [self._output(t) for t in self.measures]
        if all_rows:
            ent = self.tables["enterprise"]
            for policy, measure in self.not_in_force:
                parts.append(self._blank(ent, policy, measure, Status.NOT_IN_FORCE.value))
            for t in self.measures:
                present = t.table.select("credit_code").distinct()
                missing = ent.anti_join(present, "credit_code")
                parts.append(self._blank(missing, t.policy, t.measure, Status.INELIGIBLE.value))
        if not parts:  # no measure in force on the date (the seed library: 2021-10 to 2024-10)
            return self._no_rows(self._columns())
        return prune(ibis.union(*parts, distinct=False))

    def _no_rows(self, columns: dict[str, dt.DataType]) -> ir.Table:
        ent = self.tables["enterprise"]
        return ent.filter(ibis.literal(False)).select(**{name: ibis.null(dtype) for name, dtype in columns.items()})

    def _columns(self) -> dict[str, dt.DataType]:
        cols: dict[str, dt.DataType] = {
            "credit_code": dt.string,
            "policy": dt.string,
            "measure": dt.string,
            "subject_kind": dt.string,
            "subject_id": dt.string,
            "status": dt.string,
            "min": MONEY,
            "max": MONEY,
            "superseded_by": dt.string,
        }
        for year in self.years:
            cols[f"min_{year}"] = MONEY
            cols[f"max_{year}"] = MONEY
        return cols

    def _output(self, table: MeasureTable) -> ir.Table:
        t = table.table
        status = t._status
        lo, hi = table.total()
        has_amount = status.isin([Status.ELIGIBLE.value, Status.SUPERSEDED.value])
        eligible = status == Status.ELIGIBLE.value
        values: dict[str, ir.Value] = {
            "credit_code": t.credit_code,
            "policy": ibis.literal(table.policy.id),
            "measure": ibis.literal(table.measure.id),
            "subject_kind": ibis.literal(table.measure.applies_to),
            "subject_id": t.subject_id,
            "status": status,
            "min": ibis.ifelse(has_amount, to_yuan(lo), ibis.null(MONEY)),
            "max": ibis.ifelse(has_amount, to_yuan(hi), ibis.null(MONEY)),
            "superseded_by": t._superseded_by,
        }
        by_year = table.matrix().by_year()
        for year in self.years:
            if year in by_year:
                y_lo, y_hi = by_year[year]
                values[f"min_{year}"] = ibis.ifelse(eligible, to_yuan(y_lo), ibis.null(MONEY))
                values[f"max_{year}"] = ibis.ifelse(eligible, to_yuan(y_hi), ibis.null(MONEY))
            else:
                values[f"min_{year}"] = ibis.null(MONEY)
                values[f"max_{year}"] = ibis.null(MONEY)
        return t.select(**values)

    def _blank(self, ent: ir.Table, policy: Policy, measure: Measure, status: str) -> ir.Table:
        values: dict[str, ir.Value] = {}
        for name, dtype in self._columns().items():
            values[name] = ibis.null(dtype)
        values.update(
            credit_code=ent.credit_code,
            policy=ibis.literal(policy.id),
            measure=ibis.literal(measure.id),
            status=ibis.literal(status),
        )
        return ent.select(**values)

    def outputs(self) -> list[ir.Table]:
        """Every expression the backend may run for this plan: the steps, then what is read of them."""
        return [expr for _, expr in self.stages] + [self.results(all_rows=True), self.firm_totals()]

    @functools.cached_property
    def _firm_totals(self) -> ir.Table:
        if not self.joint:
            return self._no_rows({"credit_code": dt.string, "min": MONEY, "max": MONEY})
        union = ibis.union(*self.joint, distinct=False)
        sums = union.group_by("credit_code").aggregate(_lo=union._lo.sum(), _hi=union._hi.sum())
        return prune(sums.select("credit_code", min=to_yuan(sums._lo.cast(I64)), max=to_yuan(sums._hi.cast(I64))))

    def firm_totals(self) -> ir.Table:
        """Per enterprise, everything eligible together (Assessment.total), in yuan."""
        return self._firm_totals


def to_yuan(fen: ir.IntegerValue) -> ir.DecimalValue:
    """Fen as DECIMAL(18,2), exactly (no division)."""
    return (fen.cast(MONEY) * ibis.literal(Decimal("0.01"), type=MONEY)).cast(MONEY)


def compile_library(library: Library, as_of: date, layout: Layout) -> CompiledLibrary:
    """Compile every measure; raises NotCompilable naming the first node without a rule."""
    return CompiledLibrary(library, as_of, layout)
