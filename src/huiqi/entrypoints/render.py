"""Readable terminal output (Rich) for the CLI."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from huiqi.engine.result import STATUS_ZH, Assessment, InterpretationUse, MeasureResult, Reason, Status
from huiqi.money import Interval, format_rate, format_wan
from huiqi.rules.expr import to_text
from huiqi.rules.jurisdiction import jurisdiction_conditions
from huiqi.rules.library import Library
from huiqi.rules.model import (
    AmountChoice,
    AmountRange,
    Bonus,
    Component,
    Fixed,
    Match,
    Measure,
    Milestones,
    PerYear,
    Policy,
    RateChoice,
    RateRange,
    Ratio,
    RentSchedule,
)

STATUS_STYLE = {
    Status.ELIGIBLE: "green",
    Status.INELIGIBLE: "red",
    Status.NOT_IN_FORCE: "dim",
    Status.NEEDS_DECISION: "yellow",
    Status.SUPERSEDED: "magenta",
}
TRIGGER_ZH = {"approval": "立项/批准时", "acceptance": "验收后", "annual": "按年", "award": "认定时"}
LABELS = {
    "zh": {
        "measure": "措施",
        "subject": "对象",
        "status": "状态",
        "amount": "金额(元)",
        "why": "说明",
        "total": "可享受合计",
        "as_of": "评估日",
        "years": "分年",
        "paid": "拨付",
        "trace": "计算过程",
        "review": "由评审决定",
        "quote": "原文",
        "interp": "解释",
        "yuan": "元",
    },
    "en": {
        "measure": "measure",
        "subject": "subject",
        "status": "status",
        "amount": "amount (yuan)",
        "why": "why",
        "total": "total eligible",
        "as_of": "as of",
        "years": "by year",
        "paid": "paid",
        "trace": "computation",
        "review": "decided by review",
        "quote": "clause",
        "interp": "interpretations",
        "yuan": "yuan",
    },
}


def money(amount: Interval | None) -> str:
    if amount is None:
        return "—"
    if amount.is_exact:
        return f"{amount.lo:,.2f}"
    return f"{amount.lo:,.2f} – {amount.hi:,.2f}"


def _status(status: Status, lang: str) -> Text:
    label = STATUS_ZH[status] if lang == "zh" else status.value
    return Text(label, style=STATUS_STYLE[status])


def _reason(reason: Reason, lang: str) -> str:
    return reason.zh if lang == "zh" else reason.en


def _title(result: MeasureResult, lang: str) -> str:
    return result.title if lang == "zh" else result.title_en


def assessment(console: Console, assessment: Assessment, lang: str, *, brief: bool = False) -> None:
    labels = LABELS[lang]
    console.print(
        f"[bold]{escape(assessment.enterprise)}[/bold] ({assessment.credit_code}) — "
        f"{labels['as_of']} {assessment.as_of.isoformat()}",
        highlight=False,
    )
    table = Table(show_lines=False, expand=False)
    for column in ("measure", "subject", "status", "amount", "why"):
        table.add_column(labels[column], justify="right" if column == "amount" else "left", overflow="fold")
    dormant: dict[str, list[MeasureResult]] = {}
    for result in assessment.results:
        if result.status is Status.NOT_IN_FORCE:
            dormant.setdefault(result.policy, []).append(result)
            continue
        subject = result.subject.id if result.subject else "—"
        why = "; ".join(_reason(r, lang) for r in result.reasons) if result.status is not Status.ELIGIBLE else ""
        table.add_row(
            Text(f"{result.measure}\n{_title(result, lang)}"),
            Text(subject),
            _status(result.status, lang),
            money(result.amount),
            Text(why),
        )
    for policy, results in dormant.items():
        measures = f"{len(results)} 项措施" if lang == "zh" else f"{len(results)} measures"
        table.add_row(
            Text(f"{policy}.*\n{measures}"),
            Text("—"),
            _status(Status.NOT_IN_FORCE, lang),
            "—",
            Text(_reason(results[0].reasons[0], lang)),
        )
    console.print(table)
    total = assessment.total
    wan = format_wan(total.lo) if total.is_exact else f"{format_wan(total.lo)} – {format_wan(total.hi)}"
    in_wan = f"  ({wan})" if lang == "zh" else ""  # 万/亿 figures: for Chinese readers
    console.print(f"[bold]{labels['total']}: {money(total)} {labels['yuan']}[/bold]{in_wan}", highlight=False)
    if brief:
        return
    shown: dict[str, MeasureResult] = {}
    for result in assessment.results:
        if result.status in (Status.ELIGIBLE, Status.NEEDS_DECISION, Status.SUPERSEDED):
            console.print(explanation(result, lang))
            shown.setdefault(result.policy, result)
    for policy, result in shown.items():
        general = [i for i in result.interpretations if i.owner == policy]
        if general:
            console.print(
                Panel(
                    Group(*[_interpretation(i, lang) for i in general]),
                    title=Text(f"{policy}: {labels['interp']}"),
                    title_align="left",
                )
            )


def explanation(result: MeasureResult, lang: str) -> Panel:
    labels = LABELS[lang]
    lines: list[Any] = []
    head = Text()
    head.append(f"{money(result.amount)} {labels['yuan']}  ", style="bold")
    head.append_text(_status(result.status, lang))
    lines.append(head)
    if result.by_year:
        lines.append(
            Text(f"{labels['years']}: " + ", ".join(f"{y}: {money(a)}" for y, a in sorted(result.by_year.items())))
        )
    if result.tranches:
        parts = []
        for t in result.tranches:
            when = TRIGGER_ZH.get(t.on, t.on) if lang == "zh" else t.on
            label = " ".join(str(x) for x in (t.title, t.year) if x) or when
            parts.append(f"{t.share} {label} ({when}): {money(t.amount)}")
        lines.append(Text(f"{labels['paid']}: " + "; ".join(parts)))
    for reason in result.reasons:
        lines.append(Text(f"! {_reason(reason, lang)}", style="yellow"))
    lines.append(Text(f"{labels['trace']}:", style="bold"))
    for step in result.trace:
        text = step.text(lang)
        line = Text(f"  • {text}")
        if step.details(lang):
            line.append(f"  {step.details(lang)}", style="dim")
        lines.append(line)
    if result.review:
        lines.append(Text(f"{labels['review']}: " + "; ".join(result.review)))
    lines.append(Text(f"{labels['quote']}: “{result.quote}”", style="italic"))
    own = [i for i in result.interpretations if i.owner == result.measure or i.choice != "default"]
    if own:
        lines.append(Text(f"{labels['interp']}:", style="bold"))
        lines += [_interpretation(i, lang) for i in own]
    subject = f" — {result.subject.id} {result.subject.name}" if result.subject else ""
    return Panel(Group(*lines), title=Text(f"{result.measure} {_title(result, lang)}{subject}"), title_align="left")


def _interpretation(item: InterpretationUse, lang: str = "zh") -> Text:
    chosen = "" if item.choice == "default" else f"  [officer's choice: {item.choice}]"
    if lang == "zh":  # what each alternative reads; in English its id (the texts are Chinese)
        texts = item.alternative_texts or item.alternatives
        alts = f"  (其他理解: {'; '.join(texts)})" if texts else ""
    else:
        alts = f"  (alternatives: {', '.join(item.alternatives)})" if item.alternatives else ""
    return Text(f"  [{item.owner}:{item.id}] {item.question} → {item.decision}{chosen}{alts}")


def policy_list(console: Console, library: Library, lang: str) -> None:
    for policy in library.policies:
        until = policy.in_force.end.isoformat() if policy.in_force.end else "—"
        title = policy.title if lang == "zh" else policy.title_en
        table = Table(
            title=Text(
                f"{policy.id}  {title}  {policy.document_number or ''}  [{policy.in_force.start.isoformat()} – {until}]"
            ),
            title_justify="left",
        )
        for column in ("id", "title", "applies to", "benefits"):
            table.add_column(_word(column, lang))
        for measure in policy.measures:
            table.add_row(
                measure.id,
                measure.title if lang == "zh" else measure.title_en,
                _subject(measure.applies_to, lang),
                ", ".join(f"{name} ({c.kind})" for name, c in measure.benefits.items()),
            )
        console.print(table)


# The summary's words in the reader's language (the rule's expressions stay as written).
WORDS = {
    "id": "编号",
    "title": "名称",
    "applies to": "适用对象",
    "benefits": "支持内容",
    "category": "类别",
    "scope": "范围",
    "quote": "原文",
    "condition": "条件",
    "benefit": "支持",
    "cap": "上限",
    "per": "按",
    "over": "计入",
    "all components": "全部支持项",
    "payment": "拨付",
    "on": "于",
    "interpretation": "解读",
    "alternatives": "可选理解",
    "none": "无",
}
SUBJECTS_ZH = {"enterprise": "企业本身", "project": "项目", "lease": "租赁场地", "institution": "研发机构"}
SUBJECTS_ZH |= {"platform": "服务平台", "contract": "服务合同"}


def _word(word: str, lang: str) -> str:
    return WORDS.get(word, word) if lang == "zh" else word


def _subject(kind: str, lang: str) -> str:
    return SUBJECTS_ZH.get(kind, kind) if lang == "zh" else kind


def _measure_panel(policy: Policy, measure: Measure, lang: str) -> Panel:
    def w(word: str) -> str:
        return _word(word, lang)

    lines: list[Any] = [
        Text(f"{measure.title} / {measure.title_en}", style="bold"),
        Text(f"{w('applies to')}: {_subject(measure.applies_to, lang)}   {w('category')}: {measure.category}"),
    ]
    if measure.scope is not None:
        lines.append(Text(f"{w('scope')}: {to_text(measure.scope)}"))
    lines.append(Text(f"{w('quote')}: “{measure.quote}”", style="italic"))
    for condition in (*jurisdiction_conditions(policy), *policy.conditions, *measure.conditions):
        lines.append(
            Text(f"{w('condition')}: {condition.text if lang == 'zh' else condition.text_en or condition.text}")
        )
    for name, component in measure.benefits.items():
        lines.append(Text(f"{w('benefit')} {name} ({component.kind}): {component.title or ''}"))
        lines.append(Text(f"    {describe_component(component)}", style="dim"))
    for cap in measure.caps:
        over = ", ".join(cap.over) if cap.over else w("all components")
        lines.append(Text(f"{w('cap')}: {cap.title or ''} {_amount(cap.max)} {w('per')} {cap.per} {w('over')} {over}"))
    for tranche in measure.payment:
        lines.append(Text(f"{w('payment')}: {tranche.share * 100:.0f}% {w('on')} {tranche.on}"))
    for item in measure.interpretations:
        alts = ", ".join(item.alternatives) or w("none")
        lines.append(
            Text(f"{w('interpretation')} {item.id}: {item.question} → {item.decision} ({w('alternatives')}: {alts})")
        )
    return Panel(Group(*lines), title=Text(measure.id), title_align="left")


def _rate(spec: RateChoice) -> str:
    def one(value: Decimal | RateRange) -> str:
        if isinstance(value, RateRange):
            return f"[{format_rate(value.min)}, {format_rate(value.max)}]"
        return format_rate(value)

    cases = "".join(f"; if {to_text(c.when)}: {one(c.rate)}" for c in spec.cases)
    return one(spec.default) + cases


def _amount(spec: AmountChoice) -> str:
    cases = "".join(f"; if {to_text(c.when)}: {format_wan(c.amount)}" for c in spec.cases)
    return format_wan(spec.default) + cases


def describe_component(component: Component) -> str:
    """One line of the rule itself, e.g. 'project.costs.new_investment × [10%, 30%], cap 1亿元'."""
    when = f"when {to_text(component.when)}: " if component.when is not None else ""
    if isinstance(component, Ratio | PerYear):
        text = f"{to_text(component.base)} × {_rate(component.rate)}"
        if isinstance(component, PerYear):
            if component.cap_per_year is not None:
                text += f", at most {format_wan(component.cap_per_year)} a year"
            if component.max_years is not None:
                text += f", for at most {component.max_years} years"
        if component.cap is not None:
            text += f", cap {_amount(component.cap)}"
        return when + text
    if isinstance(component, Match):
        cap = f", cap {_amount(component.cap)}" if component.cap is not None else ""
        return f"{when}{to_text(component.base)} × {format_rate(component.ratio)}{cap}"
    if isinstance(component, Fixed):
        return when + _amount(component.amount)
    if isinstance(component, AmountRange):
        return f"{when}[{format_wan(component.min)}, {format_wan(component.max)}]"
    if isinstance(component, Bonus):
        options = "; ".join(f"{to_text(o.when)}: {format_wan(o.amount)}" for o in component.options)
        return f"{when}{options} ({component.stacking})"
    if isinstance(component, Milestones):
        tiers = "; ".join(f"> {format_wan(t.threshold)}: {format_wan(t.amount)}" for t in component.tiers)
        return f"{when}first year {to_text(component.series)} passes: {tiers} ({component.stacking})"
    if isinstance(component, RentSchedule):
        rates = ", ".join(format_rate(r) for r in component.rates)
        return f"{when}rent by lease year: {rates}; area cap {component.area_cap_m2} m²"
    return when + component.text


def policy_or_measure(console: Console, library: Library, item: str, lang: str) -> None:
    if "." in item:
        ref = library.measure(item)
        console.print(_measure_panel(ref.policy, ref.measure, lang))
        return
    policy = library.policy(item)
    until = policy.in_force.end.isoformat() if policy.in_force.end else "—"
    console.print(
        Panel(
            Group(
                Text(f"{policy.title} / {policy.title_en}", style="bold"),
                Text(
                    f"issuer: {policy.issuer}   number: {policy.document_number or '—'}   level: {policy.level}   "
                    f"jurisdiction: {policy.jurisdiction}   in force: {policy.in_force.start.isoformat()} – {until}"
                ),
                *[Text(f"condition: {c.text}") for c in (*jurisdiction_conditions(policy), *policy.conditions)],
                *[
                    Text(f"non-duplication {g.id}: {', '.join(g.measures)} (keep the higher, compare by {g.compare})")
                    for g in policy.non_duplication
                ],
                *[Text(f"interpretation {i.id}: {i.question} → {i.decision}") for i in policy.interpretations],
            ),
            title=Text(policy.id),
            title_align="left",
        )
    )
    for measure in policy.measures:
        console.print(_measure_panel(policy, measure, lang))


def schema_table(console: Console, document: dict[str, Any]) -> None:
    definitions = document.get("$defs", {})
    for name, model in [("Facts", document), *definitions.items()]:
        if "properties" not in model:
            continue
        table = Table(title=name, title_justify="left")
        for column in ("field", "中文", "unit", "required", "description"):
            table.add_column(column, overflow="fold")
        required = set(model.get("required", []))
        for field, spec in model["properties"].items():
            table.add_row(
                field,
                spec.get("zh", spec.get("title", "")),
                spec.get("unit", ""),
                "yes" if field in required else "",
                spec.get("description", ""),
            )
        console.print(table)
