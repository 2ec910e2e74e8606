"""Whether a folder or file may be trusted with code: ours and writable by no one else.

The plan cache (huiqi.batch.plan_cache) keeps SQL that a later run executes as it stands, so
whoever can write its folder or its files can make huiqi run their SQL. As ssh treats its
keys, a folder or file is trusted only when it belongs to the current user and neither its
group nor others may write it; otherwise it is named, with the problem, and left alone.
"""

from __future__ import annotations

import os
import stat
import sys

_WARNED: set[tuple[str, str]] = set()


def _uid() -> int | None:
    getuid = getattr(os, "getuid", None)  # not on Windows, where ownership is not checked
    return getuid() if getuid is not None else None


def problem(info: os.stat_result, *, folder: bool) -> tuple[str, str] | None:
    """(English, Chinese) of why this (from stat) is not private, or None when it is."""
    if folder and not stat.S_ISDIR(info.st_mode):
        return "is not a folder", "不是文件夹"
    if not folder and not stat.S_ISREG(info.st_mode):
        return "is not a regular file", "不是普通文件"
    uid = _uid()
    if uid is not None and info.st_uid != uid:
        return (
            f"belongs to user {info.st_uid}, not to the current user ({uid})",
            f"属于用户 {info.st_uid}, 而非当前用户 ({uid})",
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        mode = f"{stat.S_IMODE(info.st_mode):04o}"
        return (
            f"may be written by its group or by others (mode {mode}; chmod go-w, or 700 for a folder, 600 for a file)",
            f"同组或其他用户可写 (权限 {mode}; 请执行 chmod go-w, 文件夹宜为 700, 文件宜为 600)",
        )
    return None


def warn(path: str, found: tuple[str, str], what: tuple[str, str]) -> None:
    """Say once per process, on stderr, in English and Chinese, that `path` is not used."""
    if (path, found[0]) in _WARNED:
        return
    _WARNED.add((path, found[0]))
    en, zh = found
    what_en, what_zh = what
    sys.stderr.write(f"warning: {path} {en}: {what_en} — 警告: {path} {zh}: {what_zh}\n")
