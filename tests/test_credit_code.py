from __future__ import annotations

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.batch.load import _credit_code_ok
from huiqi.facts.credit_code import ALPHABET, CreditCodeError, complete, validate_credit_code


def test_a_published_code_is_valid() -> None:
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"


def test_lower_case_and_spaces_are_normalised() -> None:
    assert validate_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y44", "check digit"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M00010OY43", "not allowed"),  # the letter O is not in the alphabet
    ],
)
def test_invalid_codes(code: str, message: str) -> None:
    with pytest.raises(CreditCodeError, match=message):
        validate_credit_code(code)


body = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(body)
def test_completed_codes_validate(first17: str) -> None:
    assert validate_credit_code(complete(first17)) == complete(first17)


@given(body, st.integers(min_value=0, max_value=16), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_caught(first17: str, position: int, replacement: str) -> None:
    code = complete(first17)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        with pytest.raises(CreditCodeError):
            validate_credit_code(changed)


changed_codes = st.lists(
    st.tuples(body, st.integers(min_value=0, max_value=17), st.sampled_from(ALPHABET + "IOZ")), max_size=40
)


@settings(max_examples=25, deadline=None)
@given(changed_codes)
def test_the_batch_check_agrees_with_the_validator(changes: list[tuple[str, int, str]]) -> None:
    """huiqi.batch.load's check digit, as SQL on DuckDB, judges every code as the validator does."""
    codes = ["91350100M000100Y43", "91350100M000100Y44", "91350100M00010OY43", "9135"]
    for first17, position, replacement in changes:
        code = complete(first17)
        codes += [code, code[:position] + replacement + code[position + 1 :]]

    def valid(code: str) -> bool:
        try:
            validate_credit_code(code)
        except CreditCodeError:
            return False
        return True

    con = ibis.duckdb.connect()
    table = ibis.memtable({"code": codes})
    judged = con.to_pyarrow(table.select(ok=_credit_code_ok(table.code).fill_null(False)))["ok"].to_pylist()
    assert judged == [valid(code) for code in codes]
