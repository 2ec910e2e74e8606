"""Finding and reading policy test cases (`huiqi policies test`): which case files a folder holds,
and which policies they run against. The I/O edge of huiqi.rules.cases.

A case file lives in a policy folder's tests/ (beside policy.yaml) and belongs to that policy.
The cases run against:
- with `--policies LIB`: LIB's policies, and the case files' own policies (replacing a policy of
  LIB with the same id, so an edited copy can be tried against the rest of a library);
- else, the library holding the target: the nearest folder above it with a vocabulary
  (vocabulary/catalogue.yaml, as the bundled policies/ has) or the bundled library;
- else (a folder outside any library): the policies under the target, or the case files' own
  policy — so a new policy folder is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from huiqi.diagnostics import Diagnostic, InputError, parse_source
from huiqi.policy_files import POLICY_FILE, TERMS_FILE, default_policies, load_policy, read_text
from huiqi.rules.cases import Case, parse_cases
from huiqi.rules.library import Library, PolicyDoc

CASES_FOLDER = "tests"
SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Suite:
    library: Library
    """The policies the cases run against."""
    against: tuple[Path, ...]
    """Their folders: a library folder, or the policy folders."""
    cases: tuple[Case, ...]


def case_files(target: Path) -> list[Path]:
    """A case file itself; a tests/ folder's files; else every <policy>/tests/ file under the folder."""
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise InputError([Diagnostic(str(target), None, "no such file or folder", zh="找不到该文件或文件夹")])
    if target.name == CASES_FOLDER and (target.parent / POLICY_FILE).is_file():
        found = [f for f in target.iterdir() if f.suffix in SUFFIXES]
    else:
        found = [f for f in target.rglob(f"{CASES_FOLDER}/*") if f.suffix in SUFFIXES]
        found = [f for f in found if (f.parent.parent / POLICY_FILE).is_file()]
    if not found:
        raise InputError(
            [
                Diagnostic(
                    str(target),
                    None,
                    f"no case files ({CASES_FOLDER}/*.yaml beside a {POLICY_FILE}) here",
                    zh=f"此处没有用例文件（{POLICY_FILE} 旁的 {CASES_FOLDER}/*.yaml）",
                )
            ]
        )
    return sorted(found)


def library_root(target: Path) -> Path | None:
    """The library folder holding target: the nearest with a vocabulary, or the bundled library."""
    here = target.resolve()
    bundled = default_policies().resolve()
    for folder in (here, *here.parents) if here.is_dir() else here.parents:
        if (folder / TERMS_FILE).is_file() or folder == bundled:
            return folder
    return None


def _own_policy(file: Path) -> Path | None:
    policy = file.parent.parent / POLICY_FILE
    return policy if file.parent.name == CASES_FOLDER and policy.is_file() else None


def load_suite(target: Path | None = None, policies: Path | None = None) -> Suite:
    """The cases under target (default: the bundled library) and the library they run against;
    InputError with every problem of every file (policies and cases) when any is broken."""
    target = target or default_policies()
    files = case_files(target)
    problems: list[Diagnostic] = []
    owners: dict[Path, Path] = {}
    for file in files:
        owner = _own_policy(file)
        if owner is None:
            problems.append(
                Diagnostic(
                    str(file),
                    None,
                    f"a case file belongs in a policy folder's {CASES_FOLDER}/, beside {POLICY_FILE}",
                    zh=f"用例文件应放在政策文件夹的 {CASES_FOLDER}/ 中（与 {POLICY_FILE} 同级）",
                )
            )
        else:
            owners[file] = owner.resolve()
    if problems:
        raise InputError(problems)
    own = sorted(set(owners.values()))
    root = None if policies is not None else library_root(target)
    if policies is not None:
        base = _policy_paths(policies)
        against: tuple[Path, ...] = (policies, *(p.parent for p in own))
    elif root is not None:
        base, against = _policy_paths(root), (root,)
    elif target.is_dir() and target.name != CASES_FOLDER:
        base, against = _policy_paths(target), (target,)
    else:
        base, against = [], tuple(p.parent for p in own)
    docs, by_path = _load(base, own, problems)
    if problems:
        raise InputError(problems)
    library = Library.of(docs)
    cases: list[Case] = []
    for file in files:
        try:
            document = parse_source(read_text(file), str(file))
            cases += parse_cases(document, library, by_path[owners[file]].policy.id)
        except InputError as error:
            problems += error.diagnostics
    if problems:
        raise InputError(problems)
    return Suite(library, against, tuple(cases))


def _policy_paths(root: Path) -> list[Path]:
    if not root.is_dir():
        raise InputError([Diagnostic(str(root), None, "no such policy folder", zh="找不到该政策文件夹")])
    return sorted(p.resolve() for p in root.rglob(POLICY_FILE))


def _load(
    base: list[Path], own: list[Path], problems: list[Diagnostic]
) -> tuple[list[PolicyDoc], dict[Path, PolicyDoc]]:
    """The policies, each file once; a case file's own policy replaces one of the same id."""
    by_path: dict[Path, PolicyDoc] = {}
    for path in [*base, *(p for p in own if p not in base)]:
        try:
            by_path[path] = load_policy(path)
        except InputError as error:
            problems += error.diagnostics
    mine = {by_path[p].policy.id for p in own if p in by_path}
    docs = [doc for path, doc in by_path.items() if path in own or doc.policy.id not in mine]
    return docs, by_path
