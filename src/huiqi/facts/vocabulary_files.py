"""The facts' vocabularies as data: `policies/vocabulary/<name>.yaml`, one file per vocabulary.

Each term has its code (what facts files and rules write), its Chinese and English labels and the
other names accepted on input. Adding a term is an edit to a YAML file, no Python: the facts
models, `huiqi schema`, the batch's flattened table and the calculator's form are derived from the
enums built here. Every problem of every file is reported at once, each with file and line.

`HUIQI_VOCABULARY` names another folder (an analyst's library with terms of its own).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from huiqi.diagnostics import Diagnostic, InputError, SourceDoc, parse_model

FILES = {
    "EntityType": "entity_types",
    "ProjectKind": "project_kinds",
    "Field": "fields",
    "Track": "tracks",
    "CostKind": "cost_kinds",
    "Recognition": "recognitions",
    "Level": "institution_levels",
    "PlatformKind": "platform_kinds",
    "ContractKind": "contract_kinds",
    "ContractPurpose": "contract_purposes",
}
"""The vocabularies the facts models read, by enum name: the file each is read from."""
REQUIRED_TERMS = {"EntityType": ("enterprise",)}
"""Codes the code itself relies on (the default entity type): a file must keep them."""
CODE = re.compile(r"[a-z][a-z0-9_]*")


class _TermIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    synonyms: list[str] = Field(default_factory=list)


class _FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    terms: dict[str, _TermIn] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Term:
    code: str
    zh: str
    en: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    name: str
    title: str
    title_en: str
    terms: tuple[Term, ...]


def vocabulary_dir() -> Path:
    """$HUIQI_VOCABULARY, else the library's own: the checkout's policies/, or the wheel's copy."""
    given = os.environ.get("HUIQI_VOCABULARY")
    if given:
        return Path(given)
    here = Path(__file__).resolve()
    checkout = here.parents[3] / "policies"
    root = checkout if checkout.is_dir() else here.parents[1] / "_bundled" / "policies"
    return root / "vocabulary"


def spelling_key(text: str) -> str:
    """How a spelling is compared for clashes: NFKC, no white space, case-insensitive."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def parse_vocabulary(name: str, text: str, file: str) -> Vocabulary:
    """One vocabulary file's terms, checked: every problem at once (InputError), with its line."""
    parsed, doc = parse_model(text, file, _FileIn)
    problems = _problems(name, parsed, doc)
    if problems:
        raise InputError(problems)
    terms = tuple(Term(code, t.zh, t.en, tuple(t.synonyms)) for code, t in parsed.terms.items())
    return Vocabulary(name, parsed.title, parsed.title_en, terms)


def _problems(name: str, parsed: _FileIn, doc: SourceDoc) -> list[Diagnostic]:
    found: list[Diagnostic] = []

    def problem(path: tuple[str, ...], en: str, zh: str) -> None:
        found.append(Diagnostic(doc.file, doc.line_of(path), en, ".".join(path), zh=zh))

    owner: dict[str, str] = {}
    for code, term in parsed.terms.items():
        at = ("terms", code)
        if not CODE.fullmatch(code):
            problem(
                at,
                f"code {code!r}: lower-case letters, digits and _ only, starting with a letter",
                f"代码 {code!r} 只能由小写字母、数字和下划线组成，并以字母开头",
            )
        for text in (code, term.zh, *term.synonyms):
            key = spelling_key(text)
            if key in owner and owner[key] != code:
                problem(
                    at,
                    f"{text!r} also names the term {owner[key]!r}: input would be ambiguous",
                    f"{text!r} 同时指向词条 {owner[key]!r}，输入将无法区分",
                )
            owner.setdefault(key, code)
    for code in REQUIRED_TERMS.get(name, ()):
        if code not in parsed.terms:
            problem(("terms",), f"the term {code!r} is required", f"缺少必需的词条 {code!r}")
    return found


def load_vocabularies(folder: Path | None = None) -> dict[str, Vocabulary]:
    """Every vocabulary the facts read, by enum name; the problems of all files at once."""
    root = folder or vocabulary_dir()
    found: dict[str, Vocabulary] = {}
    problems: list[Diagnostic] = []
    for name, stem in FILES.items():
        path = root / f"{stem}.yaml"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(Diagnostic(str(path), None, "vocabulary file not found", zh="找不到词表文件"))
            continue
        except UnicodeDecodeError:
            problems.append(Diagnostic(str(path), None, "not UTF-8 text", zh="不是 UTF-8 编码的文本"))
            continue
        try:
            found[name] = parse_vocabulary(name, text, str(path))
        except InputError as error:
            problems += error.diagnostics
    if problems:
        raise InputError(problems)
    return found
