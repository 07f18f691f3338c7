"""YAML with line numbers: every value keeps the line it starts on and its raw scalar text.

Numbers that are money or percentages are read from the YAML text itself, never through a
float, so ``budget: 2500.10`` is exactly Decimal("2500.10"); problems are collected with the
file, line and key so a user can fix them all in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from reports.errors import ConfigError


@dataclass
class Node:
    """A YAML value with the line it starts on (1-based) and its raw scalar text."""

    value: Any
    line: int
    text: str | None = None  # scalar source text, for exact numbers


class Problems:
    def __init__(self, path: str):
        self.path = path
        self._found: list[tuple[int, str]] = []

    def add(self, node: Node | None, key: str, message: str) -> None:
        line = node.line if node is not None else 1
        self._found.append((line, f"{self.path}:{line}: {key}: {message}"))

    def add_text(self, node: Node | None, text: str) -> None:
        """A problem in another file the config names (the text gives that file, line and column), listed at
        the line of the config that names it."""
        self._found.append((node.line if node is not None else 1, text))

    @property
    def items(self) -> list[str]:
        """Every problem, in the order of the file."""
        return [text for _, text in sorted(self._found, key=lambda found: found[0])]


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int):
        self.key = key
        self.line = line


def parse_yaml(text: str, shown_path: str) -> Node | None:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(shown_path, [f"{shown_path}:{line}: YAML syntax error: {what}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(shown_path, [f"{shown_path}: YAML syntax error: {exc}"]) from None
    if node is None:
        return None
    try:
        return _convert(node)
    except _DuplicateKey as dup:
        raise ConfigError(shown_path, [f"{shown_path}:{dup.line}: {dup.key}: the key appears twice"]) from None


def _convert(node: yaml.Node) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in result:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            result[key] = _convert(value_node)
        return Node(result, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item) for item in node.value], line)
    assert isinstance(node, yaml.ScalarNode)  # the composer makes mappings, sequences and scalars only
    value = yaml.SafeLoader(" ").construct_scalar(node)  # raw string
    resolved = _resolve_scalar(node)
    return Node(resolved, line, text=str(value))


def _resolve_scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
