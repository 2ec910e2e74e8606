"""Reforms: a small YAML file of changes to the policy library, simulated by `huiqi simulate`.

A reform gives measures and policies new values by path (the `set` of an interpretation's
alternatives, docs/rule-language.md §3.3), removes measures, adds new ones and may choose
interpretation alternatives:

    title: 临港研发补贴比例上限提高到40%
    text: |                                   # draft clauses the added measures quote
      十、研发投入:...
    set:
      lingang-2024.rd: {benefits.investment.rate: [10%, 40%]}
    remove: [lingang-2024.future-industry]
    add:
      lingang-2024: [{id: lingang-2024.rd-cost, ...}]
    interpret: {"lingang-2024.demo:bonus-stacking": sum}

The reformed library must pass every check `huiqi policies check` makes. Every problem is
reported at once, each at the line of the reform that causes it (a problem the reform causes
elsewhere in a policy — a cap naming a component it removed — at the line of its first change
to that policy, naming the policy file and field).

Pure: text and the baseline Library in, a Reform out (reading files is huiqi.policy_files' job).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from huiqi.diagnostics import Diagnostic, InputError, SourceDoc, field_name, from_validation_error, parse_source
from huiqi.rules.library import Library, PolicyDoc, check_alternatives, set_path, validate_policy

Path = tuple[str | int, ...]


class ReformDoc(BaseModel):
    """The shape of a reform file; unknown keys are errors, as in policy files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    description: str | None = None
    text: str | None = None
    """Draft clause text: quotes of added or changed measures may cite it instead of the policy's source."""
    set: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """owner (a measure or policy id) -> {dotted.path: new YAML value}."""
    remove: list[str] = Field(default_factory=list)
    add: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    """policy id -> new measures, written in the rule language."""
    interpret: dict[str, str] = Field(default_factory=dict)
    """"<owner>:<interpretation>" -> alternative (as `--interpret`)."""


@dataclass(frozen=True)
class Reform:
    file: str
    title: str
    description: str | None
    library: Library
    removed: tuple[str, ...]
    added: tuple[str, ...]
    changes: tuple[str, ...]
    """One line per change, for the report: 'lingang-2024.rd benefits.investment.rate = [10%, 40%]'."""
    lines: Mapping[str, int] = field(default_factory=dict)
    """Measure id -> the line of the reform that changes, adds or removes it."""

    def line_of(self, measure_id: str) -> int | None:
        return self.lines.get(measure_id)


def _parts(dotted: str) -> Path:
    return tuple(int(p) if p.isdigit() else p for p in dotted.split("."))


def _path_of(field_text: str) -> Path:
    """'measures[1].benefits.rd' -> ('measures', 1, 'benefits', 'rd') (the inverse of field_name)."""
    text = field_text.replace("[", ".").replace("]", "")
    return tuple(int(p) if p.isdigit() else p for p in text.split(".") if p)


def _missing(target: Any, dotted: str) -> str | None:
    """Why `dotted` cannot be set in target, or None when it can (the last part may be a new key)."""
    parts = _parts(dotted)
    node: Any = target
    walked: list[str | int] = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        where = ".".join(str(p) for p in walked) or "the top level"
        if isinstance(node, dict):
            if part in node or (last and isinstance(part, str) and part):
                node = node.get(part)
                walked.append(part)
                continue
            keys = ", ".join(str(k) for k in node) or "nothing"
            return f"no place {dotted!r} to set: no {part!r} under {where} (there: {keys})"
        if isinstance(node, list):
            if isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
                walked.append(part)
                continue
            top = len(node) - 1
            return f"no place {dotted!r} to set: {where} is a list of {len(node)}; write an index from 0 to {top}"
        return f"no place {dotted!r} to set: {where} is a single value, not a mapping or a list"
    return None


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class _Builder:
    """Applies a reform document to copies of the baseline's raw policies, collecting every problem."""

    def __init__(self, doc: ReformDoc, source: SourceDoc, baseline: Library):
        self.doc, self.source, self.baseline = doc, source, baseline
        self.file = source.file
        self.docs = {d.policy.id: d for d in baseline.docs}
        self.raws: dict[str, dict[str, Any]] = {pid: copy.deepcopy(dict(d.raw)) for pid, d in self.docs.items()}
        # Per policy, where each measure of the reformed list comes from: ("policy", index in the
        # policy file) or ("add", index in the reform's add list), so problems find their line.
        self.origins: dict[str, list[tuple[str, int]]] = {
            pid: [("policy", i) for i in range(len(raw.get("measures") or []))] for pid, raw in self.raws.items()
        }
        self.touched: dict[str, int | None] = {}  # policy id -> the line of the reform's first change to it
        self.problems: list[Diagnostic] = []
        self.lines: dict[str, int] = {}
        self.changes: list[str] = []

    def line(self, path: Path) -> int | None:
        return self.source.line_of(path)

    def problem(self, path: Path, message: str, rule: str | None = None, shown: str | None = None) -> None:
        """A problem of the reform itself; `shown` names the field (default: the reform's key)."""
        self.problems.append(Diagnostic(self.file, self.line(path), message, shown or str(path[0]), rule))

    def note_line(self, measure_id: str, path: Path) -> None:
        """Remember where the reform first changes a measure (later problems of the measure point there)."""
        line = self.line(path)
        if line is not None:
            self.lines.setdefault(measure_id, line)

    def touch(self, policy: str, path: Path) -> None:
        self.touched.setdefault(policy, self.line(path))

    def policy_of_measure(self, measure_id: str) -> str | None:
        for pid, raw in self.raws.items():
            if any(isinstance(m, dict) and m.get("id") == measure_id for m in raw.get("measures") or []):
                return pid
        return None

    # ---- the changes, in order: remove, add, set ---------------------------------------------

    def remove(self) -> None:
        seen: set[str] = set()
        for index, measure_id in enumerate(self.doc.remove):
            path: Path = ("remove", index)
            if measure_id in seen:
                self.problem(path, f"{measure_id!r} is removed twice", measure_id)
                continue
            seen.add(measure_id)
            pid = self.policy_of_measure(measure_id)
            if pid is None:
                self.problem(path, f"no measure {measure_id!r} in the library (see `huiqi policies list`)", measure_id)
                continue
            measures = self.raws[pid]["measures"]
            keep = [i for i, m in enumerate(measures) if not (isinstance(m, dict) and m.get("id") == measure_id)]
            self.raws[pid]["measures"] = [measures[i] for i in keep]
            self.origins[pid] = [self.origins[pid][i] for i in keep]
            self.touch(pid, path)
            self.note_line(measure_id, path)
            self.changes.append(f"remove {measure_id}")
        if seen:
            self._drop_from_groups(seen, self.line(("remove",)))

    def _drop_from_groups(self, removed: set[str], line: int | None) -> None:
        """A removed measure leaves every non-duplication group; a group left with one member goes."""
        for pid, raw in self.raws.items():
            groups = raw.get("non_duplication")
            if not isinstance(groups, list):
                continue
            kept = []
            for group in groups:
                if isinstance(group, dict) and isinstance(group.get("measures"), list):
                    members = [m for m in group["measures"] if m not in removed]
                    if members != group["measures"]:
                        self.touched.setdefault(pid, line)
                        if len(members) < 2:
                            self.changes.append(f"{pid}: non-duplication group {group.get('id')} dissolved")
                            continue
                        group = {**group, "measures": members}
                kept.append(group)
            raw["non_duplication"] = kept

    def add(self) -> None:
        for pid, items in self.doc.add.items():
            if pid not in self.raws:
                known = ", ".join(self.raws)
                self.problem(("add", pid), f"no policy {pid!r} to add measures to (policies: {known})", pid)
                continue
            for index, item in enumerate(items):
                self.raws[pid].setdefault("measures", []).append(copy.deepcopy(item))
                self.origins[pid].append(("add", index))
                measure_id = str(item.get("id", f"{pid}.?"))
                self.note_line(measure_id, ("add", pid, index))
                self.changes.append(f"add {measure_id}: {item.get('title', '')}".rstrip(": "))
            self.touch(pid, ("add", pid))

    def set(self) -> None:
        for owner, values in self.doc.set.items():
            pid = owner if owner in self.raws else self.policy_of_measure(owner)
            if pid is None:
                why = "it is removed by this reform" if owner in self.doc.remove else "no such policy or measure"
                self.problem(("set", owner), f"cannot set values of {owner!r}: {why}", owner)
                continue
            raw = self.raws[pid]
            target = raw if owner == pid else next(m for m in raw["measures"] if m.get("id") == owner)
            self.touch(pid, ("set", owner))
            if owner != pid:
                self.note_line(owner, ("set", owner))
            for dotted, value in values.items():
                why_not = _missing(target, dotted)
                if why_not is not None:
                    self.problem(("set", owner, dotted), why_not, owner, dotted)
                    continue
                set_path(target, dotted, copy.deepcopy(value))
                self.changes.append(f"{owner} {dotted} = {_show(value)}")

    # ---- validation ---------------------------------------------------------------------------

    def _under_set(self, owner: str, rest: Path) -> int | None:
        """The line of the `set` entry of owner whose path contains rest (or lies inside it)."""
        for dotted in self.doc.set.get(owner, {}):
            parts = _parts(dotted)
            common = min(len(parts), len(rest))
            if common and parts[:common] == rest[:common]:
                return self.line(("set", owner, dotted, *rest[len(parts) :]))
        return None

    def locate(self, pid: str, found: Diagnostic, note: str = "") -> Diagnostic:
        """A diagnostic of a reformed policy, moved to the line of the reform that causes it."""
        path = _path_of(found.field)
        shown = found.field
        if len(path) >= 2 and path[0] == "measures" and isinstance(path[1], int) and path[1] < len(self.origins[pid]):
            kind, index = self.origins[pid][path[1]]
            rest = path[2:]
            measure = self.raws[pid]["measures"][path[1]]
            rule = str(measure.get("id")) if isinstance(measure, dict) else found.rule
            if kind == "add":
                return Diagnostic(
                    self.file, self.line(("add", pid, index, *rest)), note + found.message, field_name(rest), rule
                )
            line = self._under_set(str(rule), rest)
            if line is not None:
                return Diagnostic(self.file, line, note + found.message, field_name(rest), rule)
            shown = field_name(("measures", index, *rest))  # the index in the policy file
        else:
            line = self._under_set(pid, path)
            if line is not None:
                return Diagnostic(self.file, line, note + found.message, found.field, found.rule)
        # Elsewhere in the policy: at the reform's line for that measure, else its first change to the policy.
        where = f"{self.docs[pid].file}: {shown}" if shown else self.docs[pid].file
        message = f"with this reform: {note}{found.message}"
        line = self.lines.get(found.rule or "") or self.touched.get(pid) or self.line(())
        return Diagnostic(self.file, line, message, where, found.rule)

    def validated(self) -> Library | None:
        docs = []
        text = self.doc.text
        for pid, original in self.docs.items():
            if pid not in self.touched:
                docs.append(original)
                continue
            source_text = original.source_text
            if source_text is not None and text:
                source_text = f"{source_text}\n{text}"
            raw = self.raws[pid]
            bare = SourceDoc(original.file, raw, {})
            policy, diagnostics = validate_policy(bare, source_text)
            self.problems += [self.locate(pid, d) for d in diagnostics]
            if policy is None:
                continue
            reformed = PolicyDoc(policy, raw, source_text, original.file)
            for found in check_alternatives(reformed, bare):
                self.problems.append(self.locate(pid, found, "an interpretation alternative no longer loads: "))
            docs.append(reformed)
        if self.problems:
            return None
        try:
            return Library.of(docs)
        except InputError as error:
            self.problems += [
                Diagnostic(self.file, self.line(()), f"with this reform: {d.message}", d.file, d.rule)
                for d in error.diagnostics
            ]
            return None

    def choose(self, library: Library) -> Library | None:
        """The officers' choices of the reform; checked on the baseline when the reformed library is broken."""
        if not self.doc.interpret:
            return library
        for key, choice in self.doc.interpret.items():
            try:
                library.with_choices({key: choice})
            except InputError as error:
                owner = key.split(":", 1)[0]
                self.problems += [
                    Diagnostic(self.file, self.line(("interpret", key)), d.message, "interpret", owner)
                    for d in error.diagnostics
                ]
            else:
                self.changes.append(f"interpret {key} = {choice}")
        if self.problems:
            return None
        try:
            return library.with_choices(self.doc.interpret)
        except InputError as error:  # each choice loads alone, but not all of them together
            self.problems += [
                Diagnostic(self.file, self.line(("interpret",)), f"these choices together: {d.message}", "interpret")
                for d in error.diagnostics
            ]
            return None


def parse_reform(text: str, file: str, baseline: Library) -> Reform:
    """The reformed library, validated whole; InputError with every problem, each at its line."""
    source = parse_source(text, file)
    if not isinstance(source.data, dict):
        message = "a reform is a mapping with title and some of set, remove, add, interpret"
        raise InputError([Diagnostic(file, source.line_of(()), message)])
    try:
        doc = ReformDoc.model_validate(source.data)
    except ValidationError as error:
        raise InputError(from_validation_error(error, source)) from None
    if not (doc.set or doc.remove or doc.add or doc.interpret):
        message = "the reform changes nothing; give set, remove, add or interpret"
        raise InputError([Diagnostic(file, source.line_of(()), message)])
    builder = _Builder(doc, source, baseline)
    builder.remove()
    builder.add()
    builder.set()
    library = builder.validated()
    # Choices are checked even when the reformed library is broken (then on the baseline), so
    # that every problem is reported in one run.
    chosen = builder.choose(library or baseline)
    library = chosen if library is not None else None
    if library is None or builder.problems:
        raise InputError(sorted(builder.problems, key=lambda d: (d.line or 0, d.field)))
    added = tuple(m for items in doc.add.values() for m in (str(i.get("id")) for i in items))
    return Reform(
        file,
        doc.title,
        doc.description,
        library,
        tuple(doc.remove),
        added,
        tuple(builder.changes),
        dict(builder.lines),
    )
