"""The target arithmetic at its edges (huiqi.monitor.progress), figures worked by hand in comments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.monitor.progress import Goal, Status, Thresholds, progress, root_growth

D = Decimal


def test_on_track_growth_achieved_and_needed() -> None:
    # 200 (2022) → 390 (2024): (390/200)^(1/2) − 1 = 39.64% a year; 500 by 2025 needs 500/390 − 1
    # = 28.21%; at 39.64%, 390 × 1.3964 = 544.6 ≥ 500 in 2025: on track.
    found = progress(Goal(2025, D(500)), {2022: D(200), 2023: D(280), 2024: D(390)}, 2024)
    assert found.status is Status.ON_TRACK
    assert found.growth_achieved is not None
    assert f"{found.growth_achieved:.4f}" == "0.3964"
    assert found.growth_needed is not None
    assert f"{found.growth_needed:.4f}" == "0.2821"
    assert found.share == (D(390) - 200) / (500 - 200)  # 63.3% of the way
    assert found.reached_in == 2025


def test_a_target_already_met() -> None:
    found = progress(Goal(2025, D(500)), {2023: D(450), 2024: D(520)}, 2024)
    assert found.status is Status.MET
    assert found.growth_needed is None
    assert found.reached_in == 2024


def test_a_shrinking_indicator_is_never_reached_at_its_pace() -> None:
    # 400 → 300 over 2022–2024: negative growth, so no year reaches 500.
    found = progress(Goal(2025, D(500)), {2022: D(400), 2024: D(300)}, 2024)
    assert found.status is Status.OFF_TRACK
    assert found.reached_in is None
    assert found.growth_achieved is not None
    assert found.growth_achieved < 0
    assert ("缺少 2023 年的数据", "no value for 2023") in found.notes  # the missing year said


def test_a_missing_latest_year_counts_the_last_known_one() -> None:
    found = progress(Goal(2026, D(500)), {2022: D(100), 2023: D(200)}, 2025)
    assert found.current_year == 2023
    assert any("最新数据为 2023 年" in zh for zh, _ in found.notes)


def test_a_range_target_is_met_at_its_low_end_and_says_when_past_its_high_end() -> None:
    goal = Goal(2025, D(20000), D(30000))
    assert progress(goal, {2022: D(10000), 2025: D(20000)}, 2025).status is Status.MET
    past = progress(goal, {2022: D(10000), 2025: D(35000)}, 2025)
    assert past.status is Status.MET
    assert ("已超过目标区间上限", "past the upper end of the target range") in past.notes
    assert progress(goal, {2022: D(10000), 2025: D(19999)}, 2025).status is Status.MISSED


def test_a_zero_baseline_uses_the_yearly_increment() -> None:
    # 0 (2022) → 200 (2024): no growth rate exists; +100 a year reaches 500 in 2024 + 3 = 2027,
    # two years after 2025: off track with at most one year's grace.
    found = progress(Goal(2025, D(500)), {2022: D(0), 2023: D(100), 2024: D(200)}, 2024)
    assert found.growth_achieved is None
    assert found.increment == 100
    assert found.reached_in == 2027
    assert found.status is Status.OFF_TRACK
    lenient = progress(Goal(2025, D(500)), {2022: D(0), 2023: D(100), 2024: D(200)}, 2024, Thresholds(2))
    assert lenient.status is Status.AT_RISK  # the grace is data (targets/status.yaml)


def test_a_past_target_is_judged_on_its_own_year() -> None:
    # Minhang: more than 300 firms by 2020; 290 in 2020 and 410 in 2024: missed, judged in 2020.
    found = progress(Goal(2020, D(300)), {2018: D(180), 2020: D(290), 2024: D(410)}, 2024)
    assert found.status is Status.MISSED
    assert found.current_year == 2020


def test_a_yearly_flow_is_judged_year_by_year() -> None:
    goal = Goal(2025, D(1000), each_year=True)
    assert progress(goal, {2023: D(1200), 2024: D(900)}, 2024).status is Status.OFF_TRACK
    assert progress(goal, {2023: D(900), 2024: D(1000)}, 2024).status is Status.MET


def test_no_data_is_said() -> None:
    assert progress(Goal(2025, D(1)), {}, 2024).status is Status.NO_DATA
    assert progress(Goal(2025, D(1)), {2026: D(5)}, 2024).status is Status.NO_DATA  # only a later year


@given(
    st.decimals(min_value=1, max_value=10**9, places=0),
    st.decimals(min_value=D("0.01"), max_value=D("3"), places=2),
    st.integers(min_value=1, max_value=20),
)
def test_the_projected_year_is_the_first_the_compound_value_reaches_the_target(
    current: Decimal, growth: Decimal, years: int
) -> None:
    target = current * (1 + growth) ** years
    base = current / (1 + growth) ** 2
    found = progress(Goal(2100, target), {2020: base, 2022: current}, 2022)
    assert found.reached_in is not None
    n = found.reached_in - 2022
    # exact at the projected year, short of it one year before
    assert current * (1 + found.growth_achieved) ** n >= target * D("0.999999999")  # type: ignore[operator]
    assert n == 0 or current * (1 + found.growth_achieved) ** (n - 1) < target  # type: ignore[operator]


@pytest.mark.parametrize(("ratio", "years", "expected"), [(D(4), 2, "1.0000"), (D("1.21"), 2, "0.1000")])
def test_root_growth(ratio: Decimal, years: int, expected: str) -> None:
    assert f"{root_growth(ratio, years):.4f}" == expected


def test_a_past_target_year_without_its_value_says_the_status_is_a_projection() -> None:
    found = progress(Goal(2025, D(500)), {2023: D(300), 2024: D(420)}, 2026)
    assert found.status is Status.ON_TRACK  # 420 × 1.4 ≥ 500 in 2025, projected
    assert any("数据尚未录入" in zh for zh, _ in found.notes)
