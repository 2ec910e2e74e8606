"""`huiqi simulate`'s report as one self-contained HTML page: charts (ECharts, inlined) and tables, in Chinese.

The page works offline and alone (mailed, archived, opened from a share): the vendored ECharts
script (src/huiqi/entrypoints/web/static/vendor, checked against its manifest by the tests) is
read from there and inlined, and the figures are inlined as JSON in a `<script type=
"application/json">` element, escaped by Jinja's `tojson` (`<`, `>`, `&` and `'` as \\u escapes,
so no value can close the element). The page is rendered by Jinja2 with autoescape on: every
name and title from the input or the reform is escaped. Amounts in the tables are the exact
decimal yuan of the comparison; the charts plot them in 万元 (floats, for drawing only).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

import huiqi
from huiqi.batch.compare import Comparison, Line
from huiqi.batch.sheets import CHANGE_ZH
from huiqi.money import format_yuan
from huiqi.region_text import region_label

ECHARTS = Path(huiqi.__file__).parent / "entrypoints" / "web" / "static" / "vendor" / "echarts-6.1.0" / "echarts.min.js"
TEMPLATES = Path(__file__).parent / "templates"
WAN = Decimal(10_000)
FIRMS_SHOWN = 50


def echarts_script() -> Markup:
    """The vendored ECharts, ready to sit inside a `<script>` element (a `</script` or `<!--` in it,
    none today, could not end the element early)."""
    source = ECHARTS.read_text(encoding="utf-8")
    source = re.sub(r"</(script)", r"<\\/\1", source, flags=re.IGNORECASE).replace("<!--", "<\\!--")
    return Markup(source)


def _wan(value: Decimal) -> float:
    return float(value / WAN)


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + format_yuan(value) if value else "0.00"


def _line(line: Line, label: str) -> dict[str, Any]:
    return {
        "key": line.key,
        "label": label,
        "base_min": format_yuan(line.base_min),
        "base_max": format_yuan(line.base_max),
        "reform_min": format_yuan(line.reform_min),
        "reform_max": format_yuan(line.reform_max),
        "delta_min": _signed(line.delta_min),
        "delta_max": _signed(line.delta_max),
        "up": line.delta_max > 0 or line.delta_min > 0,
        "down": line.delta_max < 0 or line.delta_min < 0,
        "counts": f"{line.base_count:,} → {line.reform_count:,}",
    }


def _chart(lines: tuple[Line, ...], labels: dict[str, str]) -> dict[str, Any]:
    """One panel: per key the baseline and the reform, each solid to its minimum and lighter to its maximum."""
    shown = [x for x in lines if x.base_max or x.reform_max or x.base_min or x.reform_min]
    return {
        "keys": [labels.get(x.key, x.key) for x in shown],
        "base_min": [_wan(x.base_min) for x in shown],
        "base_extra": [_wan(x.base_max - x.base_min) for x in shown],
        "reform_min": [_wan(x.reform_min) for x in shown],
        "reform_extra": [_wan(x.reform_max - x.reform_min) for x in shown],
    }


def render(comparison: Comparison, title: str, file: str, changes: list[str], titles: dict[str, str]) -> str:
    """The page: the reform's title and changes, the charts, and the tables of the comparison."""
    measures = {m: f"{titles.get(m, '')} ({m})" if titles.get(m) else m for m in (x.key for x in comparison.by_measure)}
    districts = {key: region_label(key) for key in (x.key for x in comparison.by_district)}
    years = {x.key: f"{x.key}年" for x in comparison.by_year}
    firms = comparison.firm_deltas.slice(0, FIRMS_SHOWN).to_pylist()
    data = {
        "measure": _chart(comparison.by_measure, measures),
        "year": _chart(comparison.by_year, years),
        "district": _chart(comparison.by_district, districts),
    }
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    return environment.get_template("simulation.html.j2").render(
        title=title,
        file=file,
        as_of=comparison.as_of.isoformat(),
        changes=changes,
        total=_line(comparison.total, "合计"),
        by_measure=[_line(x, measures[x.key]) for x in comparison.by_measure],
        by_district=[_line(x, districts[x.key]) for x in comparison.by_district],
        by_year=[_line(x, years[x.key]) for x in comparison.by_year],
        firms=comparison.firms,
        counts={CHANGE_ZH[k]: v for k, v in comparison.changes.items()},
        changed=[
            {
                "credit_code": f["credit_code"],
                "name": f["name"],
                "district": region_label(f["district"]),
                "base": f"{format_yuan(f['base_min'])} – {format_yuan(f['base_max'])}",
                "reform": f"{format_yuan(f['reform_min'])} – {format_yuan(f['reform_max'])}",
                "delta_max": _signed(f["delta_max"]),
                "change": CHANGE_ZH.get(f["change"], f["change"]),
            }
            for f in firms
        ],
        changed_total=comparison.firm_deltas.num_rows,
        data=data,
        echarts=echarts_script(),
    )


def write(
    path: Path, comparison: Comparison, title: str, file: str, changes: list[str], titles: dict[str, str]
) -> None:
    path.write_text(render(comparison, title, file, changes, titles), encoding="utf-8")
