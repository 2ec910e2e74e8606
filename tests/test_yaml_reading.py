"""Reading YAML fast (huiqi.diagnostics): libyaml's parser, a plain walk instead of PyYAML's
constructor, and lines worked out only when a diagnostic asks, give exactly what the pure-Python
parser and PyYAML's constructor give — the same data (types included) and the same line of every
key and item — on every bundled file and on documents the plain walk leaves to the constructor.
"""

from __future__ import annotations

import gc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi import diagnostics
from huiqi.diagnostics import InputError, parse_source
from huiqi.gcpause import paused_gc

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(
    [*ROOT.glob("policies/**/*.yaml"), *ROOT.glob("examples/**/*.yaml")], key=lambda p: str(p.relative_to(ROOT))
)


def _reference(text: str) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """The pure-Python parser and PyYAML's own constructor, lines recorded at once (the code before)."""
    loader = diagnostics._Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        diagnostics._record(node, (), lines)
    return data, lines


def _typed(value: Any) -> Any:
    """The data with each scalar's type beside it (Decimal('1') == 1, but is not the same reading)."""
    if isinstance(value, dict):
        return {_typed(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


def _same_as_reference(text: str) -> None:
    try:
        data, lines = _reference(text)
    except yaml.MarkedYAMLError as error:  # refused alike, at the same line
        with pytest.raises(InputError) as caught:
            parse_source(text, "x.yaml")
        mark = error.problem_mark
        assert [d.line for d in caught.value.diagnostics] == [mark.line + 1 if mark else None]
        return
    doc = parse_source(text, "x.yaml")
    assert _typed(doc.data) == _typed(data)
    assert dict(doc.lines) == lines


def test_the_fast_reader_is_libyaml() -> None:
    assert yaml.__with_libyaml__  # PyYAML's wheels bundle it; without it the pure parser is used
    assert diagnostics._FAST.__name__ == "_CLoader"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_files_read_the_same(path: Path) -> None:
    _same_as_reference(path.read_text("utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {b: 1, c: [1, 2]}\nd: *x\n",  # an alias: the same object twice
        "base: &b {rate: 10%, cap: 100万}\nmeasure:\n  <<: *b\n  cap: 50万\n",  # a merge key
        "a: !!set {x, y}\n",  # a tag the plain walk leaves to PyYAML
        "a: !!binary aGVsbG8=\n",
        "? [1, 2]\n: pair as key\n",  # a key that is not a scalar (refused: unhashable)
        "? !!str [1, 2]\n: x\n",
        "= : value key\n",  # the `=` value tag
        "date: 2024-02-30\ngood: 2024-02-28\nstamp: 2024-01-01 10:00:00\n",
        "n: 010\nx: 0.1\ne: 1e7\nu: 1_000.5\nb: [true, yes, on, off, FALSE]\nz: ~\nq: '3'\n",
        "2024: 100万\n2025: {1: a}\nlist:\n- - x\n  - y\n- {}\n- []\n",
        "",
        "# only a comment\n",
        "just text\n",
        '{"json": [1, 2.5, "three", null, true], "nested": {"k": "v"}}',
    ],
)
def test_unusual_documents_read_the_same(text: str) -> None:
    _same_as_reference(text)


KEYS = st.sampled_from(["id", "name", "kind", "2024", "on", "yes", "rate", "<<x", "a b"])
SCALARS = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.sampled_from(["true", "false", "yes", "null", "~", "2024-06-30", "2024-02-30", "300万", "1:1", "0x1F", ".inf"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=4), st.sampled_from([None, True]))
def test_generated_documents_read_the_same(data: dict[str, Any], flow: bool | None) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow, sort_keys=False)
    _same_as_reference(text)


def test_an_alias_inside_itself_is_left_to_pyyaml() -> None:
    data = parse_source("a: &r [1, *r]\n", "x.yaml").data
    assert data["a"][0] == 1
    assert data["a"][1] is data["a"]


def test_syntax_errors_name_the_same_line() -> None:
    for text, line in [("title: x\nset:\n  a: [1\n", 4), ("a: 1\n b: 2\n", 2), ("a:\n\t- 1\n", 2), ("a: 'x\n", 2)]:
        with pytest.raises(InputError) as caught:
            parse_source(text, "bad.yaml")
        (diagnostic,) = caught.value.diagnostics
        assert (diagnostic.file, diagnostic.line) == ("bad.yaml", line), diagnostic
        assert diagnostic.message.startswith("not valid YAML/JSON: ")


def test_an_unclosed_bracket_names_the_line_it_was_opened_on() -> None:
    with pytest.raises(InputError) as caught:
        parse_source("id: p\ntitle: [oops\n中文标题\ntitle_en: x\n", "plan.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.line == 4  # where the parser noticed
    assert "on line 2" in diagnostic.message  # where the author left the bracket open
    assert diagnostic.zh is not None
    assert "第 2 行开始的内容未闭合" in diagnostic.zh


def test_lines_are_worked_out_when_first_asked() -> None:
    doc = parse_source("a:\n  b: [1, 2]\n  c: 3\n", "x.yaml")
    assert doc.line_of(("a", "c")) == 3
    assert doc.line_of(("a", "b", 1)) == 2
    assert doc.line_of(("a", "missing")) == 1


def test_the_collector_is_paused_and_resumed_as_found() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause leaves the outer one alone
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # disabled before, disabled after
    finally:
        gc.enable()
    parse_source("a: 1\n", "x.yaml")
    assert gc.isenabled()
    with pytest.raises(InputError):
        parse_source("a: [1\n", "x.yaml")
    assert gc.isenabled()


def test_a_decimal_stays_exact() -> None:
    assert parse_source("x: 0.1\n", "x.yaml").data == {"x": Decimal("0.1")}
