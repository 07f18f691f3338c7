"""focus-validator kept alive across files: run by the validator's own Python 3.12 (tests/focus_check.py).

One request per line on stdin, a JSON object ``{"data_file", "criteria", "output"}``; one JSON line
back on stdout for each, ``{"ok": true}`` once the unittest XML report is at ``output``, or
``{"ok": false, "error": ...}``. It exits when stdin closes, so it never outlives the test process
that started it. The working directory must be the validator's site-packages (its rule files and
currency codes are opened relative to it), as for its command line.

Each file is judged as ``python -m focus_validator.main --data-file F --validate-version 1.2
--block-download --output-type unittest --output-destination OUT --applicability-criteria C``
judges it (``main()``'s own arguments, one new ``Validator`` per file), with two differences in cost only:

- the imports (pandas, polars, duckdb, the rule converters: about 1 s of CPU) happen once, not per file;
- the data is copied once into a DuckDB table instead of being scanned through its Arrow
  registration by each of the ~450 checks (2 ms a query on a one-row file, 9 ms on the 7,200-row
  demo month, against 0.5 ms on a table). The table is made from that same registration, so its
  columns and their types are the ones the checks would have seen; the report is the same
  (tests/test_focus_validator.py compares it with the command line's on a broken file).
"""

from __future__ import annotations

import json
import os
import sys
import traceback


class _TableNotView:
    """A DuckDB connection whose ``register`` leaves a table of the data, not a view over it."""

    def __init__(self, connection):
        self._connection = connection

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def register(self, name, data):
        source = f"{name}__registered"
        self._connection.register(source, data)
        self._connection.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "{source}"')
        self._connection.unregister(source)
        return self


def validate(request: dict) -> None:
    import duckdb
    from focus_validator.validator import DEFAULT_VERSION_SETS_PATH, Validator

    criteria = ",".join(request["criteria"]) or None
    validator = Validator(
        data_filename=request["data_file"], data_format=None, rule_set_path=DEFAULT_VERSION_SETS_PATH,
        rules_version=request["focus_version"], output_type="unittest", output_destination=request["output"],
        column_namespace=None, focus_dataset="CostAndUsage", filter_rules=None, rules_force_remote_download=False,
        rules_block_remote_download=True, allow_draft_releases=False, allow_prerelease_releases=False,
        applicability_criteria=criteria, explain_mode=False, transpile_dialect=None, show_violations=False)
    # Validator.validate() of 2.2.1, line for line, but with a connection of ours (SpecRules.validate takes one)
    validator.load()
    connection = duckdb.connect(":memory:")
    try:
        results = validator.spec_rules.validate(
            validator.focus_data, connection=_TableNotView(connection), show_violations=validator.show_violations,
            data_filename=validator.data_filename or "unknown", data_row_count=validator.data_row_count)
    finally:
        connection.close()
    validator.outputter.write(results)


def main() -> int:
    # Replies go to the real stdout; anything the validator prints goes to stderr, not into a reply.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    from focus_validator.main import setup_logging

    setup_logging()  # as its command line does: its log file in the working directory
    import focus_validator.validator  # noqa: F401  (the expensive imports, before saying ready)

    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in sys.stdin:
        try:
            validate(json.loads(line))
            reply = {"ok": True}
        except Exception:  # any failure is the test's to report, with the validator's traceback
            reply = {"ok": False, "error": traceback.format_exc()[-3000:]}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
