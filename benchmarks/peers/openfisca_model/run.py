"""OpenFisca end to end: the flattened facts table in, the subset's results out (Parquet).

    uv run python -m peers.openfisca_model.run POPULATION.parquet OUT.parquet [--as-of 2025-06-30]
    (from benchmarks/)

The input is set the way OpenFisca is fed survey data: entities declared from id vectors,
projects joined to their enterprises, then one `set_input` per variable and period. Then the
status, min and max of each measure are calculated for the as-of year, and written as the
NumPy kernel writes them, with OpenFisca's float32 amounts as they are.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.periods import ETERNITY
from openfisca_core.simulations import Simulation, SimulationBuilder
from openfisca_core.variables import config as variable_config

from peers.openfisca_model import LingangSubset
from peers.openfisca_model.enums import District, Field, ProjectKind, Status, Track
from peers.openfisca_model.helpers import DATA_YEARS
from peers.subset import STATUSES, Phases, Population, load, results_table

MEASURES = {  # huiqi measure id -> the model's variable prefix
    "lingang-2024.rd": "lingang_rd",
    "lingang-2024.fixed-investment": "lingang_fixed_investment",
    "lingang-2024.future-industry": "lingang_future_industry",
    "lingang-2024.testing": "lingang_testing",
}
assert tuple(member.name for member in Status) == STATUSES
SCOPES = {
    "lingang-2024.rd": "lingang_rd_in_scope",
    "lingang-2024.fixed-investment": "investment_kind",
    "lingang-2024.future-industry": "investment_kind",
    "lingang-2024.testing": "lingang_testing_in_scope",
}


def _enum(values: pa.Array, enum: type) -> EnumArray:
    """Codes as an EnumArray; an empty cell is the member `unknown` (OpenFisca has no missing value)."""
    names = [member.name for member in enum]
    index = pc.index_in(values, value_set=pa.array(names))
    if "unknown" in names:
        index = pc.fill_null(index, names.index("unknown"))
    return EnumArray(index.to_numpy().astype(np.int16), enum)


def simulation(pop: Population) -> Simulation:
    bad_years = {y for family in pop.costs.values() for y in family} - set(DATA_YEARS)
    if bad_years:
        raise SystemExit(f"cost years {sorted(bad_years)} are outside the model's DATA_YEARS")
    system = LingangSubset()
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("project", np.arange(pop.projects))
    enterprises = builder.declare_entity("enterprise", np.arange(len(pop.firm_code)))
    builder.join_with_persons(enterprises, pop.project_firm, np.zeros(pop.projects, np.int64))
    sim = builder.build(system)

    def eternal(name: str, value: np.ndarray) -> None:
        sim.set_input(name, ETERNITY, value)

    eternal("business_district", _enum(pop.business_district, District))
    eternal("severe_credit_record", pop.severe_credit_record)
    eternal("project_kind", _enum(pop.kind, ProjectKind))
    eternal("project_year", pop.year)
    eternal("project_field", _enum(pop.field, Field))
    eternal("project_track", _enum(pop.track, Track))
    eternal("chokepoint", pop.has_recognition("chokepoint"))
    eternal("ecosystem_driver", pop.has_recognition("ecosystem_driver"))
    # Money as a survey gives it to OpenFisca: yuan, converted to the variables' float32.
    for family in ("new_investment", "testing_fee"):
        for year, fen in pop.costs[family].items():
            sim.set_input(family, str(year), fen / 100)
    for measure, prefix in MEASURES.items():
        if measure != "lingang-2024.testing":
            eternal(f"prior_award_{prefix}", pop.award_per_project(measure) / 100)
    for year, fen in pop.award_per_firm_year("lingang-2024.testing", list(DATA_YEARS)).items():
        sim.set_input("prior_award_lingang_testing", str(year), fen / 100)
    return sim


def results(sim: Simulation, pop: Population, as_of: date) -> pa.Table:
    period = str(as_of.year)
    parts = []
    for measure, prefix in MEASURES.items():
        status = sim.calculate(f"{prefix}_status", period)
        lo, hi = (sim.calculate(f"{prefix}_{bound}", period) for bound in ("min", "max"))
        scope = sim.calculate(SCOPES[measure], period)
        no_amount = np.asarray(status == Status.ineligible)
        # An EnumArray holds the members' indices; Status lists them in STATUSES' order.
        parts.append(
            results_table(
                pop,
                measure,
                scope,
                np.asarray(status),
                pa.array(lo, mask=no_amount),  # float32 as OpenFisca holds it (float64 with --float64)
                pa.array(hi, mask=no_amount),
            )
        )
    return pa.concat_tables(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("population", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    parser.add_argument(
        "--float64",
        action="store_true",
        help="an experiment, not the model: OpenFisca's float variables as float64 instead of its float32",
    )
    args = parser.parse_args(argv)
    if args.float64:
        variable_config.VALUE_TYPES[float]["dtype"] = np.float64  # read when each Variable is built
    clock = Phases()
    pop = load(args.population)
    sim = simulation(pop)  # feeding OpenFisca its inputs is part of loading them
    clock.mark("load")
    table = results(sim, pop, args.as_of)
    clock.mark("compute")
    pq.write_table(table, args.out)
    clock.mark("write")
    clock.report()


if __name__ == "__main__":
    main(sys.argv[1:])
