"""Facts from YAML/JSON text, with every problem located by file, line and field."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import ValidationError

from huiqi.diagnostics import Diagnostic, InputError, from_validation_error, parse_source
from huiqi.facts.models import Facts


def parse_facts(text: str, file: str, known_measures: Collection[str] | None = None) -> Facts:
    """Facts from text; every problem located. With known_measures, prior awards must name one."""
    doc = parse_source(text, file)
    if not isinstance(doc.data, dict):
        raise InputError([Diagnostic(file, doc.line_of(()), "facts must be a mapping with an 'enterprise' key")])
    try:
        facts = Facts.model_validate(doc.data)
    except ValidationError as error:
        raise InputError(from_validation_error(error, doc)) from error
    if known_measures is not None:
        unknown = [
            Diagnostic(
                file,
                doc.line_of(("prior_awards", i, "measure")),
                f"no measure {award.measure!r} in the policy library (see `huiqi policies list`)",
                f"prior_awards[{i}].measure",
            )
            for i, award in enumerate(facts.prior_awards)
            if award.measure not in known_measures
        ]
        if unknown:
            raise InputError(unknown)
    return facts
