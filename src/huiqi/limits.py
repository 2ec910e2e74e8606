"""How large an input may be, refused before it is read.

Three settings, each an environment variable holding a size in bytes or with a binary unit
(`64MiB`, `64M`, `512k`):

- `HUIQI_MAX_FACTS_BYTES`, default 8 MiB: a facts file (`huiqi calc`), a reform file
  (`huiqi simulate --reform`) and the body of `POST /v1/assess`. A facts file of 20,000 projects
  is 4.4 MiB; an enterprise's own is a few KiB.
- `HUIQI_MAX_UPLOAD_BYTES`, default 16 MiB: a spreadsheet imported (`huiqi import`,
  `POST /v1/imports/{kind}`).
- `HUIQI_MAX_ATTACHMENT_BYTES`, default 10 MiB: a document attached to an application
  (huiqi.ledger.attachments; `POST /v1/applications/{id}/attachments` and the page's form).

A file's size is taken from the file system first (a 270 MB file is refused at once, nothing
read); a stream that does not know its size (a pipe, `/dev/stdin`, an HTTP body without
Content-Length) is read up to the limit and refused at the first byte beyond it. Each refusal
names the size, the limit and how to raise it, in Chinese and English.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from huiqi.diagnostics import Diagnostic, InputError

MiB = 1 << 20
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_SIZE = re.compile(r"^\s*(\d+)\s*(?:([kmg]?)(?:i?b)?)\s*$", re.IGNORECASE)


def parse_size(text: str) -> int | None:
    """'8388608', '8MiB', '8M', '8mb', '512k' -> bytes (binary units); None if not a size."""
    found = _SIZE.match(text)
    if found is None or int(found.group(1)) == 0:
        return None
    return int(found.group(1)) * _UNITS[found.group(2).lower()]


def format_size(size: int) -> str:
    if size >= MiB:
        return f"{size / MiB:,.1f} MiB".replace(".0 MiB", " MiB")
    if size >= 1 << 10:
        return f"{size / (1 << 10):,.1f} KiB".replace(".0 KiB", " KiB")
    return f"{size} bytes"


@dataclass(frozen=True)
class SizeLimit:
    env: str
    default: int
    zh: str  # what is limited, e.g. 事实文件
    en: str  # e.g. facts files

    def current(self) -> int:
        """The limit in force: the environment's, else the default. A bad setting is an input error."""
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        size = parse_size(raw)
        if size is None:
            zh = f"环境变量 {self.env}={raw!r} 不是大小; 请写字节数或带单位, 如 {self.env}=64MiB"
            en = f"{self.env}={raw!r} is not a size; write bytes or a size with a unit, e.g. {self.env}=64MiB"
            raise InputError([Diagnostic(self.env, None, f"{en} — {zh}", zh=zh)])
        return size

    def refusal(self, where: str, size: int | None, limit: int) -> Diagnostic:
        """`where` is over the limit; `size` is its size where known (else: more than the limit)."""
        raise_it = f"{self.env}={max(64 * MiB, 2 * limit) // MiB}MiB"
        said_zh = f"{format_size(size)}" if size is not None else f"超过 {format_size(limit)}"
        said_en = f"{format_size(size)}" if size is not None else f"more than {format_size(limit)}"
        unread_zh, unread_en = ("未读取", "not read") if size is not None else ("已停止读取", "read no further")
        zh = (
            f"过大: {said_zh}, {self.zh}上限为 {format_size(limit)}, {unread_zh}; "
            f"如确需处理, 请设置环境变量 {self.env} 调高上限 (如 {raise_it})"
        )
        en = (
            f"too large: {said_en}, above the limit of {format_size(limit)} for {self.en}; {unread_en}. "
            f"To raise the limit, set the environment variable {self.env} (e.g. {raise_it})"
        )
        return Diagnostic(where, None, f"{en} — {zh}", zh=zh)


FACTS = SizeLimit("HUIQI_MAX_FACTS_BYTES", 8 * MiB, "事实文件", "facts files")
UPLOADS = SizeLimit("HUIQI_MAX_UPLOAD_BYTES", 16 * MiB, "导入文件", "imported spreadsheets")
ATTACHMENTS = SizeLimit("HUIQI_MAX_ATTACHMENT_BYTES", 10 * MiB, "附件", "attachments")


def read_limited(path: Path, limit: SizeLimit) -> bytes:
    """The file's bytes, refused (InputError, nothing read) if larger than the limit.

    OSError (no such file, a folder, no permission) is left to the caller, which names it."""
    most = limit.current()
    with open(path, "rb") as file:
        info = os.fstat(file.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > most:
            raise InputError([limit.refusal(str(path), info.st_size, most)])
        data = file.read(most + 1)  # a pipe, or a file that grew since: never more than the limit
    if len(data) > most:
        raise InputError([limit.refusal(str(path), None, most)])
    return data
