"""The rule tree: one policy document as small frozen nodes, validated by pydantic.

This is the one tree every walker reads: the interpreter (huiqi.engine) today, the batch
compiler later. The YAML a policy author writes maps one-to-one onto these classes; see
docs/rule-language.md for every node kind with an example from the seed library.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from huiqi.facts.vocabulary import Labelled
from huiqi.money import MoneyError, parse_amount, parse_rate
from huiqi.regions import HOME, read_region
from huiqi.rules.expr import (
    Arith,
    BoolOp,
    Call,
    Compare,
    Const,
    Expr,
    ExprSyntaxError,
    ListOf,
    Not,
    Ref,
    Sum,
    Within,
    parse_expr,
    to_text,
)
from huiqi.rules.factpaths import REGION_FACTS

SubjectKind: TypeAlias = Literal["enterprise", "project", "lease", "institution", "platform", "contract"]
Trigger: TypeAlias = Literal["approval", "acceptance", "annual", "award"]
CapScope: TypeAlias = Literal["subject", "subject_year", "enterprise_year", "enterprise_total"]

_LABELS: dict[str, str] = {member.zh: str(member.value) for enum in Labelled.__subclasses__() for member in enum}
_HAS_UNIT = re.compile(r"[亿万元]")


def _normalise_literals(expr: Expr) -> Expr:
    """Context-free literal reading: Chinese terms become codes, '300万' becomes exact yuan."""
    match expr:
        case Const(value=str() as text):
            if text in _LABELS:
                return Const(_LABELS[text])
            if _HAS_UNIT.search(text):
                try:
                    return Const(parse_amount(text))
                except MoneyError:
                    return expr
            return expr
        case ListOf(items=items):
            return ListOf(tuple(_normalise_literals(i) for i in items))  # type: ignore[misc]
        case Not(operand=operand):
            return Not(_normalise_literals(operand))
        case BoolOp(op=op, operands=operands):
            return BoolOp(op, tuple(_normalise_literals(o) for o in operands))
        case Compare(op=op, left=Ref(path=path) as left, right=right) if path in REGION_FACTS:
            return Compare(op, left, _region_literal(right))
        case Compare(op=op, left=left, right=right):
            return Compare(op, _normalise_literals(left), _normalise_literals(right))
        case Within(of=of, region=region):
            code = _region_literal(Const(region))
            return Within(of, str(code.value)) if isinstance(code, Const) else expr
        case Arith(op=op, left=left, right=right):
            return Arith(op, _normalise_literals(left), _normalise_literals(right))
        case Call(func=func, args=args):
            return Call(func, tuple(_normalise_literals(a) for a in args))
        case Sum(of=of, where=where, year=year):
            return Sum(of, None if where is None else _normalise_literals(where), year)
    return expr


def _region_literal(expr: Expr) -> Expr:
    """A region written by name (闵行区, 上海市, 临港) read to its code; an unknown one is left as written
    for the checker to report with its did-you-mean."""
    match expr:
        case Const(value=str() as text):
            try:
                return Const(read_region(text, prefer=HOME).code)
            except ValueError:
                return expr
        case ListOf(items=items):
            return ListOf(tuple(_region_literal(i) for i in items))  # type: ignore[misc]
    return expr


def _read_expr(raw: object) -> Expr:
    if isinstance(raw, bool):
        return Const(raw)
    if not isinstance(raw, str):
        raise ValueError(f"an expression must be text, not {type(raw).__name__}")
    try:
        return _normalise_literals(parse_expr(raw))
    except ExprSyntaxError as exc:
        raise ValueError(str(exc)) from exc


ExprField = Annotated[
    Expr,
    PlainValidator(_read_expr),
    PlainSerializer(to_text),
    WithJsonSchema({"type": "string", "description": "a rule expression"}),
]


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _read_rate(raw: object) -> Decimal:
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool) and raw > 1:
        raise ValueError(f"a bare number {raw} as a rate would be {raw * 100}%; write '{raw}%', a fraction or '1:1'")
    try:
        return parse_rate(raw)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


def _read_amount(raw: object) -> Decimal:
    try:
        return parse_amount(raw)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


Amount = Annotated[Decimal, BeforeValidator(_read_amount), AfterValidator(_non_negative)]
Rate = Annotated[Decimal, BeforeValidator(_read_rate), Field(ge=0, le=10)]
LocalId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
MeasureId = Annotated[str, Field(pattern=r"^[a-z0-9-]+\.[a-z0-9-]+$")]


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


# ---- values that may depend on the facts -------------------------------------------------


class RateRange(Node):
    """A rate the review decides within [min, max]."""

    min: Rate
    max: Rate


def _rate_value(raw: object) -> Decimal | RateRange:
    """'10%' is a fixed rate; [10%, 30%] (or {min, max}) a range decided at review."""
    if isinstance(raw, RateRange):
        return raw
    if isinstance(raw, list | tuple):
        if len(raw) != 2:
            raise ValueError("a rate range is written [min, max], e.g. [10%, 30%]")
        raw = {"min": raw[0], "max": raw[1]}
    if isinstance(raw, dict):
        low, high = _bounded_rate(raw.get("min")), _bounded_rate(raw.get("max"))
        if set(raw) != {"min", "max"}:
            raise ValueError("a rate range has exactly the keys min and max")
        return RateRange(min=low, max=high)
    return _bounded_rate(raw)


def _bounded_rate(raw: object) -> Decimal:
    rate = _read_rate(raw)
    if not 0 <= rate <= 10:
        raise ValueError(f"a rate must be between 0% and 1000%, not {raw!r}")
    return rate


RateValue = Annotated[
    Decimal | RateRange,
    PlainValidator(_rate_value),
    WithJsonSchema({"description": "a rate such as '10%', or a range [min, max]"}),
]


class RateCase(Node):
    when: ExprField
    rate: RateValue
    title: str | None = None
    quote: str | None = None


class RateChoice(Node):
    """The first case whose `when` holds gives the rate, else the default."""

    cases: tuple[RateCase, ...] = ()
    default: RateValue


class AmountCase(Node):
    when: ExprField
    amount: Amount
    title: str | None = None
    quote: str | None = None


class AmountChoice(Node):
    cases: tuple[AmountCase, ...] = ()
    default: Amount


def _choice(raw: object) -> object:
    """A plain value is a choice with no cases."""
    if isinstance(raw, dict) and ("cases" in raw or "default" in raw):
        return raw
    return {"default": raw}


RateSpec = Annotated[RateChoice, BeforeValidator(_choice)]
AmountSpec = Annotated[AmountChoice, BeforeValidator(_choice)]


# ---- benefit components -------------------------------------------------------------------


class ComponentBase(Node):
    title: str | None = None
    title_en: str | None = None
    quote: str | None = None
    """The clause that states this component's numbers, verbatim (checked like every quote)."""
    funder: Literal["national", "city", "district", "zone"] | None = None
    """Who pays this component (市区协同: the city's share and the district's), shown in the explanation."""
    when: ExprField | None = None
    """The component is given only when this holds (e.g. a bonus for a pilot scenario)."""


class Ratio(ComponentBase):
    """rate × base, e.g. 10%–30% of the project's new investment."""

    kind: Literal["ratio"]
    base: ExprField
    rate: RateSpec
    cap: AmountSpec | None = None


class Match(ComponentBase):
    """Matching support received elsewhere, e.g. 1:1 of the city's support."""

    kind: Literal["match"]
    base: ExprField
    ratio: Rate = Decimal(1)
    cap: AmountSpec | None = None


class Fixed(ComponentBase):
    kind: Literal["fixed"]
    amount: AmountSpec


class AmountRange(ComponentBase):
    """An amount the review decides within [min, max], e.g. 80万 to 100万 a project."""

    kind: Literal["amount_range"]
    min: Amount
    max: Amount


class BonusOption(Node):
    when: ExprField
    amount: Amount
    title: str | None = None
    quote: str | None = None


class Bonus(ComponentBase):
    """One-time bonuses for recognitions; `stacking` says whether several add up."""

    kind: Literal["bonus"]
    options: tuple[BonusOption, ...] = Field(min_length=1)
    stacking: Literal["highest", "sum"] = "highest"


class PerYear(ComponentBase):
    """Support each year: rate × that year's base, capped per year, for at most N years."""

    kind: Literal["per_year"]
    base: ExprField
    rate: RateSpec
    cap_per_year: Amount | None = None
    max_years: Annotated[int, Field(ge=1)] | None = None
    cap: AmountSpec | None = None


class Tier(Node):
    threshold: Amount
    amount: Amount
    when: ExprField | None = None
    title: str | None = None
    quote: str | None = None


class Milestones(ComponentBase):
    """One-time rewards the first year a yearly series passes each threshold."""

    kind: Literal["milestones"]
    series: ExprField
    tiers: tuple[Tier, ...] = Field(min_length=1)
    stacking: Literal["each", "highest"] = "each"
    passing: Literal["greater", "greater_or_equal"] = "greater"


class RentSchedule(ComponentBase):
    """Rent support by support year: rates[k] of the rent in year k, on at most area_cap_m2.

    count_from: shared — support years run from the later of the settlement date and the
    first lease's start, the same years for every lease; per_lease — each lease counts its
    own years from the later of its start and the settlement date.
    """

    kind: Literal["rent_schedule"]
    rates: tuple[Rate, ...] = Field(min_length=1)
    area_cap_m2: Annotated[Decimal, Field(gt=0)] | None = None
    count_from: Literal["shared", "per_lease"] = "shared"


class Decision(ComponentBase):
    """No formula: the amount is decided case by case (一事一议 / 一企一策)."""

    kind: Literal["decision"]
    text: str


Component = Annotated[
    Ratio | Match | Fixed | AmountRange | Bonus | PerYear | Milestones | RentSchedule | Decision,
    Discriminator("kind"),
]


# ---- measures and policies ----------------------------------------------------------------


class Condition(Node):
    text: str
    text_en: str | None = None
    when: ExprField
    quote: str | None = None


def _condition(raw: object) -> object:
    if isinstance(raw, str):
        return {"text": raw, "when": raw}
    return raw


ConditionItem = Annotated[Condition, BeforeValidator(_condition)]


class Cap(Node):
    """A ceiling on the sum of some components (all by default) over a scope.

    per: subject (one project/lease/...), subject_year (each year of one subject),
    enterprise_year (all the enterprise's subjects in one calendar year, net of prior
    awards that year), enterprise_total (cumulative, net of all prior awards).
    """

    max: AmountSpec
    over: tuple[LocalId, ...] | None = None
    per: CapScope = "subject"
    title: str | None = None
    quote: str | None = None


class JointCap(Node):
    """A ceiling on this measure together with others on the same subject, often another policy's
    (市区协同, 市区合计不超过租金的100%): the others keep their amounts and this measure is cut to what
    is left of `limit`, an expression of the subject's facts (`lease.annual_rent`, `'500万'`)
    rounded down to the fen, net of the prior awards of every measure named."""

    with_: tuple[MeasureId, ...] = Field(alias="with", min_length=1)
    limit: ExprField
    title: str | None = None
    quote: str | None = None


class ClaimLimit(Node):
    """How often a measure may be claimed (同一合同仅能申领一次): at most `times` awards per subject,
    or per enterprise and year (the subject's year). Read against the prior awards in the facts,
    which in the ledger include its approved awards; in one assessment the earlier subjects, in
    facts order, take the places first."""

    times: Annotated[int, Field(ge=1)] = 1
    per: Literal["subject", "enterprise_year"] = "subject"
    quote: str | None = None
    title: str | None = None


class Tranche(Node):
    share: Rate
    on: Trigger
    title: str | None = None
    quote: str | None = None


class Alternative(Node):
    text: str
    set: dict[str, Any] = Field(default_factory=dict)


class Interpretation(Node):
    """An ambiguous clause, the decision taken, and the alternatives an officer may choose."""

    id: LocalId
    question: str
    decision: str
    alternatives: dict[LocalId, Alternative] = Field(default_factory=dict)


class InForce(Node):
    start: date = Field(alias="from")
    end: date | None = Field(default=None, alias="to")


class Measure(Node):
    id: MeasureId
    title: str
    title_en: str
    category: str
    applies_to: SubjectKind
    scope: ExprField | None = None
    quote: str = Field(min_length=4)
    conditions: tuple[ConditionItem, ...] = ()
    review: tuple[str, ...] = ()
    benefits: dict[LocalId, Component] = Field(min_length=1)
    caps: tuple[Cap, ...] = ()
    joint_caps: tuple[JointCap, ...] = ()
    claims: ClaimLimit | None = None
    payment: tuple[Tranche, ...] = ()
    interpretations: tuple[Interpretation, ...] = ()
    in_force: InForce | None = None


class NonDuplicationGroup(Node):
    """就高不重复: of these measures one subject keeps only the highest."""

    id: LocalId
    title: str
    measures: tuple[MeasureId, ...] = Field(min_length=2)
    per: Literal["subject", "enterprise"] = "subject"
    compare: Literal["max", "min", "midpoint"] = "max"
    quote: str | None = None
    interpretation: str | None = None


class BudgetPool(Node):
    """A programme budget over some measures (每年发放最高5亿元, 发放6亿元算力券): per calendar year or
    for the whole term. The ledger's budgets are seeded from it and approvals refuse beyond it;
    `huiqi simulate` says when demand passes it and what each rationing would pay."""

    id: LocalId
    title: str
    title_en: str | None = None
    amount: Amount
    per: Literal["year", "term"] = "year"
    measures: tuple[MeasureId, ...] = Field(min_length=1)
    rationing: Literal["first_come", "pro_rata"] = "first_come"
    """How the pool is shared when demand passes it: first come first served (approvals stop when
    it is spent), or pro rata (every award scaled by pool / demand). Usually an interpretation."""
    quote: str | None = None


def _region(raw: object) -> str:
    try:
        return read_region(raw, prefer=HOME).code
    except ValueError as error:
        raise ValueError(str(error)) from error


class AppliesIn(Node):
    """Where a policy applies: a region (GB/T 2260 name or code, a zone such as 临港) and which of the
    enterprise's registrations must lie in it. Every walker checks it before any condition, so no
    measure of one city is ever eligible for a firm of another."""

    region: Annotated[str, BeforeValidator(_region)]
    registrations: tuple[Literal["business", "tax"], ...] = Field(("business", "tax"), min_length=1)
    quote: str | None = None


class Policy(Node):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    title: str
    title_en: str
    issuer: str
    document_number: str | None = None
    jurisdiction: str
    applies_in: AppliesIn
    level: Literal["national", "city", "district", "zone"]
    published: date | None = None
    in_force: InForce
    source: str = "source.txt"
    conditions: tuple[ConditionItem, ...] = ()
    non_duplication: tuple[NonDuplicationGroup, ...] = ()
    budgets: tuple[BudgetPool, ...] = ()
    interpretations: tuple[Interpretation, ...] = ()
    measures: tuple[Measure, ...] = Field(min_length=1)

    def pool_of(self, measure_id: str) -> BudgetPool | None:
        """The budget pool a measure draws on, if any."""
        return next((p for p in self.budgets if measure_id in p.measures), None)
