"""Diagnostics: every problem in an input file, each with file, line and (for policies) rule id.

Loading collects all of them before failing, so an author sees every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import ValidationError

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int | None
    message: str
    field: str = ""
    rule: str | None = None
    zh: str | None = None
    """The message in Chinese, where one is known (`message` is English)."""

    def text(self, lang: str = "zh") -> str:
        """The message in the reader's language (English where no Chinese is known)."""
        return self.zh if lang == "zh" and self.zh else self.message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        rule = f" [{self.rule}]" if self.rule else ""
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{rule}{field} {self.message}"


class Bilingual(ValueError):
    """A bad value said in Chinese and in English. Validators raise it; the diagnostic built from
    it keeps both, and each edge shows the reader's language."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


class InputError(Exception):
    """Bad input: carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


@dataclass(frozen=True, slots=True)
class SourceDoc:
    """A parsed YAML/JSON document with the line of every key and item."""

    file: str
    data: Any
    lines: Mapping[Path, int]

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The line of the deepest known prefix of path."""
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get((), None)


class _Loader(yaml.SafeLoader):
    """Safe YAML where decimals stay exact (0.1 is Decimal('0.1'), never a float) and only
    true/false are booleans (YAML 1.2): a key such as `on:` stays the word "on"."""


# YAML 1.2 core schema for booleans and numbers: no yes/no/on/off booleans, no base-60
# numbers (an unquoted 1:1 stays text), no .inf/.nan.
_YAML_12 = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML_12]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    return Decimal(text)


def _construct_date(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    # An impossible date (2024-02-30) stays text, so validation reports it with its field and line.
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    return int(str(loader.construct_scalar(node)))  # type: ignore[arg-type]  # base 10: 010 is ten


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_date)


def _record(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            # pydantic names a year key 2024 as an int; keep both spellings of such keys.
            if key.isdigit():
                lines[(*path, int(key))] = key_node.start_mark.line + 1
            _record(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
            if key.isdigit():
                _record(value_node, (*path, int(key)), lines)
                lines[(*path, int(key))] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, (*path, index), lines)


def parse_source(text: str, file: str) -> SourceDoc:
    """Parse YAML (or JSON, a subset) keeping line numbers; syntax errors become diagnostics."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError([Diagnostic(file, line, f"not valid YAML/JSON: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise InputError([Diagnostic(file, None, f"not valid YAML/JSON: {exc}")]) from exc
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    if node is not None:
        _record(node, (), lines)
    return SourceDoc(file, data, lines)


def _loc_path(loc: tuple[int | str, ...], data: Any) -> Path:
    """The key path of an error in the input, without the union tags and class names pydantic adds."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict):
            key: Any = part if part in node else (int(part) if isinstance(part, str) and part.isdigit() else str(part))
            if key in node:
                path.append(part)
                node = node[key]
                continue
            if not any(str(k) == str(part) for k in node):
                if part == loc[-1] and isinstance(part, str) and "[" not in part and not part[:1].isupper():
                    path.append(part)  # a missing or unknown key: name it
                continue
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
            continue
    return tuple(path)


def field_name(path: Iterable[str | int]) -> str:
    """('measures', 1, 'rate') -> 'measures[1].rate'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@cache
def _chinese_templates() -> dict[str, str]:
    """pydantic's error types in Chinese (data/validation_messages.yaml), read once."""
    text = (FilePath(__file__).parent / "data" / "validation_messages.yaml").read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    return {str(k): str(v) for k, v in loaded.items()}


def chinese_message(error_type: str, ctx: Mapping[str, Any] | None) -> str | None:
    """The Chinese words for one pydantic error, or None where none are written."""
    template = _chinese_templates().get(error_type)
    if template is None:
        return None
    try:
        return template.format(**{k: v for k, v in (ctx or {}).items() if k != "error"})
    except (KeyError, IndexError):
        return template.split("{", 1)[0].rstrip("：: ")


def from_validation_error(
    error: ValidationError, doc: SourceDoc, *, prefix: Path = (), rule: str | None = None
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, located by the key path it names."""
    found = []
    for item in error.errors(include_url=False):
        path = (*prefix, *_loc_path(item["loc"], doc.data))
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        cause = item.get("ctx", {}).get("error")
        zh = chinese_message(item["type"], item.get("ctx"))
        if isinstance(cause, Bilingual):
            message, zh = cause.en, cause.zh
        if item["type"] == "extra_forbidden":
            message = "unknown key (not part of the schema; check the spelling)"
        found.append(Diagnostic(doc.file, doc.line_of(path), message, field_name(path), rule, zh))
    return found
