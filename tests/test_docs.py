"""The help and the README stay true to the parser: every command has help with an example that
parses, and a row in the README's command table that parses too (in the sqlite-utils style)."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from conftest import PROJECT
from reports.cli import build_parser

# README placeholders and the values that stand for them when a row is parsed
PLACEHOLDERS = {"YYYY-MM": "2026-10", "YYYY-MM-DD": "2026-12-01", "PATH": "some/file", "DIR": "some/folder", "N": "1"}


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, by name, as ``reports.cli`` declares them."""
    parser = build_parser()
    # argparse has no public way to list subcommands; its _SubParsersAction holds them
    [subparsers] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def help_lines(parser: argparse.ArgumentParser) -> list[str]:
    """The example command lines in a command's help epilog, without their comments."""
    return [" ".join(shlex.split(line, comments=True)) for line in (parser.epilog or "").splitlines()
            if line.strip().startswith("chargeback ")]


def readme_rows() -> dict[str, list[str]]:
    """The commands of the README's command table, by subcommand: each row's backticked command."""
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in table.splitlines():
        found = re.match(r"\| `(chargeback [^`]+)` \|", line)
        if found:
            command = found.group(1).replace("\\|", "|")
            rows.setdefault(command.split()[1], []).append(command)
    return rows


def as_arguments(command: str) -> list[str]:
    """A README row as a command line: optional parts kept, the first of each choice, placeholders filled."""
    text = re.sub(r"\[|\]", "", command)
    text = re.sub(r"(\S+)\|\S+", r"\1", text)
    words = shlex.split(text)[1:]
    return [PLACEHOLDERS.get(word, word) for word in words]


def parses(words: list[str]) -> argparse.Namespace:
    try:
        return build_parser().parse_args(words)
    except SystemExit as exit:
        raise AssertionError(f"`chargeback {' '.join(words)}` does not parse (exit {exit.code})") from None


@pytest.mark.parametrize("name", list(commands()))
def test_every_command_has_help_with_an_example_that_parses(name, capsys):
    parser = commands()[name]
    assert parser.description and len(parser.description) > 20, f"{name} has no help text"
    examples = help_lines(parser)
    assert any(line.split()[1] == name for line in examples), f"`chargeback {name} --help` shows no example of it"
    for line in examples:
        parses(line.split()[1:])
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name", list(commands()))
def test_every_command_has_a_row_in_the_readme_that_parses(name):
    rows = readme_rows()
    assert name in rows, f"README.md's command table has no row for `chargeback {name}`"
    for row in rows[name]:
        assert parses(as_arguments(row)).command == name, row


def test_the_readme_table_names_no_command_the_parser_lacks():
    assert set(readme_rows()) <= set(commands())
