"""Where attached documents are kept: one folder, outside anything served as static files.

    $HUIQI_ATTACHMENTS_DIR  >  <the SQLite file's folder>/attachments  >  <the default ledger's folder>/attachments

Each file is stored under a random name (the name the user gave is only in the database, so a
name can never reach the file system), readable by the service's user alone (0600 in a 0700
folder). A file is written under a temporary name, flushed to disk and renamed, so a reader never
sees half a file; `stored_until_commit` removes it again if the transaction that records it does
not commit, so there is never a file without its row, nor a row without its file.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, SessionTransaction

from huiqi.ledger.location import default_database

FOLDER_ENV = "HUIQI_ATTACHMENTS_DIR"
CHUNK = 1 << 16
_NAME_BYTES = 16  # 128 random bits: names are neither guessable nor colliding


@dataclass(frozen=True, slots=True)
class Written:
    """A file received in full (not yet renamed into place)."""

    temporary: Path
    size: int
    sha256: str


class TooLarge(Exception):
    """The stream went on past the limit; what was read of it is already removed."""


def folder_for(url: URL) -> Path:
    """The attachments' folder for the ledger at `url` (see the module's docstring)."""
    configured = os.environ.get(FOLDER_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent / "attachments"
    return default_database().parent / "attachments"


def ensure_folder(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask, and an existing folder keeps its own
    return folder


def receive(folder: Path, content: BinaryIO, limit: int) -> Written:
    """Copy `content` into a temporary file in `folder` (0600), counting and hashing as it goes.

    Stops at the first byte beyond `limit` (TooLarge, the partial file removed): an oversized
    upload is never held whole, in memory or on disk."""
    temporary = ensure_folder(folder) / f".incoming-{secrets.token_hex(_NAME_BYTES)}"
    digest = hashlib.sha256()
    size = 0
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            while chunk := content.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"more than {limit} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Written(temporary, size, digest.hexdigest())


def keep(written: Written) -> str:
    """Move a received file to its random, final name in the same folder; that name."""
    name = secrets.token_hex(_NAME_BYTES)
    os.replace(written.temporary, written.temporary.parent / name)
    return name


def stored_until_commit(session: Session, path: Path) -> None:
    """Remove `path` when the session's transaction ends without committing (refused, failed, retried)."""
    committed = False

    def on_commit(_session: Session) -> None:
        nonlocal committed
        committed = True

    def on_end(_session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and not committed:  # the outermost transaction, rolled back
            path.unlink(missing_ok=True)

    _listen(session, "after_commit", on_commit)
    _listen(session, "after_transaction_end", on_end)


def _listen(session: Session, name: str, handler: Callable[..., None]) -> None:
    # Listeners on this session object only: a session lives for one unit of work.
    event.listen(session, name, handler)


def path_of(folder: Path, stored_name: str) -> Path:
    """The file of a stored name; refuses anything but the random names this module makes."""
    if len(stored_name) != 2 * _NAME_BYTES or any(c not in "0123456789abcdef" for c in stored_name):
        raise ValueError(f"not a stored attachment's name: {stored_name!r}")
    return folder / stored_name
