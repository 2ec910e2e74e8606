"""Passwords out of anything printed or logged: database URLs and the messages that quote them.

`postgresql://huiqi:s3cret@db/huiqi` is shown as `postgresql://huiqi:***@db/huiqi`. Pure text
work (no SQLAlchemy), so every command can use it without paying for the ledger's imports.
"""

from __future__ import annotations

import re

MASK = "***"
# scheme://user:password@host — the password runs to the last "@" of the URL: a password should have
# its "@" percent-encoded, but people type it raw, and the greedy match keeps such a one hidden too.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)(?P<password>\S*)@")
# libpq keyword strings: password=... (psycopg quotes them in some errors)
_KEYWORD_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<password>'(?:[^'\\]|\\.)*'|[^\s]+)", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the password of every URL (and every libpq `password=`) replaced by ***."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
    return _KEYWORD_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", text)
