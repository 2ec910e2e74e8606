"""A `huiqi simulate --out` folder made for the dashboard tests: the bundled reform over a small
synthetic population, run through the command itself (in this process)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from huiqi.batch.synth import population
from huiqi.entrypoints.cli import app

ROOT = Path(__file__).resolve().parent.parent
REFORM = ROOT / "examples" / "reforms" / "lingang-rd-40.yaml"
AS_OF = "2025-06-30"


def make_simulation(root: Path, name: str = "lingang-rd-40", firms: int = 300) -> Path:
    """Run `huiqi simulate` into root/name; returns that folder."""
    root.mkdir(parents=True, exist_ok=True)
    facts = root / f"{name}.population.parquet"
    pq.write_table(population(firms, seed=11), facts)
    out = root / name
    result = CliRunner().invoke(
        app, ["simulate", str(facts), "--reform", str(REFORM), "--as-of", AS_OF, "--out", str(out)]
    )
    assert result.exit_code in (0, 3), result.output
    facts.unlink()
    return out
