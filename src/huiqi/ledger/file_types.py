"""What a document is, told by its bytes, never by its name: the kinds an application may carry.

A file named `说明.pdf` that is a Windows program is refused; a PDF named `scan.txt` is a PDF.
The signatures are read by `filetype` (pure Python, no libmagic); an Office Open XML file is also
opened as a zip and must hold `[Content_Types].xml`, since filetype only looks at its first
entries' names. Whatever is not on the list below is refused, however it is named.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype  # type: ignore[import-untyped]

HEAD_BYTES = 8192  # what filetype reads of a file to decide


@dataclass(frozen=True, slots=True)
class Kind:
    media_type: str
    extension: str  # the usual one, for a download's name
    en: str
    zh: str

    @property
    def suffixes(self) -> tuple[str, ...]:
        return (".jpg", ".jpeg") if self.extension == "jpg" else (f".{self.extension}",)


_OOXML = "application/vnd.openxmlformats-officedocument."
KINDS: dict[str, Kind] = {
    k.media_type: k
    for k in (
        Kind("application/pdf", "pdf", "PDF document", "PDF 文件"),
        Kind("image/png", "png", "PNG image", "PNG 图片"),
        Kind("image/jpeg", "jpg", "JPEG image", "JPEG 图片"),
        Kind("image/gif", "gif", "GIF image", "GIF 图片"),
        Kind("image/webp", "webp", "WebP image", "WebP 图片"),
        Kind(_OOXML + "wordprocessingml.document", "docx", "Word document", "Word 文档"),
        Kind(_OOXML + "spreadsheetml.sheet", "xlsx", "Excel workbook", "Excel 表格"),
        Kind(_OOXML + "presentationml.presentation", "pptx", "PowerPoint presentation", "PowerPoint 演示文稿"),
        Kind("application/msword", "doc", "Word 97–2003 document", "Word 97–2003 文档"),
        Kind("application/vnd.ms-excel", "xls", "Excel 97–2003 workbook", "Excel 97–2003 表格"),
        Kind("application/vnd.ms-powerpoint", "ppt", "PowerPoint 97–2003 presentation", "PowerPoint 97–2003 演示文稿"),
    )
}
ACCEPTED_EXTENSIONS = (
    ".pdf",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".docx",
    ".xlsx",
    ".pptx",
    ".doc",
    ".xls",
    ".ppt",
)


def kind_of(path: Path) -> Kind | None:
    """The accepted kind the file at `path` is, from its content; None for anything else."""
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    guessed = filetype.guess(head)
    kind = KINDS.get(guessed.mime) if guessed is not None else None
    if kind is not None and kind.media_type.startswith(_OOXML) and not _is_ooxml_package(path):
        return None
    return kind


def kind_by_media_type(media_type: str) -> Kind | None:
    return KINDS.get(media_type)


def _is_ooxml_package(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as package:
            return "[Content_Types].xml" in package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
