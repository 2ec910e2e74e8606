from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
