"""Expressions in a reader's words: facts by name, codes by label, regions by name (huiqi.rules.words)."""

from __future__ import annotations

import pytest

from huiqi.rules.expr import parse_expr
from huiqi.rules.words import expr_words


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("project.kind in ['procurement']", "项目类型属于「区域协同采购」", "(regional collaborative procurement)"),
        ("enterprise.age_years < 3", "成立年限(年) < 3", "years since founding < 3"),
        ("not contract.related_party", "关联方交易为否", "related party is no"),
        ("within(enterprise.business_district, '深圳市')", "工商注册地在广东省深圳市内", "within Shenzhen"),
        ("enterprise.business_district == 'lingang'", "工商注册地为临港新片区", "is Lingang"),
        ("enterprise.size in ['small', 'micro']", "企业规模属于「小型、微型」", "is one of (small, micro)"),
        ("sum(contract.amount, where=contract.kind == 'compute', year='subject') <= 500000", "合同金额合计", "total"),
    ],
)
def test_an_expression_in_words(text: str, zh: str, en: str) -> None:
    expr = parse_expr(text)
    assert zh in expr_words(expr)
    assert en in expr_words(expr, "en")
    assert "." not in expr_words(expr).replace("...", "")  # no dotted path left for a reader
