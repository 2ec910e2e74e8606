"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-letter alphabet (no I, O, S, V, Z); the 18th is a check character
computed from the first 17 with weights 3^i mod 31.
"""

from __future__ import annotations

from huiqi.diagnostics import Bilingual

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class CreditCodeError(Bilingual):
    """A code that is not a unified social credit code, said in Chinese and English."""


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(raw: str) -> str:
    code = raw.strip().upper()
    if len(code) != 18:
        raise CreditCodeError(
            f"统一社会信用代码应为18位，这里是{len(code)}位",
            f"a unified social credit code has 18 characters, this one has {len(code)}",
        )
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        raise CreditCodeError(
            f"统一社会信用代码中不能有这些字符：{''.join(bad)}(不用 I、O、S、V、Z)",
            f"characters not allowed in a unified social credit code: {''.join(bad)}",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise CreditCodeError(
            f"校验码不对：第18位是 {code[17]}，按 GB 32100-2015 应为 {expected}(请核对代码是否抄错)",
            f"check digit is {code[17]!r} but GB 32100-2015 gives {expected!r}",
        )
    return code


def complete(first17: str) -> str:
    """Append the check character (used by examples and tests to make valid codes)."""
    return first17 + check_character(first17)
