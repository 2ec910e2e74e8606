"""The simulation chart (PNG): baseline vs reform by measure, by year and by district.

Labels are ids and codes (ASCII), since CI machines have no CJK fonts; the reform's Chinese
title is used only where a CJK font is installed. Amounts are plotted in 10,000 yuan (万元).
The figures are exact decimals everywhere else; they become floats only here, for drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from huiqi.batch.compare import Comparison, Line

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
WAN = Decimal(10_000)
BASE, REFORM = "#9e9e9e", "#1f77b4"  # grey and blue: the range's upper part lighter (alpha)


def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, if any."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _wan(value: Decimal) -> float:
    return float(value / WAN)


def _panel(ax: Axes, lines: Sequence[Line], title: str, horizontal: bool) -> None:
    """Two bars per key (baseline, reform): solid up to the minimum, lighter from minimum to maximum."""
    keys = [line.key for line in lines]
    positions = list(range(len(keys)))
    width = 0.38
    for offset, colour, label, bounds in (
        (-width / 2, BASE, "baseline", [(x.base_min, x.base_max) for x in lines]),
        (width / 2, REFORM, "reform", [(x.reform_min, x.reform_max) for x in lines]),
    ):
        where = [p + offset for p in positions]
        low = [_wan(lo) for lo, _ in bounds]
        extra = [_wan(hi - lo) for lo, hi in bounds]
        if horizontal:
            ax.barh(where, low, height=width, color=colour, label=f"{label} min")
            ax.barh(where, extra, height=width, left=low, color=colour, alpha=0.45, label=f"{label} max")
        else:
            ax.bar(where, low, width=width, color=colour, label=f"{label} min")
            ax.bar(where, extra, width=width, bottom=low, color=colour, alpha=0.45, label=f"{label} max")
    if horizontal:
        ax.set_yticks(positions, keys, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("10,000 yuan")
    else:
        ax.set_xticks(positions, keys, fontsize=8)
        ax.set_ylabel("10,000 yuan")
    ax.set_title(title, fontsize=10, loc="left")
    ax.grid(axis="x" if horizontal else "y", alpha=0.3)


def _shown(lines: Sequence[Line]) -> list[Line]:
    """The keys with an amount in either scenario (a measure nobody gets says nothing in a chart)."""
    return [x for x in lines if x.base_max or x.reform_max or x.base_min or x.reform_min]


def draw(comparison: Comparison, path: Path, label: str, title: str | None = None) -> None:
    """Write the chart to `path` (PNG). `label` is ASCII; `title` (e.g. Chinese) is used when a CJK font exists."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI; the Figure API below needs no pyplot state
    from matplotlib.figure import Figure

    font = cjk_font()
    heading = title if title and font else label
    measures, years, districts = (
        _shown(comparison.by_measure),
        _shown(comparison.by_year),
        _shown(comparison.by_district),
    )
    rows = max(len(measures), 1)
    figure = Figure(figsize=(11, 4 + 0.38 * rows + 3.5), dpi=110, layout="constrained")
    grid = figure.add_gridspec(2, 2, height_ratios=[0.38 * rows + 1, 3.5])
    by_measure = figure.add_subplot(grid[0, :])
    by_year = figure.add_subplot(grid[1, 0])
    by_district = figure.add_subplot(grid[1, 1])
    _panel(by_measure, measures, "by measure (sum of results)", horizontal=True)
    _panel(by_year, years, "by year (sum of results)", horizontal=False)
    _panel(by_district, districts, "by district (enterprise totals)", horizontal=True)
    by_measure.legend(fontsize=8, loc="best")
    total = comparison.total
    summary = (
        f"as of {comparison.as_of}; total {_wan(total.base_min):,.0f}-{_wan(total.base_max):,.0f} -> "
        f"{_wan(total.reform_min):,.0f}-{_wan(total.reform_max):,.0f} (10,000 yuan); enterprises: "
        + ", ".join(f"{n:,} {change}" for change, n in comparison.changes.items())
    )
    figure.suptitle(f"{heading}: baseline vs reform\n{summary}", fontsize=11, fontfamily=font or "sans-serif")
    figure.savefig(path, format="png")
