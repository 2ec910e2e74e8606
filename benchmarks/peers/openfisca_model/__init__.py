"""An OpenFisca country-package-style model of the peers subset (peers/subset.py).

Written as an OpenFisca user would write it: entities (a project is the person, an enterprise
the group it belongs to), input variables for the facts, formulas for each measure, and the
rates and caps as dated OpenFisca parameters (parameters/). Money is OpenFisca's default
`float` variable, i.e. float32: on purpose, as that is what such a model computes with.
"""

from __future__ import annotations

from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from peers.openfisca_model.entities import entities

HERE = Path(__file__).parent


class LingangSubset(TaxBenefitSystem):
    def __init__(self) -> None:
        super().__init__(entities)
        self.add_variables_from_directory(str(HERE / "variables"))
        self.load_parameters(str(HERE / "parameters"))

    def get_package_metadata(self) -> dict[str, str]:
        # Not an installed distribution: say so here rather than have OpenFisca log a warning
        # for each variable file it loads.
        return {"name": "peers-openfisca-model", "version": "0", "repository_url": "", "location": str(HERE)}
