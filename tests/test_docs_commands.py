"""The commands in README.md, docs/ledger.md and docs/batch.md cannot drift from the CLI: every
`huiqi` subcommand and option they name exists and its `--help` parses; they run through ./huiqi
(no `uv run`, which needs uv on PATH); the files they name are in the checkout.

Synopses are understood: `[--db URL]` is an optional option, `a|b` alternatives (`users list |
disable NAME` names two subcommands of `users`)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from huiqi.entrypoints.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "docs/ledger.md", "docs/batch.md", "docs/monitoring.md")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
COMMENT = re.compile(r"(^|\s)#\s.*$")


@dataclass(frozen=True)
class Use:
    where: str  # file:line
    words: tuple[str, ...]  # after `huiqi`, brackets stripped


def shell_lines(document: str) -> list[tuple[int, str]]:
    """(line number, command) of the sh and console blocks, continuation lines joined, comments cut."""
    text = (ROOT / document).read_text(encoding="utf-8")
    found = []
    for block in FENCE.finditer(text):
        if block.group(1) not in ("sh", "console"):
            continue
        first = text.count("\n", 0, block.start(2)) + 1
        pending, start = "", first
        for offset, raw in enumerate(block.group(2).splitlines()):
            line = raw.removeprefix("$ ") if block.group(1) == "console" else raw
            if block.group(1) == "console" and not raw.startswith("$ ") and not pending:
                continue  # output, not a command
            if not pending:
                start = first + offset
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            found.append((start, COMMENT.sub("", pending + line).strip()))
            pending = ""
    return found


def uses(document: str) -> list[Use]:
    out = []
    for number, line in shell_lines(document):
        try:
            tokens = shlex.split(line)
        except ValueError:
            continue
        for index, token in enumerate(tokens):
            if token in ("./huiqi", "huiqi"):
                words = tuple(w.strip("[]") for w in tokens[index + 1 :] if w.strip("[]"))
                out.append(Use(f"{document}:{number}", words))
                break
    return out


def _is_group(command: Any) -> bool:
    return hasattr(command, "commands")  # typer's own copy of click: duck-typed


ALL = [use for document in DOCS for use in uses(document)]
ROOT_COMMAND = typer.main.get_command(app)


def resolve(words: tuple[str, ...]) -> list[tuple[list[str], Any, list[str]]]:
    """Each (command path, command, the options named for it) a use names; synopsis alternatives
    (`users list | disable NAME`) give several."""
    found: list[tuple[list[str], Any, list[str]]] = []
    path: list[str] = []
    command: Any = ROOT_COMMAND
    parent: Any = ROOT_COMMAND
    options: list[str] = []
    for word in words:
        if word == "|":
            continue
        if _is_group(command) and word in command.commands:
            parent, command = command, command.commands[word]
            path = [*path, word]
            continue
        if _is_group(parent) and word in parent.commands:
            found.append((path, command, options))  # an alternative subcommand of the same group
            command, path, options = parent.commands[word], [*path[:-1], word], []
            continue
        if word.startswith("--"):
            options.append(word.split("=", 1)[0])
    found.append((path, command, options))
    return found


def test_the_documents_name_huiqi_commands() -> None:
    named = {" ".join(path) for use in ALL for path, _, _ in resolve(use.words)}
    assert {"serve", "users add", "users list", "users set-password", "import", "audit verify", "calc"} <= named
    assert {"match", "batch", "simulate", "synth", "db upgrade", "demo-data", "export"} <= named


@pytest.mark.parametrize("use", ALL, ids=lambda u: u.where)
def test_each_command_and_option_exists(use: Use) -> None:
    for path, command, options in resolve(use.words):
        if not path and use.words == ("--help",):
            continue
        assert path, f"{use.where}: `huiqi {' '.join(use.words)}` names no huiqi command"
        if _is_group(command):
            raise AssertionError(f"{use.where}: `huiqi {' '.join(path)}` needs a subcommand")
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        unknown = [option for option in options if option not in known | {"--help"}]
        assert not unknown, f"{use.where}: huiqi {' '.join(path)} has no {', '.join(unknown)}"
        done = CliRunner().invoke(app, [*path, "--help"])
        assert done.exit_code == 0, f"{use.where}: huiqi {' '.join(path)} --help: {done.output}"


@pytest.mark.parametrize("document", DOCS)
def test_commands_run_through_the_wrapper_and_name_real_files(document: str) -> None:
    for number, line in shell_lines(document):
        assert "uv run" not in line, f"{document}:{number}: `uv run` needs uv on PATH; use ./huiqi"
        for word in re.findall(r"(?:examples|policies)/[^\s'\")]+", line):
            assert (ROOT / word).exists(), f"{document}:{number}: {word} is not in the checkout"
    assert (ROOT / "huiqi").stat().st_mode & 0o111, "./huiqi must be executable"
