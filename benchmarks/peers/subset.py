"""The measures the peers compute, the library trimmed to them, and the input table read as arrays.

The subset is four project measures of lingang-2024 (policies/shanghai/lingang-2024/policy.yaml):

- lingang-2024.rd: rd_innovation projects in five fields, 10%-30% of new investment, cap 1亿
  per project net of prior awards;
- lingang-2024.fixed-investment: four project kinds, 10% of new investment (10%-30% for a
  chokepoint project), cap 1亿 (10亿 for an ecosystem driver) per project net of prior awards;
- lingang-2024.future-industry: the same kinds on four tracks, 10%-30%, cap 1000万 per project;
- lingang-2024.testing: 10%-30% of each year's testing fee, cap 200万 per enterprise and year,
  net of that year's prior awards, shared by the enterprise's projects in facts order;

with the policy's general conditions (registered in Lingang, no severe credit record), the
subject-year rule (project year within the term: from 2024) and the non-duplication group
new-investment (rd, fixed-investment, future-industry: per project only the highest maximum is
paid, a tie going to the earlier measure). Why these: they hold every kind of arithmetic the
issue names (rate ranges giving min and max, rate and cap chosen by cases, caps per project
net of prior awards, a cap per enterprise and year across subjects, non-duplication), and they
are closed: no measure outside the subset changes their figures. Minhang's measures are not in
it because on the benchmark's date (2025-06-30, the date of docs/batch.md) minhang-2018 has
expired (2018-10-01 - 2021-09-30), so every Minhang result is "not in force".

The loader turns the flattened facts table (docs/batch.md) into arrays, one row per project,
with money as int64 fen. It reads facts only; every rule (scope, conditions, rates, caps) is
left to each engine. It does not check rows as `huiqi batch` does: it is given synthetic
input that `huiqi batch` accepts in full.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "policies" / "shanghai" / "lingang-2024"
MEASURES = (
    "lingang-2024.rd",
    "lingang-2024.fixed-investment",
    "lingang-2024.future-industry",
    "lingang-2024.testing",
)
COST_FAMILIES = ("new_investment", "testing_fee")
_MEASURE_HEAD = re.compile(r"^  - id: (?P<id>lingang-2024\.[a-z0-9-]+)$", re.MULTILINE)


def write_library(folder: Path) -> Path:
    """A copy of lingang-2024 holding only the subset's measures (for `huiqi batch --policies`).

    Cut as text, measure block by measure block, so every kept line is byte for byte the
    bundled one (a YAML round trip would re-quote and re-type values).
    """
    text = (POLICY / "policy.yaml").read_text(encoding="utf-8")
    heads = list(_MEASURE_HEAD.finditer(text))
    kept = [text[: heads[0].start()]]
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        if head["id"] in MEASURES:
            kept.append(text[head.start() : following.start() if following else len(text)].rstrip("\n") + "\n\n")
    target = folder / "lingang-2024"
    target.mkdir(parents=True, exist_ok=True)
    (target / "policy.yaml").write_text("".join(kept).rstrip("\n") + "\n", encoding="utf-8")
    shutil.copy(POLICY / "source.txt", target / "source.txt")
    return folder


@dataclass
class Population:
    """The facts the subset reads, as arrays. Projects are in table order (facts order)."""

    firm_code: pa.Array  # enterprises (only those with a project), one entry each
    business_district: pa.Array  # text, may be null
    severe_credit_record: np.ndarray  # bool
    project_firm: np.ndarray  # per project: index into the enterprise arrays
    project_code: pa.Array
    project_id: pa.Array
    kind: pa.Array
    year: np.ndarray  # int64
    field: pa.Array  # may be null
    track: pa.Array  # may be null
    recognitions: pa.Array  # codes separated by ';', may be null
    costs: dict[str, dict[int, np.ndarray]]  # family -> year -> fen per project (0 when empty)
    awards: pa.Table  # prior awards: credit_code, measure, year, fen, subject

    @property
    def projects(self) -> int:
        return len(self.project_firm)

    def has_recognition(self, code: str) -> np.ndarray:
        # `recognitions` is a ';'-separated list of codes; a code is never a prefix of another's
        # separator-bounded form, so a bounded regex is an exact membership test.
        found = pc.match_substring_regex(self.recognitions, f"(^|;){re.escape(code)}(;|$)")
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False)

    def award_per_project(self, measure: str) -> np.ndarray:
        """Fen of prior awards of `measure` naming each project as subject (any year)."""
        awards = self.awards.filter(pc.equal(self.awards["measure"], measure))
        awards = awards.filter(pc.is_valid(awards["subject"]))
        out = np.zeros(self.projects, np.int64)
        if awards.num_rows == 0:
            return out
        # (credit code, id) names a project. Only the projects of enterprises with such an
        # award are keyed (joining strings for every project would cost more than the rest).
        firm = _index_in(awards["credit_code"], self.firm_code)
        candidates = np.flatnonzero(np.isin(self.project_firm, firm))
        take = pa.array(candidates)
        mine = pc.binary_join_element_wise(self.project_code.take(take), self.project_id.take(take), "\x1f")
        keys = pc.binary_join_element_wise(awards["credit_code"], awards["subject"], "\x1f")
        where = _index_in(keys, mine)
        hit = where >= 0
        np.add.at(out, candidates[where[hit]], awards["fen"].to_numpy()[hit])
        return out

    def award_per_firm_year(self, measure: str, years: list[int]) -> dict[int, np.ndarray]:
        """Fen of prior awards of `measure` per enterprise and award year (any subject)."""
        awards = self.awards.filter(pc.equal(self.awards["measure"], measure))
        firm = _index_in(awards["credit_code"], self.firm_code)
        fen, year = awards["fen"].to_numpy(), awards["year"].to_numpy()
        out = {}
        for y in years:
            per_firm = np.zeros(len(self.firm_code), np.int64)
            pick = (year == y) & (firm >= 0)
            np.add.at(per_firm, firm[pick], fen[pick])
            out[y] = per_firm
        return out


def _index_in(values: pa.Array | pa.ChunkedArray, value_set: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Position of each value in value_set (a hash join), -1 where absent."""
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    found = pc.index_in(values, value_set=value_set)
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def fen(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A DECIMAL yuan column as int64 fen, empty cells as 0 (exact: a decimal scaled by 100)."""
    scaled = pc.multiply(column, pa.scalar(Decimal(100), pa.decimal128(3, 0)))
    return pc.fill_null(pc.cast(scaled, pa.int64()), 0).to_numpy()


def load(path: Path) -> Population:
    """Read only the columns the subset needs (Parquet is columnar: the rest is never read)."""
    names = pq.read_schema(path).names
    year_columns = [n for n in names if any(re.fullmatch(f"{f}_\\d{{4}}", n) for f in COST_FAMILIES)]
    wanted = [
        "record",
        "credit_code",
        "id",
        "business_district",
        "severe_credit_record",
        "project_kind",
        "project_year",
        "field",
        "track",
        "recognitions",
        "award_measure",
        "award_year",
        "award_amount",
        "award_subject",
        *year_columns,
    ]
    table = pq.ParquetFile(path).read(columns=[n for n in wanted if n in names])
    record = table["record"]
    projects = table.filter(pc.equal(record, "project"))
    firms = table.filter(pc.equal(record, "enterprise"))
    raw_awards = table.filter(pc.equal(record, "prior_award"))
    # Only enterprises with a project matter to project measures (and OpenFisca wants every
    # group entity to have a member).
    firm_index = _index_in(projects["credit_code"], firms["credit_code"])
    if (firm_index < 0).any():
        raise ValueError("a project row names an enterprise with no enterprise row")
    with_projects = np.unique(firm_index)
    renumber = np.full(firms.num_rows, -1, np.int64)
    renumber[with_projects] = np.arange(len(with_projects))
    firms = firms.take(pa.array(with_projects))
    costs: dict[str, dict[int, np.ndarray]] = {family: {} for family in COST_FAMILIES}
    for name in year_columns:
        family, year = name.rsplit("_", 1)
        costs[family][int(year)] = fen(projects[name])
    awards = pa.table(
        {
            "credit_code": raw_awards["credit_code"],
            "measure": raw_awards["award_measure"],
            "year": raw_awards["award_year"],
            "fen": fen(raw_awards["award_amount"]),
            "subject": raw_awards["award_subject"],
        }
    )
    return Population(
        firm_code=firms["credit_code"].combine_chunks(),
        business_district=firms["business_district"].combine_chunks(),
        severe_credit_record=firms["severe_credit_record"].to_numpy(zero_copy_only=False).astype(bool),
        project_firm=renumber[firm_index],
        project_code=projects["credit_code"].combine_chunks(),
        project_id=projects["id"].combine_chunks(),
        kind=projects["project_kind"].combine_chunks(),
        year=projects["project_year"].to_numpy(),
        field=projects["field"].combine_chunks(),
        track=projects["track"].combine_chunks(),
        recognitions=projects["recognitions"].combine_chunks(),
        costs=costs,
        awards=awards,
    )


STATUSES = ("ineligible", "eligible", "superseded")


def results_table(
    pop: Population, measure: str, scope: np.ndarray, status: np.ndarray, lo: pa.Array, hi: pa.Array
) -> pa.Table:
    """One engine's rows for one measure: every project in the measure's scope, as `huiqi batch` lists them.

    `status` holds indices into STATUSES; it and the measure id are written dictionary-encoded
    (one small integer a row, as Parquet stores repeated text anyway).
    """
    rows = np.flatnonzero(scope)
    take = pa.array(rows)
    return pa.table(
        {
            "credit_code": pop.project_code.take(take),
            "subject_id": pop.project_id.take(take),
            "measure": pa.DictionaryArray.from_arrays(np.zeros(len(rows), np.int8), [measure]),
            "status": pa.DictionaryArray.from_arrays(status[rows].astype(np.int8), list(STATUSES)),
            "min": lo.take(take),
            "max": hi.take(take),
        }
    )


def yuan(fen: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Int64 fen as DECIMAL(18,2) yuan (the type `huiqi batch` writes), null where not valid.

    A decimal128 value is its unscaled integer (here: fen) in 16 little-endian bytes, so the
    column is built from the int64s sign-extended to 128 bits: exact, and no arithmetic.
    """
    words = np.empty((len(fen), 2), np.int64)
    words[:, 0], words[:, 1] = fen, fen >> 63
    validity = pa.array(valid).buffers()[1]  # a boolean array's values are a bitmap, as validity is
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(fen), [validity, pa.py_buffer(words)])


class Phases:
    """Seconds spent in each phase of a run, reported on stderr as one JSON line for the harness."""

    PREFIX = "phases: "

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def mark(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(now - self.last, 3)
        self.last = now

    def report(self) -> None:
        print(self.PREFIX + json.dumps(self.seconds), file=sys.stderr)
