"""``directory:``: the people CSV exported from an HR system or identity provider, read and checked.

The file's path is relative to the config file. Every problem in the CSV names the file, the
line and the column (``people.csv:12:3: Cost Center: ...``) and is a configuration problem, so
``check-config`` and ``run`` both refuse it before anything is fetched or written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date
from pathlib import Path

from reports.config.fields import EMAIL, read_mapping, read_text, unknown_keys
from reports.config.yaml_nodes import Node, Problems
from reports.core.people import PeopleDirectory, PersonRow
from reports.core.settings import ANALYTICS
from reports.errors import ConfigError

_KEYS = {"file", "email_column", "cost_center_column", "user_id_column", "effective_from_column"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHOWN = 20  # problems listed per file: a wrong column name must not print 1,500 lines


def read_directory(node: Node | None, config_path: str, codes: set[str], source: str | None,
                   problems: Problems) -> PeopleDirectory | None:
    """The ``directory:`` section and the file it names; None when absent or invalid (a problem recorded)."""
    mapping = read_mapping(node, "directory", problems)
    if mapping is None:
        return None
    assert node is not None
    unknown_keys(mapping, _KEYS, "directory.", problems)
    file = read_text(mapping.get("file"), "directory.file", problems, required=True, parent=node)
    email = read_text(mapping.get("email_column"), "directory.email_column", problems, required=True, parent=node)
    center = read_text(mapping.get("cost_center_column"), "directory.cost_center_column", problems, required=True,
                       parent=node)
    user_id = read_text(mapping.get("user_id_column"), "directory.user_id_column", problems)
    effective = read_text(mapping.get("effective_from_column"), "directory.effective_from_column", problems)
    if source not in (ANALYTICS, None):
        problems.add(node, "directory", "needs source: analytics (the cost report knows workspaces, not people)")
    if file is None or email is None or center is None:
        return None
    path = Path(file) if Path(file).is_absolute() else Path(config_path).parent / file
    shown = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.add(mapping["file"], "directory.file", f"{shown} not found (the path is relative to the config file)")
        return None
    except OSError as exc:
        problems.add(mapping["file"], "directory.file", f"{shown} cannot be read: {exc.strerror}")
        return None
    people = PeopleDirectory(shown, email, center, user_id, effective, (), hashlib.sha256(data).hexdigest(), data)
    rows, found = parse_people(people, data, codes, config_path)
    for text in found:
        problems.add_text(mapping["file"], text)
    return None if found else _with_rows(people, rows)


def reread_people(people: PeopleDirectory, path: Path, codes: set[str], config_path: str) -> PeopleDirectory:
    """The same directory settings over another copy of the file (a month's kept copy); ConfigError if it is bad."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(shown, [f"{shown}: cannot be read: {exc.strerror}"]) from None
    kept = PeopleDirectory(shown, people.email_column, people.cost_center_column, people.user_id_column,
                           people.effective_from_column, (), hashlib.sha256(data).hexdigest(), data)
    rows, found = parse_people(kept, data, codes, config_path)
    if found:
        raise ConfigError(shown, found)
    return _with_rows(kept, rows)


def _with_rows(people: PeopleDirectory, rows: list[PersonRow]) -> PeopleDirectory:
    return PeopleDirectory(people.file, people.email_column, people.cost_center_column, people.user_id_column,
                           people.effective_from_column, tuple(rows), people.sha256, people.data)


def parse_people(people: PeopleDirectory, data: bytes, codes: set[str],
                 config_path: str) -> tuple[list[PersonRow], list[str]]:
    """The file's rows, and every problem found (``file:line:column: Column: message``), at most ``_SHOWN``."""
    shown = people.file
    try:
        text = data.decode("utf-8-sig")  # Excel writes a byte-order mark before UTF-8 CSV
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return [], [f"{shown}:{line}:{column}: not UTF-8 text (export the file as CSV UTF-8)"]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[str] = []
    try:
        header = [cell.strip() for cell in next(reader, [])]
        wanted = {people.email_column: True, people.cost_center_column: True,
                  people.user_id_column: False, people.effective_from_column: False}
        columns: dict[str, int] = {}
        for name, _required in wanted.items():
            if name is None:
                continue
            if header.count(name) != 1:
                how = "twice" if header.count(name) > 1 else "missing"
                problems.append(f"{shown}:1:{header.index(name) + 1 if name in header else 1}: the column {name!r} is "
                                f"{how} in the header row (it has: {', '.join(repr(cell) for cell in header)})")
            else:
                columns[name] = header.index(name)
        if problems:
            return [], problems
        rows = _rows(people, reader, columns, codes, config_path, problems)
    except csv.Error as exc:
        problems.append(f"{shown}:{reader.line_num}: malformed CSV: {exc}")
        return [], _capped(shown, problems)
    return rows, _capped(shown, problems)


def _rows(people: PeopleDirectory, reader, columns: dict[str, int], codes: set[str], config_path: str,
          problems: list[str]) -> list[PersonRow]:
    shown = people.file
    rows: list[PersonRow] = []
    seen: dict[tuple[str, date | None], int] = {}  # (person, effective from) -> line
    owner_of: dict[str, tuple[str, int]] = {}  # email -> (person, line): an email is one person's
    line = reader.line_num  # the header's last line
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank lines at the end of an export

        def cell(name: str | None, record: list[str] = record, start: int = start) -> str | None:
            return _cell(shown, record, start, columns, name, problems)

        def problem(name: str, message: str, start: int = start) -> None:
            problems.append(f"{shown}:{start}:{columns[name] + 1}: {name}: {message}")

        email, code = cell(people.email_column), cell(people.cost_center_column)
        user_id, effective_text = cell(people.user_id_column), cell(people.effective_from_column)
        ok = email is not None and code is not None
        if email is not None and not EMAIL.match(email):
            problem(people.email_column, f"{email!r} is not an email address" if email else "is empty")
            ok = False
        if code and code not in codes:
            problem(people.cost_center_column,
                    f"names cost center {code}, which is not defined under cost_centers in {config_path}")
            ok = False
        effective = None
        if effective_text:
            effective = _date(effective_text)
            if effective is None:
                assert people.effective_from_column is not None
                problem(people.effective_from_column, f"must be a date YYYY-MM-DD, got {effective_text!r}")
                ok = False
        if not ok or email is None:
            continue
        email = email.lower()
        person = user_id or email
        key_column = people.user_id_column if user_id else people.email_column
        assert key_column is not None
        when = f"from {effective}" if effective else "from the start"
        if (person, effective) in seen:
            problem(key_column, f"{person} is already in effect {when} on line {seen[person, effective]}")
            continue
        if email in owner_of and owner_of[email][0] != person:
            other, other_line = owner_of[email]
            problem(people.email_column, f"{email} is already given to {other} on line {other_line}")
            continue
        seen[person, effective] = start
        owner_of[email] = (person, start)
        rows.append(PersonRow(email, user_id or None, code or None, effective, start))
    return rows


def _cell(shown: str, record: list[str], start: int, columns: dict[str, int], name: str | None,
          problems: list[str]) -> str | None:
    """The named column's cell, stripped; None (and a problem) when the row is too short for it."""
    if name is None:
        return None
    index = columns[name]
    if index >= len(record):
        problems.append(f"{shown}:{start}:{index + 1}: {name}: missing (the row has {len(record)} fields, "
                        f"the header {max(columns.values()) + 1} or more)")
        return None
    return record[index].strip()


def _date(text: str) -> date | None:
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _capped(shown: str, problems: list[str]) -> list[str]:
    if len(problems) <= _SHOWN:
        return problems
    return problems[:_SHOWN] + [f"{shown}: {len(problems) - _SHOWN} more problems like these"]
