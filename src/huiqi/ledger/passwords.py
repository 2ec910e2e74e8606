"""Passwords: argon2id hashes, the password policy, and the sign-in lockout's constants.

Hashes are argon2id PHC strings made by argon2-cffi's PasswordHasher with its defaults (RFC 9106's
low-memory profile: 3 passes over 64 MiB, 4 lanes). When those parameters change (a newer
argon2-cffi, or the constants here), a user's hash is redone at their next successful sign-in.
A sign-in for a name that does not exist (or has no password) is checked against a dummy hash,
so that it takes about as long as a wrong password for a real user.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from huiqi.ledger.errors import FieldError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # a password of megabytes is an attack on the server, not a password
MAX_FAILED_SIGN_INS = 5  # consecutive wrong passwords before the account is locked ...
LOCKOUT = timedelta(minutes=15)  # ... for this long
GENERATED_BYTES = 12  # generated passwords: 96 random bits, 16 URL-safe characters

HASHER = PasswordHasher()


def problems(password: str, name: str) -> list[FieldError]:
    """What is wrong with `password` for the user `name`, in English and Chinese (empty: acceptable)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(
            FieldError(
                "password",
                f"must be at least {MIN_LENGTH} characters long (it has {len(password)})",
                zh=f"密码至少需要 {MIN_LENGTH} 个字符 (现有 {len(password)} 个)",
            )
        )
    if len(password) > MAX_LENGTH:
        found.append(
            FieldError("password", f"must be at most {MAX_LENGTH} characters", zh=f"密码最多 {MAX_LENGTH} 个字符")
        )
    if password.strip() == "" and password:
        found.append(FieldError("password", "must not be only spaces", zh="密码不能全是空格"))
    if password.strip().casefold() == name.strip().casefold():
        found.append(FieldError("password", "must not be the user name", zh="密码不能与用户名相同"))
    return found


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(GENERATED_BYTES))


def waste_time(password: str) -> None:
    """As long as checking a real password, for a user that does not exist (the result is thrown away)."""
    verify(_dummy_hash(), password)


def generate() -> str:
    """A random password that satisfies the policy."""
    return secrets.token_urlsafe(GENERATED_BYTES)
