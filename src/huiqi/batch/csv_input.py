"""Reading a batch CSV file: every column as text, in whatever encoding a Chinese office saved it.

UTF-8 (with or without BOM) or GBK/GB18030 (what Chinese Excel saves), judged on the file's first
MiB by huiqi.text_encoding; pyarrow then transcodes while it reads. A file in no such encoding, or
one that changes encoding after its first MiB, is refused with a message saying how to convert it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huiqi.diagnostics import Diagnostic, InputError
from huiqi.text_encoding import EncodingProblem, file_encoding


def csv_text_options(names: list[str]) -> Any:
    """Every CSV column as text; an empty unquoted cell is unknown (null), a quoted "" the empty text."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=False,
    )


def _read_options(encoding: str) -> Any:
    import pyarrow.csv as pacsv

    # pyarrow reads UTF-8 itself (a BOM is skipped); any other encoding it transcodes through Python's codec
    return pacsv.ReadOptions(encoding="utf8" if encoding == "utf-8-sig" else encoding)


def csv_column_names(path: Path | str, encoding: str = "utf-8-sig") -> list[str]:
    """A CSV file's column names, from its first block only. (Skipping every row after the names
    failed on a file of names alone: "straddling object straddles two block boundaries".)"""
    import pyarrow.csv as pacsv

    with pacsv.open_csv(path, read_options=_read_options(encoding)) as reader:
        return list(reader.schema.names)


def read_csv(path: Path | str, file: str) -> Any:
    """The file as a pyarrow table of text columns; an InputError naming the file when its
    encoding cannot be told, or its text is not what its first MiB said."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        encoding = file_encoding(path, file)
    except EncodingProblem as unknown:
        raise InputError([Diagnostic(file, None, unknown.en, zh=unknown.zh)]) from None
    try:
        names = csv_column_names(path, encoding)
        return pacsv.read_csv(path, read_options=_read_options(encoding), convert_options=csv_text_options(names))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError):
            problem = EncodingProblem(file, f"{encoding} at first, not after")
            raise InputError([Diagnostic(file, None, problem.en, zh=problem.zh)]) from exc
        raise
