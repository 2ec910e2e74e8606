"""Helpers shared by the variable files (which OpenFisca loads as separate modules)."""

from __future__ import annotations

import numpy as np

# The calendar years a facts table holds costs for (those `huiqi synth` writes; run.py refuses
# a table with others). A by-year base is summed over all of them, as huiqi sums a by-year
# fact over every year listed; kept tight, as every year is a vector computed for each project.
DATA_YEARS = range(2017, 2027)


def law(parameters, period):
    """The lingang-2024 parameters in force at the end of `period`.

    OpenFisca reads parameters at an instant; the end of the year is used so that a fee year
    in which the policy took effect (2024, from 14 October) reads the policy's rates.
    """
    return parameters(period.stop).lingang_2024


def earlier_in_enterprise(project, values: np.ndarray) -> np.ndarray:
    """For each project, the sum of `values` over the projects listed before it in its enterprise.

    Member positions follow the input order (OpenFisca sorts members stably), which is the
    facts order in which enterprise-wide caps are shared.
    """
    enterprise = project.enterprise
    position = enterprise.members_position
    total = np.zeros_like(values)
    for n in range(int(position.max()) + 1 if len(position) else 0):
        total += np.where(position > n, enterprise.value_nth_person(n, values), 0)
    return total
