"""Inputs above a size limit are refused before they are read (huiqi.limits): facts and reform
files and the body of POST /v1/assess ($HUIQI_MAX_FACTS_BYTES, default 8 MiB), imported
spreadsheets ($HUIQI_MAX_UPLOAD_BYTES, default 16 MiB). A 270 MB file is refused from its size
alone; a pipe is read up to the limit and no further. Every refusal names the size, the limit and
the setting that raises it, in English and Chinese: exit 2 and nothing written, or 413.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from huiqi.diagnostics import InputError
from huiqi.entrypoints.api.app import create_app
from huiqi.ledger.database import make_engine, upgrade
from huiqi.ledger.uow import Ledger
from huiqi.limits import FACTS, UPLOADS, format_size, parse_size, read_limited
from huiqi.policy_files import load_facts, load_reform
from huiqi.rules.library import Library

ROOT = Path(__file__).resolve().parents[1]
HUIQI = str(Path(sys.executable).parent / "huiqi")
EXAMPLE = ROOT / "examples" / "minhang-robotics.yaml"


def _huge(path: Path, size: int = 270_000_000) -> Path:
    """A file of `size` bytes that takes no disk (sparse): reading it would take seconds and memory."""
    with open(path, "wb") as file:
        file.truncate(size)
    return path


def _says_how_to_raise(text: str, env: str) -> None:
    assert "too large" in text
    assert "过大" in text
    assert env in text
    assert f"{env}=" in text  # an example of the setting


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("8388608", 8 << 20),
        ("8MiB", 8 << 20),
        ("8 M", 8 << 20),
        ("64mb", 64 << 20),
        ("512k", 512 << 10),
        ("1G", 1 << 30),
    ],
)
def test_sizes_are_read_in_bytes_or_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "8 TB", "-1", "0", "1.5M"])
def test_what_is_not_a_size(text: str) -> None:
    assert parse_size(text) is None


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FACTS.env, raising=False)
    monkeypatch.delenv(UPLOADS.env, raising=False)
    assert (FACTS.current(), UPLOADS.current()) == (8 << 20, 16 << 20)
    assert format_size(270_000_000) == "257.5 MiB"


def test_a_huge_file_is_refused_from_its_size(tmp_path: Path, library: Library) -> None:
    huge = _huge(tmp_path / "junk.yaml")
    with pytest.raises(InputError) as caught:
        load_facts(huge, library)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.file == str(huge)
    assert "257.5 MiB" in diagnostic.message  # its size, known without reading it
    assert "8 MiB" in diagnostic.message
    assert diagnostic.zh is not None
    assert "8 MiB" in diagnostic.zh
    assert "HUIQI_MAX_FACTS_BYTES" in diagnostic.zh
    _says_how_to_raise(diagnostic.message, "HUIQI_MAX_FACTS_BYTES")


def test_the_limit_is_a_setting(tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    size = EXAMPLE.stat().st_size
    monkeypatch.setenv("HUIQI_MAX_FACTS_BYTES", str(size - 1))
    with pytest.raises(InputError):
        load_facts(EXAMPLE, library)
    monkeypatch.setenv("HUIQI_MAX_FACTS_BYTES", str(size))
    assert load_facts(EXAMPLE, library).enterprise.name
    monkeypatch.setenv("HUIQI_MAX_FACTS_BYTES", "1k")
    with pytest.raises(InputError):
        load_reform(ROOT / "examples" / "reforms" / "lingang-rd-40.yaml", library)
    monkeypatch.setenv("HUIQI_MAX_FACTS_BYTES", "lots")
    with pytest.raises(InputError) as caught:
        load_facts(EXAMPLE, library)
    assert "HUIQI_MAX_FACTS_BYTES='lots' is not a size" in caught.value.diagnostics[0].message


def test_a_pipe_is_read_up_to_the_limit_and_no_further(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_MAX_FACTS_BYTES", "64k")
    pipe = tmp_path / "facts.fifo"
    os.mkfifo(pipe)
    written: list[int] = []

    def write_forever() -> None:
        try:
            with open(pipe, "wb") as end:
                while True:  # stops when the reader closes its end
                    end.write(b"x" * 4096)
                    written.append(4096)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    with pytest.raises(InputError) as caught:
        read_limited(pipe, FACTS)
    writer.join(timeout=30)
    assert not writer.is_alive()
    assert "more than 64 KiB" in caught.value.diagnostics[0].message
    assert sum(written) < 64 * 1024 + 2 * 65536  # read no further than the limit (and a pipe's buffer)


def test_calc_refuses_a_huge_file_with_exit_2(tmp_path: Path) -> None:
    huge = _huge(tmp_path / "junk.yaml")
    done = subprocess.run([HUIQI, "calc", str(huge)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    _says_how_to_raise(done.stderr, "HUIQI_MAX_FACTS_BYTES")


def test_import_refuses_a_large_spreadsheet_and_touches_no_database(tmp_path: Path) -> None:
    sheet = tmp_path / "enterprises.csv"
    sheet.write_text("name,credit_code\n" + "某某科技有限公司,91310115MA1K4LG0X7\n" * 200, "utf-8")
    db = tmp_path / "ledger.db"
    env = {**os.environ, "HUIQI_MAX_UPLOAD_BYTES": "1k"}
    done = subprocess.run(
        [HUIQI, "import", "enterprises", str(sheet), "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    _says_how_to_raise(" ".join(done.stderr.split()), "HUIQI_MAX_UPLOAD_BYTES")
    assert not db.exists()


@pytest.fixture
def api(tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("HUIQI_MAX_FACTS_BYTES", "2MiB")
    monkeypatch.setenv("HUIQI_MAX_UPLOAD_BYTES", "3MiB")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    ledger = Ledger(make_engine(url), library)
    with TestClient(create_app(ledger), raise_server_exceptions=False) as client:
        yield client
    ledger.engine.dispose()


JSON = {"content-type": "application/json"}


def test_assess_takes_a_body_up_to_the_facts_limit(api: TestClient) -> None:
    body = b'{"note": "' + b"x" * (3 << 19) + b'"}'  # 1.5 MiB: above the 1 MiB of other bodies
    assert api.post("/v1/assess", content=body, headers=JSON).status_code != 413  # read (and refused for itself)
    assert api.post("/v1/applications", content=body, headers=JSON).status_code == 413
    larger = b'{"note": "' + b"x" * (5 << 19) + b'"}'  # 2.5 MiB
    response = api.post("/v1/assess", content=larger, headers=JSON)
    assert response.status_code == 413
    detail = response.json()["detail"]
    _says_how_to_raise(detail, "HUIQI_MAX_FACTS_BYTES")
    assert "2 MiB" in detail


def test_a_body_without_its_length_is_cut_at_the_limit(api: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(64):  # 4 MiB, streamed (chunked: no Content-Length)
            yield b" " * (64 << 10)

    response = api.post("/v1/assess", content=chunks(), headers=JSON)
    assert response.status_code == 413
    _says_how_to_raise(response.json()["detail"], "HUIQI_MAX_FACTS_BYTES")
    response = api.post("/v1/imports/enterprises", content=b"x" * (4 << 20), headers={"content-type": "text/csv"})
    assert response.status_code == 413
    _says_how_to_raise(response.json()["detail"], "HUIQI_MAX_UPLOAD_BYTES")
