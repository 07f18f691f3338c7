"""manifest.json: provenance, totals and a SHA-256 for every file the run wrote.

One frozen type with its writing and its reading (its totals in ``manifest_totals``, the checked
values in ``json_values``), so the run that writes the manifest, ``close`` that seals it and
``email`` that quotes its totals cannot drift apart.
Amounts are decimal strings in the file and ``Decimal`` in the type, never floats.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.core.checks import Status
from reports.core.config_checks import UNALLOCATED_SHARE, UNKNOWN_IDS
from reports.core.months import Month, rfc3339
from reports.core.replaced import Replaced
from reports.core.report import Report
from reports.core.settings import COST_REPORT, SOURCES
from reports.errors import DataError, UsageError
from reports.outputs.folder import sha256_file
from reports.outputs.json_values import JsonReader, text_or_none
from reports.outputs.manifest_totals import Totals
from reports.outputs.names import MANIFEST

FORMAT = 1
FETCHED = ("api", "demo", "offline")


@dataclass(frozen=True)
class FileEntry:
    """A file of the month folder (path relative to it) and its SHA-256."""

    file: str
    sha256: str
    query: str | None = None  # raw pages: the query they answer
    request_id: str | None = None  # raw pages: the API's request-id header

    def to_json(self, *, raw: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "sha256": self.sha256}
        if raw:  # raw/index.json has neither
            data.update(query=self.query, request_id=self.request_id)
        return data

    @classmethod
    def all_from_json(cls, value: Any, where: JsonReader, key: str) -> tuple[FileEntry, ...]:
        """A manifest's list of files (``raw_pages``, ``outputs``), each entry checked."""
        entries = []
        for index, raw in enumerate(where.list(value, key)):
            item = where.mapping(raw, f"{key}[{index}]")
            entries.append(cls(
                file=where.text(item.get("file"), f"{key}[{index}].file"),
                sha256=where.text(item.get("sha256"), f"{key}[{index}].sha256"),
                query=item.get("query") if isinstance(item.get("query"), str) else None,
                request_id=item.get("request_id") if isinstance(item.get("request_id"), str) else None,
            ))
        return tuple(entries)


@dataclass(frozen=True)
class Manifest:
    """What one run wrote, and from what."""

    run_id: str
    month: Month
    tool_version: str
    source: str  # which API the month was read from: cost_report (legacy) or analytics
    demo: bool
    organization: str
    generated_at: str  # UTC, 2026-11-01T06:00:00Z
    data_fetched_at: str | None
    config_file: str
    config_sha256: str
    requests_made: int | None
    raw_pages: tuple[FileEntry, ...]  # every API page, and raw/index.json
    outputs: tuple[FileEntry, ...]  # every other file the run wrote, except the manifest itself
    totals: Totals
    reconciliation: Mapping[str, Any] = field(default_factory=dict)
    fetched: str = "api"  # how the pages were had: api | demo (the simulator) | offline (a saved snapshot)
    data_refreshed_at: str | None = None  # analytics: the API's data_refreshed_at
    replaces: Replaced | None = None  # a re-run of an open month: the run it replaces (kept in replaced/), the change
    directory_file: str | None = None  # ``directory:``: the people file read (kept as directory.csv), its SHA-256
    directory_sha256: str | None = None

    @property
    def files(self) -> tuple[FileEntry, ...]:
        """Every file the manifest vouches for (the manifest itself excluded)."""
        return self.raw_pages + self.outputs

    def output(self, name: str) -> FileEntry | None:
        """The entry of an output by its file name, if the run wrote it (never a replaced run's file of that name)."""
        exact = next((entry for entry in self.outputs if entry.file == name), None)
        return exact or next((entry for entry in self.outputs if Path(entry.file).name == name
                              and not entry.file.startswith("replaced/")), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "run_id": self.run_id,
            "month": str(self.month),
            "tool_version": self.tool_version,
            "source": self.source,
            "fetched": self.fetched,
            "demo": self.demo,
            "organization": self.organization,
            "generated_at": self.generated_at,
            "data_fetched_at": self.data_fetched_at,
            "data_refreshed_at": self.data_refreshed_at,
            "config_file": self.config_file,
            "config_sha256": self.config_sha256,
            **({"directory_file": self.directory_file, "directory_sha256": self.directory_sha256}
               if self.directory_sha256 is not None else {}),
            "requests_made": self.requests_made,
            "raw_pages": [entry.to_json(raw=True) for entry in self.raw_pages],
            "outputs": [entry.to_json() for entry in self.outputs],
            "totals": self.totals.to_json(),
            "reconciliation": dict(self.reconciliation),
            **({"replaces": _replaces_json(self.replaces)} if self.replaces is not None else {}),
        }

    def write(self, folder: Path) -> Path:
        path = folder / MANIFEST
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, data: Any, shown: str) -> Manifest:
        """Parse a manifest's JSON; DataError naming the file and the key for anything malformed."""
        where = JsonReader(shown)
        top = where.mapping(data, "the manifest")
        requests = top.get("requests_made")
        return cls(
            run_id=where.text(top.get("run_id"), "run_id"),
            month=where.month(top.get("month"), "month"),
            tool_version=where.text(top.get("tool_version"), "tool_version"),
            # manifests before the analytics source said how the pages were had in "source"
            source=where.text(top.get("data_source") or (top.get("source") if top.get("source") in SOURCES
                                                         else COST_REPORT), "source"),
            fetched=where.text(top.get("fetched") or (top.get("source") if top.get("source") in FETCHED
                                                      else "api"), "fetched"),
            demo=bool(top.get("demo")),
            organization=where.text(top.get("organization"), "organization", empty=True),
            generated_at=where.text(top.get("generated_at"), "generated_at"),
            data_fetched_at=None if top.get("data_fetched_at") is None else where.text(
                top.get("data_fetched_at"), "data_fetched_at"),
            data_refreshed_at=None if top.get("data_refreshed_at") is None else where.text(
                top.get("data_refreshed_at"), "data_refreshed_at"),
            config_file=where.text(top.get("config_file"), "config_file"),
            config_sha256=where.text(top.get("config_sha256"), "config_sha256"),
            directory_file=None if top.get("directory_file") is None else where.text(
                top.get("directory_file"), "directory_file"),
            directory_sha256=None if top.get("directory_sha256") is None else where.text(
                top.get("directory_sha256"), "directory_sha256"),
            requests_made=None if requests is None else where.count(requests, "requests_made"),
            raw_pages=FileEntry.all_from_json(top.get("raw_pages"), where, "raw_pages"),
            outputs=FileEntry.all_from_json(top.get("outputs"), where, "outputs"),
            totals=Totals.from_json(top.get("totals"), where),
            reconciliation=dict(where.mapping(top.get("reconciliation", {}), "reconciliation")),
            replaces=None if top.get("replaces") is None else _replaces_from_json(top["replaces"], where),
        )

    @classmethod
    def read(cls, folder: Path, month: Month) -> Manifest:
        """The manifest of a published month folder; UsageError when the month was never run."""
        path = folder / MANIFEST
        if not path.is_file():
            raise UsageError(f"no {MANIFEST} for {month} in {folder}: run `chargeback run --month {month}` first")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{path}: cannot read the manifest ({exc})") from None
        manifest = cls.from_json(data, str(path))
        if manifest.month != month:
            raise DataError(f"{path}: the manifest is for {manifest.month}, not {month}")
        return manifest


RECORDED_WARNINGS = frozenset({UNALLOCATED_SHARE, UNKNOWN_IDS})


def build_manifest(folder: Path, report: Report, raw_files: Iterable[FileEntry], outputs: Iterable[str], *,
                   config_file: str, requests_made: int | None) -> Manifest:
    """The manifest of a run written into ``folder``: hashes every output as it is now."""
    info = report.run_info
    return Manifest(
        run_id=info.run_id,
        month=report.month,
        tool_version=info.tool_version,
        source=info.data_source,
        fetched=info.source,
        demo=info.demo,
        organization=report.organization,
        generated_at=rfc3339(info.generated_at),
        data_fetched_at=rfc3339(info.data_fetched_at) if info.data_fetched_at else None,
        data_refreshed_at=rfc3339(info.data_refreshed_at) if info.data_refreshed_at else None,
        config_file=config_file,
        config_sha256=info.config_sha256,
        directory_file=info.directory_file,
        directory_sha256=info.directory_sha256,
        requests_made=requests_made,
        raw_pages=tuple(raw_files),
        outputs=tuple(FileEntry(name, sha256_file(folder / name)) for name in outputs),
        totals=Totals.of(report),
        # the warnings `close` acts on are recorded too (the others repeat per workspace or cost type)
        reconciliation={check.name: check.status for check in report.reconciliation.checks
                        if check.status != Status.WARN or check.name in RECORDED_WARNINGS}
        | {"unmapped_workspaces": len(report.reconciliation.unmapped)},
        replaces=info.replaces,
    )


def _replaces_json(replaced: Replaced) -> dict[str, Any]:
    """``replaces``: the replaced run, its total, and each cost center's difference (this run minus it)."""
    return {"run_id": replaced.run_id, "generated_at": replaced.generated_at, "folder": replaced.folder,
            "total": text_or_none(replaced.total), "total_change": str(replaced.total_change),
            "changes": {code: str(amount) for code, amount in replaced.changes}, "text": replaced.text}


def _replaces_from_json(data: Any, where: JsonReader) -> Replaced:
    item = where.mapping(data, "replaces")
    changes = where.mapping(item.get("changes", {}), "replaces.changes")
    generated_at = item.get("generated_at")
    return Replaced(
        run_id=where.text(item.get("run_id"), "replaces.run_id"),
        generated_at=None if generated_at is None else where.text(generated_at, "replaces.generated_at"),
        total=where.optional_amount(item.get("total"), "replaces.total"),
        total_change=where.amount(item.get("total_change"), "replaces.total_change"),
        changes=tuple((code, where.amount(value, f"replaces.changes.{code}")) for code, value in changes.items()),
    )


