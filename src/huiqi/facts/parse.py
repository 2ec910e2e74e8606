"""Facts from YAML/JSON text, with every problem located by file, line and field."""

from __future__ import annotations

from pydantic import ValidationError

from huiqi.diagnostics import Diagnostic, InputError, from_validation_error, parse_source
from huiqi.facts.models import Facts


def parse_facts(text: str, file: str) -> Facts:
    doc = parse_source(text, file)
    if not isinstance(doc.data, dict):
        raise InputError([Diagnostic(file, doc.line_of(()), "facts must be a mapping with an 'enterprise' key")])
    try:
        return Facts.model_validate(doc.data)
    except ValidationError as error:
        raise InputError(from_validation_error(error, doc)) from error
