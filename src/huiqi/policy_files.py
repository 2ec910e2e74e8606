"""Reading the policy library and facts from files (the I/O edge of the core)."""

from __future__ import annotations

from pathlib import Path

from huiqi.diagnostics import Diagnostic, InputError, parse_source
from huiqi.facts.models import Facts
from huiqi.facts.parse import parse_facts
from huiqi.limits import FACTS, SizeLimit, read_limited
from huiqi.rules.catalogue import Terms, parse_terms
from huiqi.rules.library import Library, PolicyDoc, policy_from_source
from huiqi.rules.reform import Reform, parse_reform

POLICY_FILE = "policy.yaml"
TERMS_FILE = Path("vocabulary") / "catalogue.yaml"


def bundled_root(name: str) -> Path:
    """The repository's folder in a checkout, else the copy packaged with the wheel."""
    checkout = Path(__file__).resolve().parents[2] / name
    return checkout if checkout.is_dir() else Path(__file__).resolve().parent / "_bundled" / name


def default_policies() -> Path:
    return bundled_root("policies")


def read_text(path: Path, limit: SizeLimit | None = None) -> str:
    """The file as text (newlines as Python reads them); with a limit, refused unread if larger."""
    try:
        if limit is None:
            return path.read_text(encoding="utf-8")
        return read_limited(path, limit).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError as exc:
        raise InputError([Diagnostic(str(path), None, "file not found", zh="找不到该文件")]) from exc
    except UnicodeDecodeError as exc:
        zh = "不是 UTF-8 编码的文本（请以 UTF-8 保存）"
        raise InputError([Diagnostic(str(path), None, f"not UTF-8 text: {exc.reason}", zh=zh)]) from exc
    except OSError as exc:
        raise InputError([Diagnostic(str(path), None, exc.strerror or str(exc))]) from exc


def load_policy(path: Path) -> PolicyDoc:
    """A policy file and the source text its quotes come from (the `source` key, source.txt by default)."""
    document = parse_source(read_text(path), str(path))
    named = document.data.get("source") if isinstance(document.data, dict) else None
    source = path.parent / str(named or "source.txt")
    if not source.exists():
        missing = f"the source text {source.name} is missing; every quote is checked against it"
        raise InputError([Diagnostic(str(path), None, missing)])
    return policy_from_source(document, read_text(source))


def policy_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise InputError([Diagnostic(str(root), None, "no such policy folder")])
    files = sorted(root.rglob(POLICY_FILE))
    if not files:
        raise InputError([Diagnostic(str(root), None, f"no {POLICY_FILE} found under this folder")])
    return files


def load_library(root: Path | None = None) -> Library:
    """Every policy under root; all diagnostics of all files are reported together."""
    docs, problems = [], []
    for path in policy_files(root or default_policies()):
        try:
            docs.append(load_policy(path))
        except InputError as error:
            problems += error.diagnostics
    if problems:
        raise InputError(problems)
    return Library.of(docs)


def load_facts(path: Path, library: Library | None = None) -> Facts:
    """Facts from a file; with a library, prior awards must name its measures."""
    known = {ref.measure.id for ref in library.measures()} if library is not None else None
    return parse_facts(read_text(path, FACTS), str(path), known)


def load_reform(path: Path, library: Library) -> Reform:
    """A reform file (huiqi simulate) applied to the library, validated whole."""
    return parse_reform(read_text(path, FACTS), str(path), library)


def load_terms(root: Path | None = None) -> Terms:
    """The catalogue's labels: the library folder's own vocabulary, else the bundled one."""
    own = (root or default_policies()) / TERMS_FILE
    path = own if own.is_file() else default_policies() / TERMS_FILE
    return parse_terms(parse_source(read_text(path), str(path)))
