"""The facts' vocabularies as data (policies/vocabulary/*.yaml): a term added in YAML reaches the
facts models, the schema, the batch's table and the form with no Python; a broken file is named by
file:line and huiqi refuses to start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from huiqi.diagnostics import InputError
from huiqi.facts.vocabulary import ContractKind, ProjectKind
from huiqi.facts.vocabulary_files import FILES, load_vocabularies, parse_vocabulary, vocabulary_dir

ROOT = Path(__file__).resolve().parent.parent
HUIQI = shutil.which("huiqi") or str(Path(sys.executable).parent / "huiqi")


def test_every_vocabulary_is_read_from_its_file_with_both_labels() -> None:
    vocabularies = load_vocabularies()
    assert set(vocabularies) == set(FILES)
    assert [m.value for m in ProjectKind] == [t.code for t in vocabularies["ProjectKind"].terms]
    compute = ContractKind("compute")
    assert (compute.zh, compute.en) == ("算力服务", "compute service")
    assert ContractKind.read("智能算力") is compute  # a synonym from the file


def test_every_problem_of_a_file_is_named_by_line() -> None:
    text = """title: 合同类型
title_en: contract kind
terms:
  compute: {zh: 算力服务, en: compute service}
  Model-API: {zh: 模型服务, en: model service}
  corpus: {zh: 语料采购, en: corpus, synonyms: [算力服务]}
  other: {zh: 其他, en: other, colour: red}
"""
    with pytest.raises(InputError) as caught:
        parse_vocabulary("ContractKind", text, "contract_kinds.yaml")
    found = {(d.line, d.zh) for d in caught.value.diagnostics}
    assert any(line == 7 for line, _ in found), found  # the unknown key
    text = text.replace(", colour: red", "")
    with pytest.raises(InputError) as caught:
        parse_vocabulary("ContractKind", text, "contract_kinds.yaml")
    lines = sorted(d.line or 0 for d in caught.value.diagnostics)
    assert lines == [5, 6], [str(d) for d in caught.value.diagnostics]  # the bad code, the clash
    assert "同时指向词条 'compute'" in " ".join(d.zh or "" for d in caught.value.diagnostics)


def _huiqi(env_folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUIQI_VOCABULARY": str(env_folder)}
    return subprocess.run([HUIQI, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_a_term_added_in_yaml_reaches_the_facts_the_schema_and_the_checker(tmp_path: Path) -> None:
    folder = tmp_path / "vocabulary"
    shutil.copytree(vocabulary_dir(), folder)
    path = folder / "contract_kinds.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "  cloud_storage: {zh: 云存储服务, en: cloud storage, synonyms: [云存储]}\n",
        encoding="utf-8",
    )
    schema = _huiqi(folder, "schema", "--table")
    assert schema.returncode == 0, schema.stderr
    assert "cloud_storage = 云存储服务" in schema.stdout.replace("\n", "").replace("│", "").replace("  ", " ")
    firm = tmp_path / "firm.yaml"
    firm.write_text(
        (ROOT / "examples" / "shenzhen-model-training.yaml").read_text(encoding="utf-8")
        + "  - {id: S1, kind: 云存储, signed: 2025-03-01, amount: 10万}\n",
        encoding="utf-8",
    )
    calc = _huiqi(folder, "calc", str(firm), "--as-of", "2025-06-30")
    assert calc.returncode == 0, calc.stderr
    refused = _huiqi(vocabulary_dir(), "calc", str(firm), "--as-of", "2025-06-30")  # not in the bundled terms
    assert refused.returncode == 2
    assert "云存储" in refused.stdout + refused.stderr


def test_a_broken_vocabulary_stops_huiqi_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "vocabulary"
    shutil.copytree(vocabulary_dir(), folder)
    path = folder / "fields.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("en: AI chips", "en: ''"), encoding="utf-8")
    (folder / "tracks.yaml").unlink()
    done = _huiqi(folder, "policies", "check")
    assert done.returncode == 2
    assert f"{path}:" in done.stderr
    assert "tracks.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_new_term_is_a_new_plan_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached batch plan checks an enum column against the codes it was compiled with."""
    from huiqi.batch.plan_cache import code_digest

    before = code_digest()
    folder = tmp_path / "vocabulary"
    shutil.copytree(vocabulary_dir(), folder)
    path = folder / "fields.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  quantum: {zh: 量子计算, en: quantum computing}\n", "utf-8")
    monkeypatch.setenv("HUIQI_VOCABULARY", str(folder))
    code_digest.cache_clear()
    try:
        assert code_digest() != before
    finally:
        code_digest.cache_clear()
