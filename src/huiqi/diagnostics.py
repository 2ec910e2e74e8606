"""Diagnostics: every problem in an input file, each with file, line and (for policies) rule id.

Loading collects all of them before failing, so an author sees every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path as FilePath
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from huiqi.gcpause import paused_gc

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


class _Resolving:
    """Safe YAML where decimals stay exact (0.1 is Decimal('0.1'), never a float) and only
    true/false are booleans (YAML 1.2): a key such as `on:` stays the word "on".

    The tag of a plain scalar depends on its text only (no path resolvers), so it is worked out
    once per distinct text: keys and codes repeat on every record of a long file."""

    _tags: dict[str, str]

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = self._tags.get(value)
            if tag is None:
                tag = self._tags[value] = super().resolve(kind, value, implicit)  # type: ignore[misc]
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[misc]


class _Loader(_Resolving, yaml.SafeLoader):
    """The pure-Python parser: the reference, and the fallback where PyYAML has no libyaml."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._tags = {}


_CParser: Any = getattr(yaml, "CSafeLoader", None)
if _CParser is not None:

    class _CLoader(_Resolving, _CParser):  # type: ignore[misc]
        """libyaml's parser (C; PyYAML's wheels bundle it): the same nodes, marks and data, 5–10× faster."""

        def __init__(self, stream: str):
            super().__init__(stream)
            self._tags = {}

    _FAST: type[Any] = _CLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _FAST = _Loader


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


_LOADERS: tuple[type[Any], ...] = (_Loader, _FAST)
for _cls in _LOADERS:
    _cls.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _cls.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
    _cls.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _construct_date)


class _Unusual(Exception):
    """A node the plain walk leaves to PyYAML's constructor (merge keys, other tags, recursion)."""


_TAG = "tag:yaml.org,2002:"


def _construct(loader: Any, root: yaml.Node) -> Any:
    """The document's data, as `loader.construct_document(root)` makes it, in one plain walk.

    PyYAML's constructor goes through generic machinery for every node (a third of the time of
    reading a long file); a facts file is mappings, lists and scalars of a few tags. Anything
    else (merge keys `<<`, set or binary tags, a recursive alias) and the whole document is left
    to the constructor. An alias is the same object twice, as the constructor makes it."""
    scalars: dict[str, Any] = {
        _TAG + "str": lambda node: node.value,
        _TAG + "null": lambda node: None,
        _TAG + "bool": lambda node: loader.bool_values[node.value.lower()],
        _TAG + "int": lambda node: _construct_int(loader, node),
        _TAG + "float": lambda node: _construct_decimal(loader, node),
        _TAG + "timestamp": lambda node: _construct_date(loader, node),
    }
    scalar, mapping, sequence = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    made: dict[int, Any] = {}

    def build(node: yaml.Node) -> Any:
        kind = node.__class__
        if kind is scalar:
            make = scalars.get(node.tag)
            if make is None:
                raise _Unusual
            return make(node)
        if id(node) in made:
            if made[id(node)] is None:  # an alias inside itself
                raise _Unusual
            return made[id(node)]
        made[id(node)] = None
        value: Any
        if kind is mapping and node.tag == _TAG + "map":
            value = {}
            for key, item in node.value:
                if key.__class__ is not scalar:
                    raise _Unusual
                value[build(key)] = build(item)
        elif kind is sequence and node.tag == _TAG + "seq":
            value = [build(item) for item in node.value]
        else:
            raise _Unusual
        made[id(node)] = value
        return value

    try:
        return build(root)
    except _Unusual:
        return loader.construct_document(root)


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


class _NodeLines(Mapping[Path, int]):
    """The line of every key and item, worked out from the YAML nodes when first asked.

    A valid document is never asked (its lines serve only diagnostics), so reading a long file
    does not pay for the table; the nodes are dropped once it is made."""

    def __init__(self, node: yaml.Node | None):
        self._node = node
        self._lines: dict[Path, int] | None = None

    def _table(self) -> dict[Path, int]:
        if self._lines is None:
            self._lines = {}
            if self._node is not None:
                _record(self._node, (), self._lines)
            self._node = None
        return self._lines

    def __getitem__(self, path: Path) -> int:
        return self._table()[path]

    def __iter__(self) -> Iterator[Path]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


def parse_source(text: str, file: str) -> SourceDoc:
    """Parse YAML (or JSON, a subset) keeping line numbers; syntax errors become diagnostics."""
    with paused_gc():
        loader = _FAST(text)
        try:
            node = loader.get_single_node()
            data = _construct(loader, node) if node is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            line = mark.line + 1 if mark is not None else None
            en, zh_text = f"not valid YAML/JSON: {exc.problem}", f"不是有效的 YAML/JSON 格式：{exc.problem}"
            # where the unclosed bracket or quote began, when that is an earlier line than where
            # the parser noticed: the author's mistake is usually there
            began = exc.context_mark.line + 1 if exc.context_mark is not None else None
            if began is not None and line is not None and began < line:
                en += f" ({exc.context} on line {began})"
                zh_text += f"（第 {began} 行开始的内容未闭合或有误）"
            zh = zh_text if line else None
            raise InputError([Diagnostic(file, line, en, zh=zh)]) from exc
        except yaml.YAMLError as exc:
            zh = f"不是有效的 YAML/JSON 格式：{exc}"
            raise InputError([Diagnostic(file, None, f"not valid YAML/JSON: {exc}", zh=zh)]) from exc
        finally:
            loader.dispose()
    return SourceDoc(file, data, _NodeLines(node))


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


Model = TypeVar("Model", bound=BaseModel)


def parse_model(text: str, file: str, model: type[Model]) -> tuple[Model, SourceDoc]:
    """A data file (YAML or JSON mapping) read into `model`, with its lines kept for further checks;
    anything wrong raises InputError naming every problem with its line."""
    doc = parse_source(text, file)
    if not isinstance(doc.data, dict):
        raise InputError([Diagnostic(file, doc.line_of(()), "must be a mapping", zh="应为映射（键: 值）")])
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as error:
        raise InputError(from_validation_error(error, doc)) from error
