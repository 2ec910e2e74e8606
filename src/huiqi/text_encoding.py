"""The text encoding of a CSV file: UTF-8 (with or without BOM), or what Chinese Excel saves (GBK/GB18030).

UTF-8 is tried first and strictly (it almost never decodes other text by accident). Otherwise
charset-normalizer, a maintained detector, judges the bytes among the encodings a Chinese office
actually produces — GB18030 (a superset of GBK and GB2312: what Excel's "CSV (逗号分隔)" saves on
a Chinese Windows) and UTF-16/32 (Excel's "Unicode 文本"). Anything else, or bytes it cannot make
sense of, is refused with a message saying how to convert the file; never decoded into mojibake.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import charset_normalizer

# What charset-normalizer may choose from when the bytes are not UTF-8. Left free, it reads short
# GBK text as Korean (cp949) or Big5; a Chinese office saves GB18030/GBK or UTF-16.
CANDIDATES = ("gb18030", "utf_16", "utf_32")
SAMPLE_BYTES = 1 << 20  # a batch file's encoding is judged on its first MiB

HOW_TO_CONVERT_EN = (
    "save it as UTF-8 (Excel: File > Save As > 'CSV UTF-8 (Comma delimited)') or convert it, "
    "e.g. `iconv -f GB18030 -t UTF-8 in.csv > out.csv`"
)
HOW_TO_CONVERT_ZH = (
    "请另存为 UTF-8 (Excel: 文件 > 另存为 > “CSV UTF-8(逗号分隔)”), "
    "或转换编码, 如 `iconv -f GB18030 -t UTF-8 in.csv > out.csv`"
)


class EncodingProblem(ValueError):
    """A file whose encoding is not UTF-8 and cannot be told; says how to convert it, in both languages."""

    def __init__(self, file: str, found: str | None = None):
        seen = f" (它看起来像 {found})" if found else ""
        seen_en = f" (it looks like {found})" if found else ""
        self.zh = f"{file}: 无法识别文字编码, 不是 UTF-8 或 GBK/GB18030{seen}; {HOW_TO_CONVERT_ZH}"
        self.en = f"{file}: cannot tell its text encoding: not UTF-8 or GBK/GB18030{seen_en}; {HOW_TO_CONVERT_EN}"
        super().__init__(self.en)


def _is_utf8(content: bytes, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(content, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def detect(content: bytes, file: str, *, complete: bool = True) -> str:
    """The Python codec name to read `content` with: 'utf-8-sig' (a BOM is dropped), 'gb18030',
    'utf-16' or 'utf-32'. `complete` is False for a sample cut from a longer file (a character
    may be cut in two at its end)."""
    if content.startswith(codecs.BOM_UTF8) or _is_utf8(content, complete):
        return "utf-8-sig"
    sample = content if complete else content[: content.rfind(b"\n") + 1] or content
    best = charset_normalizer.from_bytes(sample, cp_isolation=list(CANDIDATES)).best()
    if best is None or best.encoding not in CANDIDATES:
        raise EncodingProblem(file, None if best is None else best.encoding)
    return best.encoding.replace("_", "-")


def decode(content: bytes, file: str) -> str:
    """The text of a whole file (an upload, an import): see `detect`."""
    return content.decode(detect(content, file))


def file_encoding(path: Path | str, file: str | None = None) -> str:
    """The encoding of a file judged on its first MiB (a batch input can be gigabytes)."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
        complete = len(sample) < SAMPLE_BYTES
    return detect(sample, file or str(path), complete=complete)
